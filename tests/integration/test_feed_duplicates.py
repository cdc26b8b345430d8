"""Duplicate SKUs in a feed (issue 18, item 6): one key per item (case and spaces normalised once),
duplicates reported with their line numbers, one offer per supplier and product."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from test_import_runs import add_products, offers, run_now, supplier, wholesaler_csv

from rexbit_desktop.db.session import make_engine, upgrade_schema


def test_variant_spellings_of_a_sku_are_one_item_and_duplicates_are_reported(
    db: Any, system_actor: Any, tmp_path: Path
) -> None:
    add_products(db, [("HX-0001", None, "A"), ("HX-0002", None, "B"), ("HX-0003", "5901234123457", "C")])
    path = wholesaler_csv(
        tmp_path / "feed.csv",
        [
            "HX-0001;;A;1;1,00;23;;szt.",  # line 2
            "HX-0002;;B;2;1,00;23;;szt.",  # line 3
            " hx-0002 ;;B again;5;1,00;23;;szt.",  # line 4: the same item, last line wins
            "HX-0001;;A again;3;1,00;23;;szt.",  # line 5
            "X-99;5901234123457;C by EAN;4;1,00;23;;szt.",  # line 6: matches HX-0003 by EAN
            "HX-0003;;C by SKU;6;1,00;23;;szt.",  # line 7: the same product, another item
        ],
    )
    integration_id, _ = supplier(db, system_actor, path)
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded", run.message
    got = offers(db)
    # One link per item key; the variant spelling did not make a second offer of HX-0002.
    assert sorted(got) == ["HX-0001", "HX-0002", "HX-0003", "X-99"]
    assert got["HX-0002"]["stock_quantity"] == 5 and got["HX-0001"]["stock_quantity"] == 3
    # One offer per supplier and product: X-99 (line 6) keeps HX-0003, line 7's item stays unlinked.
    linked = [e for e, o in got.items() if o["sku"] == "HX-0003"]
    assert linked == ["X-99"], got
    duplicates = {e["line"]: e["reason"] for e in run.errors if e["level"] == "duplicate"}
    assert duplicates == {
        2: "'HX-0001' appears again on line 5, which is used; this line is ignored",
        3: "'HX-0002' appears again on line 4, which is used; this line is ignored",
        7: "'HX-0003' matches the same product as line 6; not linked (one offer per supplier and product)",
    }
    assert "2 duplicate lines ignored" in (run.message or "")

    # The next run with the other spelling first: still one item, no second link.
    path.write_bytes(path.read_bytes().replace(b"HX-0002;;B;2", b"hX-0002;;B;2"))
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded" and sorted(offers(db)) == ["HX-0001", "HX-0002", "HX-0003", "X-99"]


def test_the_migration_merges_links_the_old_code_split_by_spelling(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine, "0017_mail_messages")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO products (id, sku, name) VALUES (1, 'HX-0002', 'B'), (2, 'HX-0005', 'E')")
            )
            conn.execute(
                text(
                    "INSERT INTO integrations (id, type, name, config) VALUES (1, 'supplier_feed', 'H', '{}'),"
                    " (2, 'prestashop_db', 'S', '{}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO integration_product_links (integration_id, product_id, external_id, link_source)"
                    " VALUES (1, 1, 'HX-0002', 'auto'), (1, 1, 'hx-0002', 'auto'), (1, 2, 'hx  0005', 'manual'),"
                    " (2, 1, 'ab:c', 'auto')"
                )
            )
        upgrade_schema(engine)
        with engine.connect() as conn:
            rows = sorted(
                tuple(r)
                for r in conn.execute(
                    text("SELECT integration_id, external_id, link_source FROM integration_product_links")
                )
            )
        assert rows == [(1, "HX 0005", "manual"), (1, "HX-0002", "auto"), (2, "ab:c", "auto")]
    finally:
        engine.dispose()
