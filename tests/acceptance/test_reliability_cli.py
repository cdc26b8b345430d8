"""Operators' commands that used to leak or break (issue 18): secrets in feed URLs, ``--limit=-1``, XML
feeds with an empty mapped element, and ``integration preview`` of XML."""

from __future__ import annotations

import json
from pathlib import Path

from test_feed_import_cli import ok, refused, rexbit, rexbit_many, write_json


def test_feed_credentials_are_masked_in_every_output(db_url: str, tmp_path: Path) -> None:
    created = json.loads(
        ok(rexbit(db_url, "integration", "create", "--type=supplier_feed", "--name=H", "--json"))
    )
    profile = write_json(
        tmp_path / "p.json",
        {
            "name": "stany",
            "source_location": "http://kowal:Tajne123@127.0.0.1:9/feed.csv?token=T0K3N&format=csv",
            "format": "csv",
            "options": {"http_headers": {"X-Api-Key": "K3YV4L"}, "timeout_s": 2},
            "mappings": {"sku": "Indeks", "stock_quantity": "Stan"},
        },
    )
    task_out = ok(
        rexbit(
            db_url,
            "integration",
            "task-create",
            f"--integration={created['id']}",
            f"--config={profile}",
            "--json",
        )
    )
    list_out, run_out = rexbit_many(
        db_url,
        ["integration", "list", "--json"],
        ["integration", "import", f"--integration={created['id']}", "--now"],
    )
    runs_out = rexbit(db_url, "integration", "runs", "--json")
    for out in (task_out, ok(list_out), run_out.stdout + run_out.stderr, ok(runs_out)):
        assert "Tajne123" not in out and "T0K3N" not in out and "K3YV4L" not in out, out
    shown = json.loads(task_out)
    assert shown["source_location"] == "http://kowal:***@127.0.0.1:9/feed.csv?token=***&format=csv"
    assert shown["options"]["http_headers"] == {"X-Api-Key": "***"}
    (run,) = json.loads(ok(runs_out))
    assert run["status"] == "failed" and "http://kowal:***@127.0.0.1:9/" in run["message"], run


def test_database_url_password_in_the_query_is_masked_in_connection_errors(db_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    bad = url.set(
        database="no_such_database_18", query={**url.query, "password": "Hunter2x"}
    ).render_as_string(hide_password=False)
    result = rexbit(bad, "orders", "list")
    out = refused(result, "Cannot connect")
    assert "Hunter2x" not in out and "password=***" in out


def test_a_negative_limit_is_a_clear_error(db_url: str) -> None:
    orders_out, runs_out = rexbit_many(
        db_url, ["orders", "list", "--limit=-1"], ["integration", "runs", "--limit=0"]
    )
    for result in (orders_out, runs_out):
        out = refused(result, "--limit must be at least 1")
        assert "SELECT" not in out and "[SQL" not in out


XML = """<?xml version="1.0" encoding="UTF-8"?>
<offers>
  <o><sku>E-1</sku><stock>5</stock><price></price><name>A</name></o>
  <o><sku>E-2</sku><stock>7</stock><price></price><name>B</name></o>
</offers>
"""


def _xml_and_csv_profiles(tmp_path: Path) -> tuple[Path, Path, Path]:
    catalog = tmp_path / "products.csv"
    catalog.write_text("sku,ean,name\nE-1,,A\nE-2,,B\n", encoding="utf-8")
    (tmp_path / "feed.xml").write_text(XML, encoding="utf-8")
    (tmp_path / "feed.csv").write_text("sku;stock;price;name\nE-1;5;;A\nE-2;7;;B\n", encoding="utf-8")
    mappings = {"sku": "sku", "stock_quantity": "stock", "purchase_price": "price"}
    xml_profile = write_json(
        tmp_path / "xml.json",
        {
            "name": "xml",
            "source_location": "feed.xml",
            "format": "xml",
            "options": {"record": "o"},
            "mappings": mappings,
        },
    )
    csv_profile = write_json(
        tmp_path / "csv.json",
        {"name": "csv", "source_location": "feed.csv", "format": "csv", "options": {}, "mappings": mappings},
    )
    return catalog, xml_profile, csv_profile


def test_preview_of_an_xml_feed_prints_each_value_once(db_url: str, tmp_path: Path) -> None:
    _, xml_profile, _ = _xml_and_csv_profiles(tmp_path)
    lines = ok(rexbit(db_url, "integration", "preview", f"--config={xml_profile}")).splitlines()
    # They used to be printed twice: as the record's columns and again as the mapped values.
    assert "columns:  sku | stock | price | name" in lines
    assert "  E-1 | 5 |  | A" in lines and sum(line.count("E-1") for line in lines) == 1, lines


def test_an_xml_element_empty_in_every_record_reads_like_an_empty_csv_column(
    db_url: str, tmp_path: Path
) -> None:
    catalog, xml_profile, csv_profile = _xml_and_csv_profiles(tmp_path)
    created, _ = rexbit_many(
        db_url,
        ["integration", "create", "--type=supplier_feed", "--name=H", "--json"],
        ["products", "import", f"--file={catalog}"],
    )
    integration = json.loads(ok(created))["id"]
    for profile in (xml_profile, csv_profile):
        ok(
            rexbit(
                db_url, "integration", "task-create", f"--integration={integration}", f"--config={profile}"
            )
        )
    result = rexbit(db_url, "integration", "import", f"--integration={integration}", "--now", "--json")
    runs = json.loads(result.stdout)
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"], runs
    assert [r["matched"] for r in runs] == [2, 2]
