"""Supplier feeds as operators and cron use them: the ``rexbit`` command and real queue workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow  # real processes; each test takes more than a few seconds

HEADER = "Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka\r\n"
MAPPINGS = {
    "sku": "Indeks",
    "ean": "EAN",
    "stock_quantity": "Stan",
    "delivery_days": "Termin dostawy",
    "purchase_price": "Cena netto",
}


def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    base["COLUMNS"] = "200"
    return base


def rexbit(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={url}", *args],
        env=env(),
        capture_output=True,
        text=True,
        timeout=180,
    )


def rexbit_many(url: str, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands at once: each pays a second or more of Python start-up."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={url}", *args],
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    results = []
    for proc, args in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], message: str) -> str:
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr + result.stdout, (result.stdout, result.stderr)
    return result.stderr + result.stdout


def offers(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT l.external_id, p.sku, l.supplier_availability - 'updated_at' AS av"
                    " FROM integration_product_links l LEFT JOIN products p ON p.id = l.product_id"
                )
            )
            return {r.external_id: {"sku": r.sku, **(r.av or {})} for r in rows}
    finally:
        engine.dispose()


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def setup_suppliers(url: str, tmp_path: Path, *feeds: tuple[Path, dict[str, Any]]) -> list[tuple[int, int]]:
    """One supplier feed integration with one profile per feed: ``(feed, {"format", "options", "mappings"})``."""
    creates = []
    for feed, _ in feeds:
        config = write_json(
            tmp_path / f"{feed.stem}.integration.json",
            {"contractor": {"name": f"Hurtownia {feed.stem.title()}", "nip": "5260250274"}},
        )
        creates.append(
            [
                "integration",
                "create",
                "--type=supplier_feed",
                "--name",
                feed.stem,
                "--config",
                str(config),
                "--json",
            ]
        )
    integration_ids = [json.loads(ok(r))["id"] for r in rexbit_many(url, *creates)]
    tasks = []
    for integration_id, (feed, profile) in zip(integration_ids, feeds, strict=True):
        config = write_json(
            tmp_path / f"{feed.stem}.profile.json",
            {
                "name": "stany",
                "source_location": feed.name,  # relative to the profile file
                "format": profile.get("format", "csv"),
                "options": profile.get("options", {}),
                "mappings": profile.get("mappings", MAPPINGS),
            },
        )
        tasks.append(
            ["integration", "task-create", f"--integration={integration_id}", f"--config={config}", "--json"]
        )
    task_ids = []
    for result, (feed, _) in zip(rexbit_many(url, *tasks), feeds, strict=True):
        task = json.loads(ok(result))
        assert task["source_location"] == str(feed.resolve())
        task_ids.append(task["id"])
    return list(zip(integration_ids, task_ids, strict=True))


def setup_supplier(url: str, tmp_path: Path, feed: Path, **profile: Any) -> tuple[int, int]:
    return setup_suppliers(url, tmp_path, (feed, profile))[0]


def test_catalog_and_three_feed_formats_through_the_cli(db_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "products.csv"
    catalog.write_text(
        "sku,ean,name,unit,vat_rate\n"
        "HX-1001,5901234123457,Wkrętarka akumulatorowa 18V,szt.,23\n"
        "HX-1002,0012345678905,Akumulator 18V 4.0Ah,szt.,23\n"
        "HX-1003,,Ładowarka szybka,szt.,8\n",
        encoding="utf-8",
    )
    result = json.loads(ok(rexbit(db_url, "products", "import", "--file", str(catalog), "--json")))
    assert (result["created"], result["updated"]) == (3, 0)

    csv_feed = tmp_path / "hurtownia.csv"
    csv_feed.write_bytes(
        (
            HEADER
            + 'HX-1001;5901234123457;"Wkrętarka; zestaw";12;349,00;23;24h;szt.\r\n'
            + "HX-1002;0012345678905;Akumulator;brak;199,90;23;3-5 dni;szt.\r\n"
            + "HX-1003;;Ładowarka;>10;1\u00a0234,56;23;14 dni;opak.\r\n"
            + "HX-1004;;Śruby;-2;1,00;23;;szt.\r\n"
        ).encode("cp1250")
    )
    google = tmp_path / "google.xml"
    google.write_text(
        '<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel>'
        "<item><g:id>G-1</g:id><g:gtin>5901234123457</g:gtin><g:availability>in stock</g:availability>"
        "<g:price>330.00 PLN</g:price></item></channel></rss>",
        encoding="utf-8",
    )
    ceneo = tmp_path / "ceneo.xml"
    ceneo.write_text(
        '<?xml version="1.0"?><offers><o id="HX-1002" price="210.00" avail="3" stock="4">'
        '<attrs><a name="EAN"><![CDATA[0012345678905]]></a></attrs></o></offers>',
        encoding="utf-8",
    )
    (csv_id, _), (google_id, _), (ceneo_id, _) = setup_suppliers(
        db_url,
        tmp_path,
        (csv_feed, {}),
        (google, {"format": "xml", "mappings": {}}),
        (ceneo, {"format": "xml", "mappings": {}}),
    )
    csv_run, google_run, ceneo_run = rexbit_many(
        db_url,
        ["integration", "import", f"--integration={csv_id}", "--now", "--json"],
        ["integration", "import", "--integration", str(google_id), "--now", "--json"],
        ["integration", "import", f"--integration={ceneo_id}", "--now", "--json"],
    )
    (run,) = json.loads(ok(csv_run))
    assert run["status"] == "succeeded"
    assert (run["rows_read"], run["rows_invalid"], run["matched"]) == (4, 1, 3)
    assert run["errors"][0] == {"line": 5, "reason": "stock '-2' is negative", "level": "error"}
    for result in (google_run, ceneo_run):
        (run,) = json.loads(ok(result))
        assert run["status"] == "succeeded" and run["matched"] == 1, run

    show_1, show_2, listed_out, runs_out, integrations_out = rexbit_many(
        db_url,
        ["products", "show", "--sku=HX-1001", "--json"],
        ["products", "show", "--sku", "HX-1002", "--json"],
        ["products", "list", "--json", "--search=HX-100"],
        ["integration", "runs", f"--integration={csv_id}"],
        ["integration", "list", "--json"],
    )
    shown = json.loads(ok(show_1))
    assert {(o["integration_id"], o["stock_quantity"], o["purchase_price"]) for o in shown["offers"]} == {
        (csv_id, "12", "349"),
        (google_id, "10", "330"),
    }
    assert shown["offers"][0]["supplier_name"] == "Hurtownia Hurtownia"
    shown = json.loads(ok(show_2))
    assert {(o["stock_quantity"], o["delivery_days"]) for o in shown["offers"]} == {("0", 5), ("4", 3)}
    listed = json.loads(ok(listed_out))
    assert [p["sku"] for p in listed["rows"]] == ["HX-1001", "HX-1002", "HX-1003"]
    assert listed["rows"][2]["best_offer"]["stock_quantity"] == "10"
    assert "line 5: stock '-2' is negative" in ok(runs_out)
    integrations = json.loads(ok(integrations_out))
    assert [i["last_run_status"] for i in integrations] == ["succeeded"] * 3


def test_bad_input_is_refused_with_a_message(db_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "products.csv"
    catalog.write_text("sku,ean,name\nA-1,5901234123458,Zły EAN\n,,bez sku\n", encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{name: 1}", encoding="utf-8")
    catalog_out, missing_out, broken_out = rexbit_many(
        db_url,
        ["products", "import", f"--file={catalog}"],
        ["integration", "import", "--integration=99", "--now"],
        ["integration", "create", "--type=supplier_feed", "--name=X", f"--config={broken}"],
    )
    out = refused(catalog_out, "nothing was imported")
    assert "line 2: EAN '5901234123458' has a wrong check digit" in out and "line 3: no sku" in out
    refused(missing_out, "There is no integration 99")
    refused(broken_out, "not valid JSON")

    feed = tmp_path / "feed.csv"
    feed.write_bytes((HEADER + "A-1;;A;1;1,00;23;;szt.\r\n").encode("cp1250"))
    integration_id, _ = setup_supplier(db_url, tmp_path, feed)
    ok(rexbit(db_url, "integration", "import", f"--integration={integration_id}", "--now"))
    before = offers(db_url)
    feed.write_bytes("Kod;Ilość\r\nA-1;7\r\n".encode("cp1250"))
    out = refused(
        rexbit(db_url, "integration", "import", f"--integration={integration_id}", "--now"), "failed"
    )
    assert "The feed has no column for" in out and "sku → 'Indeks'" in out
    assert offers(db_url) == before
    assert json.loads(ok(rexbit(db_url, "products", "list", "--json")))["total"] == 0  # the bad catalog


def _worker(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={url}", "queue", "work", "--queue=import",
         "--sleep=0.2", *extra],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def test_import_through_the_queue_in_chunks(db_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "products.csv"
    catalog.write_text(
        "sku,ean,name\n" + "".join(f"Q-{i:04d},,Produkt {i}\n" for i in range(1, 121)), encoding="utf-8"
    )
    ok(rexbit(db_url, "products", "import", f"--file={catalog}"))
    feed = tmp_path / "feed.csv"
    feed.write_bytes(
        (HEADER + "".join(f"Q-{i:04d};;P;{i};{i},50;23;24h;szt.\r\n" for i in range(1, 101))).encode("cp1250")
    )
    integration_id, _ = setup_supplier(db_url, tmp_path, feed, options={"chunk_rows": 30})
    queued_proc = rexbit(db_url, "integration", "import", f"--integration={integration_id}", "--json")
    queued = json.loads(ok(queued_proc))
    assert len(queued) == 1 and queued[0]["job_id"] > 0
    assert "no worker takes jobs from the 'import' queue" in queued_proc.stderr  # nobody runs it yet
    assert offers(db_url) == {}  # queued, not run

    worker = _worker(db_url, "--stop-when-empty")
    log, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, log
    assert log.count("process_supplier_availability_chunk succeeded") == 4, log
    (run,) = json.loads(
        ok(rexbit(db_url, "integration", "runs", f"--integration={integration_id}", "--json"))
    )
    assert run["status"] == "succeeded" and run["matched"] == 100 and run["job_id"] == queued[0]["job_id"]
    got = offers(db_url)
    assert len(got) == 100 and got["Q-0042"]["stock_quantity"] == 42 and got["Q-0042"]["sku"] == "Q-0042"

    # The hourly schedule's task: every enabled profile of every enabled supplier feed.
    feed.write_bytes((HEADER + "Q-0042;;P;7;1,00;23;24h;szt.\r\n").encode("cp1250"))
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.queueing import defer_job

    db = open_database(db_url)
    try:
        defer_job(db, "imports:import_all_supplier_feeds")
    finally:
        db.dispose()
    worker = _worker(db_url, "--stop-when-empty")
    log, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, log
    runs = json.loads(ok(rexbit(db_url, "integration", "runs", f"--integration={integration_id}", "--json")))
    assert (
        runs[0]["status"] == "succeeded" and runs[0]["started_by"] == "job:imports:import_all_supplier_feeds"
    )
    assert runs[0]["zeroed"] == 99  # the other items vanished from the feed
    got = offers(db_url)
    assert got["Q-0042"]["stock_quantity"] == 7 and got["Q-0001"]["stock_quantity"] == 0

    # A bad feed through the queue: the run fails and so does its job (once, not --tries times: the same
    # bad file would be read again), visible in 'queue failed' and 'queue monitor'; nothing changes.
    before = offers(db_url)
    feed.write_bytes(b'<offers><o id="Q-0001" stock="1"></offers>')
    (queued,) = json.loads(
        ok(rexbit(db_url, "integration", "import", f"--integration={integration_id}", "--json"))
    )
    worker = _worker(db_url, "--stop-when-empty", "--tries=3")
    log, _ = worker.communicate(timeout=120)
    runs = json.loads(ok(rexbit(db_url, "integration", "runs", f"--integration={integration_id}", "--json")))
    assert runs[0]["status"] == "failed", runs[0]
    assert "one column only" in runs[0]["message"], runs[0]
    assert offers(db_url) == before
    failed_out, monitor_out = rexbit_many(
        db_url, ["queue", "failed", "--json", "--queue", "import"], ["queue", "monitor", "import", "--json"]
    )
    (failed,) = json.loads(ok(failed_out))
    assert failed["id"] == queued["job_id"] and failed["attempts"] == 1, failed
    assert failed["error"].startswith(f"ImportRunFailed: Import run {queued['run_id']} failed:"), failed
    assert "one column only" in failed["error"], failed
    (import_queue,) = json.loads(ok(monitor_out))["queues"]
    assert import_queue["failed"] == 1, import_queue


def test_a_worker_with_two_slots_stops_only_when_the_chunk_jobs_are_done_too(
    db_url: str, tmp_path: Path
) -> None:
    """procrastinate stops a --stop-when-empty worker at the first empty fetch: with two slots, the idle
    one found the queue empty while the other was still reading the feed and deferring chunk jobs."""
    catalog = tmp_path / "products.csv"
    catalog.write_text("sku,ean,name\n" + "".join(f"C-{i:03d},,P\n" for i in range(1, 61)), encoding="utf-8")
    ok(rexbit(db_url, "products", "import", f"--file={catalog}"))
    feed = tmp_path / "feed.csv"
    feed.write_bytes(
        (HEADER + "".join(f"C-{i:03d};;P;{i};1,00;23;24h;szt.\r\n" for i in range(1, 61))).encode("cp1250")
    )
    integration_id, _ = setup_supplier(db_url, tmp_path, feed, options={"chunk_rows": 10})
    ok(rexbit(db_url, "integration", "import", f"--integration={integration_id}"))
    worker = _worker(db_url, "--stop-when-empty", "--concurrency=2")
    log, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, log
    assert log.count("process_supplier_availability_chunk succeeded") == 6, log
    (run,) = json.loads(
        ok(rexbit(db_url, "integration", "runs", f"--integration={integration_id}", "--json"))
    )
    assert run["status"] == "succeeded" and run["matched"] == 60, run


def test_killed_worker_applies_nothing_and_the_run_completes_after_restart(
    db_url: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "products.csv"
    catalog.write_text(
        "sku,ean,name\n" + "".join(f"K-{i:05d},,Produkt {i}\n" for i in range(1, 3001)), encoding="utf-8"
    )
    ok(rexbit(db_url, "products", "import", f"--file={catalog}"))
    feed = tmp_path / "feed.csv"
    feed.write_bytes(
        (HEADER + "".join(f"K-{i:05d};;P;{i % 50};1,00;23;;szt.\r\n" for i in range(1, 3001))).encode(
            "cp1250"
        )
    )
    integration_id, _ = setup_supplier(db_url, tmp_path, feed, options={"chunk_rows": 50})
    ok(rexbit(db_url, "integration", "import", f"--integration={integration_id}"))

    worker = _worker(db_url, "--heartbeat=0.5", "--stalled-after=2")
    assert worker.stdout is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in worker.stdout:
        seen.append(line)
        if "process_supplier_availability_chunk succeeded" in line or time.monotonic() > deadline:
            break
    worker.send_signal(signal.SIGKILL)  # no chance to finish anything
    worker.wait(timeout=30)
    assert any("process_supplier_availability_chunk succeeded" in s for s in seen), "".join(seen)

    (run,) = json.loads(
        ok(rexbit(db_url, "integration", "runs", f"--integration={integration_id}", "--json"))
    )
    assert run["status"] == "running"  # 60 chunks; at most a few were staged
    assert offers(db_url) == {}

    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.jobs.worker import rescue_stalled_jobs

    db = open_database(db_url)
    try:
        # The killed worker's last heartbeat, made old: its jobs are stalled without waiting for it.
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                    " WHERE id IN (SELECT worker_id FROM procrastinate_jobs WHERE status = 'doing')"
                )
            )
        rescue_stalled_jobs(db, stalled_after=0.5, rescuer="test")
    finally:
        db.dispose()
    worker = _worker(db_url, "--stop-when-empty")
    log, _ = worker.communicate(timeout=180)
    assert worker.returncode == 0, log
    (run,) = json.loads(
        ok(rexbit(db_url, "integration", "runs", f"--integration={integration_id}", "--json"))
    )
    assert run["status"] == "succeeded" and run["rows_read"] == 3000 and run["matched"] == 3000, run
    assert offers(db_url)["K-00049"]["stock_quantity"] == 49
