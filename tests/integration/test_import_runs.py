"""Import runs on a real PostgreSQL: matching, supplier availability, vanished items, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.errors import NotFound, PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services import integrations
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports, staging
from rexbit_desktop.services.feeds import runs as imports_runs
from rexbit_desktop.services.ops import maintenance

WHOLESALER_MAPPINGS = {
    "sku": "Indeks",
    "ean": "EAN",
    "stock_quantity": "Stan",
    "delivery_days": "Termin dostawy",
    "purchase_price": "Cena netto",
}
HEADER = "Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka\r\n"


def wholesaler_csv(path: Path, lines: list[str]) -> Path:
    path.write_bytes((HEADER + "".join(line + "\r\n" for line in lines)).encode("cp1250"))
    return path


def add_products(db: Any, rows: list[tuple[str, str | None, str]]) -> None:
    with db.engine.begin() as conn:
        for sku, ean, name in rows:
            conn.execute(
                text("INSERT INTO products (sku, ean, name) VALUES (:sku, :ean, :name)"),
                {"sku": sku, "ean": ean, "name": name},
            )


def supplier(
    db: Any, actor: Actor, path: Path, *, name: str = "Hurtownia", **profile: Any
) -> tuple[int, int]:
    integration = integrations.create_integration(db.uow(), actor, type="supplier_feed", name=name)
    task = integrations.create_import_profile(
        db.uow(),
        actor,
        integration_id=integration.id,
        name=profile.pop("profile_name", "stany"),
        source_location=str(path),
        format=profile.pop("format", "csv"),
        options=profile.pop("options", {}),
        mappings=profile.pop("mappings", WHOLESALER_MAPPINGS),
    )
    return integration.id, task.id


def prices_profile(db: Any, actor: Actor, integration_id: int, tmp_path: Path, content: str) -> None:
    """A second, prices-only profile of the supplier (UTF-8 CSV ``kod;cena``)."""
    prices = tmp_path / "prices.csv"
    prices.write_text(content, encoding="utf-8")
    integrations.create_import_profile(
        db.uow(),
        actor,
        integration_id=integration_id,
        name="ceny",
        source_location=str(prices),
        format="csv",
        mappings={"sku": "kod", "purchase_price": "cena"},
    )


def offers(db: Any) -> dict[str, dict[str, Any]]:
    """Every supplier link by external id: product SKU, availability without the timestamp."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.external_id, p.sku, l.link_source, l.supplier_availability - 'updated_at' AS av"
                " FROM integration_product_links l LEFT JOIN products p ON p.id = l.product_id"
            )
        )
        return {r.external_id: {"sku": r.sku, "source": r.link_source, **(r.av or {})} for r in rows}


def run_now(db: Any, actor: Actor, integration_id: int, **kwargs: Any) -> imports.ImportRunDTO:
    (run,) = imports.import_now(db.uow, actor, integration_id=integration_id, **kwargs)
    return run


@pytest.fixture
def catalog_products(db: Any) -> None:
    add_products(
        db,
        [
            ("HX-1001", "5901234123457", "Wkrętarka"),
            ("HX-1002", "0012345678905", "Akumulator"),
            ("HX-1003", None, "Ładowarka"),
            ("inny-1", "5905555000015", "Żarówka (matched by EAN)"),
            ("DUP-A", "5907654321015", "twin A"),
            ("DUP-B", "5907654321015", "twin B"),
        ],
    )


def test_wholesaler_csv_applies_availability_sku_first_then_ean(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    path = wholesaler_csv(
        tmp_path / "feed.csv",
        [
            'HX-1001;5901234123457;"Wkrętarka; zestaw";12;349,00;23;24h;szt.',
            "hx-1002 ;012345678905;Akumulator;0;199,90;23;3-5 dni;szt.",  # case, space, UPC-12
            "HX-1003;;Ładowarka;>10;1\u00a0234,56;23;14 dni;szt.",
            "X-77;5905555000015;Żarówka;brak;7,5;8;;szt.",  # no SKU match: by EAN
            "X-78;5907654321015;Bliźniak;5;1,00;23;;szt.",  # EAN of two products: ambiguous
            "X-79;;Nieznany;5;1.234;23;;szt.",  # unmatched; '.' is a thousands separator here
            "HX-9999;;Zły stan;-3;1,00;23;;szt.",  # invalid
        ],
    )
    integration_id, _ = supplier(db, system_actor, path)
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded", run.message
    assert (run.rows_read, run.rows_valid, run.rows_invalid) == (7, 6, 1)
    assert (run.matched, run.unmatched, run.ambiguous) == (4, 1, 1)
    assert {"line": 8, "reason": "stock '-3' is negative", "level": "error"} in run.errors
    assert any(e["level"] == "ambiguous" and "DUP-A, DUP-B" in e["reason"] for e in run.errors)
    got = offers(db)
    assert got["HX-1001"]["sku"] == "HX-1001"
    assert got["HX-1001"]["stock_quantity"] == 12
    assert got["HX-1001"]["delivery_days"] == 1
    assert Decimal(str(got["HX-1001"]["purchase_price"])) == Decimal("349")
    assert got["HX-1002"]["sku"] == "HX-1002"
    assert got["HX-1003"]["stock_quantity"] == 10
    assert Decimal(str(got["HX-1003"]["purchase_price"])) == Decimal("1234.56")
    assert got["X-77"]["sku"] == "inny-1" and got["X-77"]["stock_quantity"] == 0
    assert got["X-78"]["sku"] is None  # ambiguous: never guessed
    assert got["X-79"]["sku"] is None
    assert Decimal(str(got["X-79"]["purchase_price"])) == 1234
    assert "HX-9999" not in got
    detail = catalog.show_product(db.uow(), system_actor, sku="HX-1001")
    assert [(o.stock_quantity, o.delivery_days) for o in detail.offers] == [(Decimal(12), 1)]
    assert detail.offers[0].supplier_name == "Hurtownia"


def test_import_now_reads_in_the_profiles_chunk_size(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    """``chunk_rows`` of the profile counts for ``--now`` as for the queue; rows keep their own values
    whichever chunk they fall in."""
    path = wholesaler_csv(
        tmp_path / "feed.csv",
        [
            "HX-1001;;A;12;1\u00a0234,56;23;24h;szt.",
            "HX-1002;;B;-1;1,00;23;24h;szt.",
            "HX-1003;;C;brak;2,50;23;3-5 dni;szt.",
            "X-1;;D;>10;3,00;23;;szt.",
            "HX-1001;;A again;7;1,00;23;48h;szt.",  # a later line of the same item wins
        ],
    )
    integration_id, _ = supplier(db, system_actor, path, options={"chunk_rows": 2})
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded", run.message
    with db.engine.connect() as conn:
        chunks = conn.execute(text("SELECT chunks_total FROM import_runs WHERE id = :id"), {"id": run.id})
        assert chunks.scalar_one() == 3
    assert (run.rows_read, run.rows_invalid) == (5, 1)
    assert run.errors[0] == {"line": 3, "reason": "stock '-1' is negative", "level": "error"}
    got = offers(db)
    assert (got["HX-1001"]["stock_quantity"], got["HX-1001"]["delivery_days"]) == (7, 2)
    assert (got["HX-1003"]["stock_quantity"], got["HX-1003"]["delivery_days"]) == (0, 5)
    assert got["X-1"]["stock_quantity"] == 10 and got["X-1"]["sku"] is None


def test_a_runs_duration_includes_its_apply(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    """The run ends when its apply has written the offers, not when the apply's transaction began
    (``now()`` in PostgreSQL): with a 1,000,000-row feed the reported duration left out 16 s."""
    path = wholesaler_csv(tmp_path / "feed.csv", ["HX-1001;;A;12;1,00;23;24h;szt."])
    integration_id, _ = supplier(db, system_actor, path)
    run = run_now(db, system_actor, integration_id)
    with db.engine.connect() as conn:
        apply_began = conn.execute(text("SELECT max(updated_at) FROM integration_product_links")).scalar_one()
    assert run.finished_at is not None and run.finished_at > apply_began
    assert run.duration_s == pytest.approx((run.finished_at - run.started_at).total_seconds())


def test_vanished_items_get_stock_zero_unless_turned_off(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    path = wholesaler_csv(
        tmp_path / "feed.csv",
        ["HX-1001;;A;12;1,00;23;24h;szt.", "HX-1002;;B;7;1,00;23;24h;szt."],
    )
    integration_id, task_id = supplier(db, system_actor, path)
    assert run_now(db, system_actor, integration_id).status == "succeeded"
    wholesaler_csv(path, ["HX-1001;;A;11;1,00;23;24h;szt."])
    limited = run_now(db, system_actor, integration_id, limit=1)
    assert (
        limited.zeroed == 0 and offers(db)["HX-1002"]["stock_quantity"] == 7
    )  # a partial read zeroes nothing
    run = run_now(db, system_actor, integration_id)
    assert run.zeroed == 1
    got = offers(db)
    assert got["HX-1001"]["stock_quantity"] == 11
    assert got["HX-1002"]["stock_quantity"] == 0
    assert got["HX-1002"]["delivery_days"] == 1  # only the stock changes
    integrations.update_import_profile(db.uow(), system_actor, task_id, options={"zero_missing": False})
    wholesaler_csv(path, ["HX-1002;;B;3;1,00;23;24h;szt."])
    assert run_now(db, system_actor, integration_id).zeroed == 0
    assert offers(db)["HX-1001"]["stock_quantity"] == 11


def test_manual_link_and_unlink_survive_imports(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    path = wholesaler_csv(tmp_path / "f.csv", ["X-1;;A;1;1,00;23;;szt.", "HX-1001;;B;2;1,00;23;;szt."])
    integration_id, _ = supplier(db, system_actor, path)
    run_now(db, system_actor, integration_id)
    assert [
        o.external_id
        for o in catalog.list_unlinked_offers(db.uow(), system_actor, integration_id=integration_id)
    ] == ["X-1"]
    catalog.link_offer(
        db.uow(), system_actor, integration_id=integration_id, external_id="X-1", sku="HX-1003"
    )
    catalog.unlink_offer(db.uow(), system_actor, integration_id=integration_id, external_id="HX-1001")
    run = run_now(db, system_actor, integration_id)
    assert run.matched == 1 and run.unmatched == 1
    got = offers(db)
    assert (got["X-1"]["sku"], got["X-1"]["source"]) == ("HX-1003", "manual")
    assert (got["HX-1001"]["sku"], got["HX-1001"]["source"]) == (None, "manual")
    link = catalog.link_integration_products(db.uow(), system_actor, integration_id=integration_id)
    assert offers(db)["HX-1001"]["sku"] is None  # auto-linking respects the manual unlink
    assert link.examined == 0


def test_auto_link_finds_products_added_after_the_import(
    db: Any, system_actor: Actor, tmp_path: Path
) -> None:
    path = wholesaler_csv(
        tmp_path / "f.csv", ["NEW-1;;A;1;1,00;23;;szt.", "NEW-2;5901234123457;B;2;1,00;23;;szt."]
    )
    integration_id, _ = supplier(db, system_actor, path)
    assert run_now(db, system_actor, integration_id).unmatched == 2
    add_products(db, [("new-1", None, "A"), ("OTHER", "5901234123457", "B")])
    result = catalog.link_integration_products(db.uow(), system_actor, integration_id=integration_id)
    assert (result.examined, result.linked, result.ambiguous, result.unmatched) == (2, 2, 0, 0)
    assert offers(db)["NEW-1"]["sku"] == "new-1"
    assert offers(db)["NEW-2"]["sku"] == "OTHER"


def test_two_profiles_of_one_supplier_keep_each_others_fields(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    stock = wholesaler_csv(tmp_path / "stock.csv", ["HX-1001;;A;12;;23;24h;szt."])
    integration_id, _ = supplier(
        db,
        system_actor,
        stock,
        mappings={"sku": "Indeks", "stock_quantity": "Stan", "delivery_days": "Termin dostawy"},
    )
    prices_profile(db, system_actor, integration_id, tmp_path, "kod;cena\nHX-1001;99,90\n")
    runs = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    got = offers(db)["HX-1001"]
    assert got["stock_quantity"] == 12 and Decimal(str(got["purchase_price"])) == Decimal("99.9")
    runs = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert [r.zeroed for r in runs] == [0, 0]


GOOGLE = """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel>
 <item><g:id>HX-1001</g:id><g:availability>in_stock</g:availability><g:price>349.00 PLN</g:price></item>
 <item><g:id>G-2</g:id><g:gtin>0012345678905</g:gtin><g:availability>out of stock</g:availability>
   <g:price>199.90 PLN</g:price></item>
</channel></rss>"""

CENEO = """<?xml version="1.0" encoding="UTF-8"?>
<offers version="1"><group>
 <o id="C-1" price="349.00" avail="1" stock="12"><name><![CDATA[Wkrętarka]]></name>
  <attrs><a name="EAN"><![CDATA[5901234123457]]></a></attrs></o></group>
 <o id="HX-1003" price="89.00" avail="99" stock="0"><attrs/></o>
</offers>"""


def test_google_merchant_feed(db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path) -> None:
    path = tmp_path / "google.xml"
    path.write_text(GOOGLE, encoding="utf-8")
    integration_id, _ = supplier(
        db, system_actor, path, format="xml", mappings={}, options={"nominal_quantity": 21}
    )
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded", run.message
    got = offers(db)
    assert got["HX-1001"]["stock_quantity"] == 21 and Decimal(str(got["HX-1001"]["purchase_price"])) == 349
    assert got["G-2"]["sku"] == "HX-1002" and got["G-2"]["stock_quantity"] == 0
    (profile,) = integrations.list_import_profiles(db.uow(), system_actor, integration_id=integration_id)
    assert profile.last_headers is not None and "g:availability" in profile.last_headers


def test_ceneo_feed(db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path) -> None:
    path = tmp_path / "ceneo.xml"
    path.write_text(CENEO, encoding="utf-8")
    integration_id, _ = supplier(db, system_actor, path, format="xml", mappings={})
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded", run.message
    got = offers(db)
    assert got["C-1"]["sku"] == "HX-1001" and got["C-1"]["delivery_days"] == 1
    assert got["HX-1003"]["stock_quantity"] == 0
    assert got["HX-1003"]["delivery_days"] is None  # avail 99: "ask the shop", no promise


# ------------------------------------------------------------------ all or nothing


BAD_FEEDS = {
    "unreadable": (b"\x00\x01\x02binary", "csv", "binary"),
    "missing column": ("Kod;Ilosc\r\nHX-1001;5\r\n".encode("cp1250"), "csv", "no column"),
    "zero rows": (HEADER.encode("cp1250"), "csv", "no rows"),
    "all rows invalid": (
        (HEADER + "HX-1001;;A;-1;1,00;23;;szt.\r\n").encode("cp1250"),
        "csv",
        "None of the 1",
    ),
    "malformed xml": (b'<offers><o id="HX-1001" stock="1"></offers>', "xml", "malformed"),
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<offers><o id="&b;" stock="1"/></offers>',
        "xml",
        "refused for safety",
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<offers><o id="HX-1001" stock="1"><name>&x;</name></o></offers>',
        "xml",
        "refused for safety",
    ),
    "xml path in no record": (b'<offers><o id="HX-1001" stock="1"/></offers>', "xml", "No record"),
}


@pytest.mark.parametrize("case", list(BAD_FEEDS))
def test_failed_run_changes_nothing_and_says_why(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path, case: str
) -> None:
    good = wholesaler_csv(
        tmp_path / "good.csv", ["HX-1001;;A;12;1,00;23;24h;szt.", "HX-1002;;B;3;2,00;23;;szt."]
    )
    integration_id, task_id = supplier(db, system_actor, good)
    assert run_now(db, system_actor, integration_id).status == "succeeded"
    before = offers(db)
    content, fmt, reason = BAD_FEEDS[case]
    bad = tmp_path / f"bad.{fmt}"
    bad.write_bytes(content)
    mappings = WHOLESALER_MAPPINGS if fmt == "csv" else {"sku": "@id", "stock_quantity": "@stock"}
    if case == "xml path in no record":
        mappings = {"sku": "@id", "stock_quantity": "stan"}
    integrations.update_import_profile(
        db.uow(), system_actor, task_id, source_location=str(bad), format=fmt, mappings=mappings
    )
    run = run_now(db, system_actor, integration_id)
    assert run.status == "failed"
    assert reason in (run.message or ""), run.message
    assert offers(db) == before
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_staged_rows")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM import_run_chunks")).scalar() == 0


def test_file_over_the_size_limit_is_refused(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    path = wholesaler_csv(tmp_path / "f.csv", ["HX-1001;;A;12;1,00;23;24h;szt."] * 50)
    integration_id, _ = supplier(db, system_actor, path, options={"max_bytes": 500})
    run = run_now(db, system_actor, integration_id)
    assert run.status == "failed" and "over the limit" in (run.message or "")
    assert offers(db) == {}


def test_interrupted_run_is_failed_later_and_applied_nothing(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    """A worker killed between chunks leaves staged rows and a 'running' run; nothing is applied, and the
    stale-run sweep (run by every scheduled import) fails it with the reason."""
    path = wholesaler_csv(tmp_path / "f.csv", [f"HX-100{i};;A;{i};1,00;23;;szt." for i in range(1, 4)])
    integration_id, _ = supplier(db, system_actor, path)
    (run,) = imports.create_import_runs(db.uow(), system_actor, integration_id=integration_id)
    stored: list[int] = []
    imports.read_feed(
        db.uow,
        run.id,
        lambda n, rows: (imports.store_chunk(db.uow(), run.id, n, rows), stored.append(n)),
        chunk_rows=1,
    )
    assert imports.stage_chunk(db.uow, run.id, 0) is False  # 1 of 3 chunks staged, then the worker dies
    assert offers(db) == {}
    assert imports_runs.fail_stale_runs(db.uow(), older_than_s=3600) == []
    assert imports_runs.fail_stale_runs(db.uow(), older_than_s=0) == [run.id]
    after = imports.get_run(db.uow(), run.id)
    assert after.status == "failed" and "worker killed" in (after.message or "")
    assert imports.stage_chunk(db.uow, run.id, 1) is False  # a late chunk job does nothing
    assert offers(db) == {}


def test_permissions_and_bad_arguments(db: Any, system_actor: Actor, tmp_path: Path) -> None:
    operator = Actor(login="op", role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        integrations.create_integration(db.uow(), operator, type="supplier_feed", name="X")
    with pytest.raises(ValidationError, match="Unknown integration type"):
        integrations.create_integration(db.uow(), system_actor, type="ftp", name="X")
    integration = integrations.create_integration(db.uow(), system_actor, type="supplier_feed", name="X")
    with pytest.raises(ValidationError, match="sku or ean"):
        integrations.create_import_profile(
            db.uow(),
            system_actor,
            integration_id=integration.id,
            name="p",
            source_location="/x.csv",
            format="csv",
            mappings={"stock_quantity": "Stan"},
        )
    with pytest.raises(ValidationError, match="Unknown option"):
        integrations.create_import_profile(
            db.uow(),
            system_actor,
            integration_id=integration.id,
            name="p",
            source_location="/x.csv",
            format="csv",
            options={"delimeter": ";"},
            mappings={"sku": "a"},
        )
    with pytest.raises(ValidationError, match="no enabled import profile"):
        imports.create_import_runs(db.uow(), system_actor, integration_id=integration.id)
    with pytest.raises(NotFound):
        imports.create_import_runs(db.uow(), system_actor, integration_id=999)


def test_copy_escapes_backslashes_tabs_and_newlines(db: Any, system_actor: Actor, tmp_path: Path) -> None:
    add_products(db, [("A\\B", None, "backslash in the SKU")])
    path = tmp_path / "odd.csv"
    path.write_bytes('sku;stan\r\nA\\B;3\r\n"C\tD";"x\ny"\r\n'.encode("cp1250"))
    integration_id, _ = supplier(db, system_actor, path, mappings={"sku": "sku", "stock_quantity": "stan"})
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded", run.message
    assert offers(db)["A\\B"]["stock_quantity"] == 3 and offers(db)["A\\B"]["sku"] == "A\\B"
    assert run.errors[0]["reason"] == "stock 'x\ny' is not a quantity"


def _vacuum_jobs(db: Any) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t AND status = 'todo'"),
                {"t": maintenance.VACUUM_TASK},
            ).scalar_one()
        )


def test_an_import_that_changed_many_offers_queues_one_vacuum(
    db: Any, system_actor: Actor, tmp_path: Path
) -> None:
    few = wholesaler_csv(tmp_path / "few.csv", ["S-1;;Towar;5;1,00;23;2 dni;szt."])
    small, _ = supplier(db, system_actor, few, name="Mała hurtownia")
    assert run_now(db, system_actor, small).status == "succeeded"
    assert _vacuum_jobs(db) == 0, "a handful of offers: autovacuum's pace is enough"

    lines = [f"S-{n};;Towar {n};{n % 50};1,00;23;2 dni;szt." for n in range(maintenance.VACUUM_AFTER_ROWS)]
    big, _ = supplier(db, system_actor, wholesaler_csv(tmp_path / "many.csv", lines), name="Duża hurtownia")
    assert run_now(db, system_actor, big).status == "succeeded"
    assert _vacuum_jobs(db) == 1
    assert run_now(db, system_actor, big).status == "succeeded"  # nothing changed: nothing more to vacuum
    assert _vacuum_jobs(db) == 1

    def vacuums() -> int:
        with db.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'integration_product_links'"
                    )
                ).scalar_one()
            )

    from rexbit_desktop.queueing import resolve_task

    assert resolve_task(maintenance.VACUUM_TASK).queue == maintenance.VACUUM_QUEUE
    before = vacuums()
    assert maintenance.vacuum_tables(db.engine) == list(maintenance.BULK_TABLES)
    assert vacuums() == before + 1
    with pytest.raises(ValidationError, match="orders"):
        maintenance.vacuum_tables(db.engine, ["orders"])


def _offer_columns(db: Any) -> dict[str, tuple[Any, Any]]:
    with db.engine.connect() as conn:
        return {
            r.external_id: (r.offer_stock, r.offer_delivery_days)
            for r in conn.execute(
                text("SELECT external_id, offer_stock, offer_delivery_days FROM integration_product_links")
            )
        }


def test_typed_offer_columns_follow_each_run(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path
) -> None:
    """The import writes offer_stock / offer_delivery_days from its parsed values (migration 0009); the
    database fixture checks after every test that they equal the rule's functions on the JSON."""
    stock = wholesaler_csv(
        tmp_path / "stock.csv",
        [
            "HX-1001;;A;;1,00;23;24h;szt.",  # empty stock: 0, as an absent one
            "HX-1002;;B;7;1,00;23;;szt.",  # no delivery time: NULL
            "HX-1003;;C;100 000 000 000;1,00;23;2 tyg.;szt.",  # too large: invalid row, the run goes on
        ],
    )
    integration_id, _ = supplier(db, system_actor, stock)
    run = run_now(db, system_actor, integration_id)
    assert run.status == "succeeded" and run.rows_invalid == 1, run.message
    assert any(e["line"] == 4 and "too large" in e["reason"] for e in run.errors)
    assert _offer_columns(db) == {"HX-1001": (0, 1), "HX-1002": (7, None)}

    # A prices-only profile keeps the stock columns; the next stock run zeroes what vanished.
    prices_profile(db, system_actor, integration_id, tmp_path, "kod;cena\nHX-1001;99,90\nHX-1003;5,00\n")
    wholesaler_csv(stock, ["HX-1002;;B;9;1,00;23;3-5 dni;szt."])
    runs = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert _offer_columns(db) == {"HX-1001": (0, 1), "HX-1002": (9, 5), "HX-1003": (0, None)}


def _queued_run(db: Any, actor: Actor, integration_id: int) -> int:
    (run,) = imports.create_import_runs(db.uow(), actor, integration_id=integration_id)
    return run.id


def _status(db: Any, run_id: int) -> tuple[str, int, int | None]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, chunks_done, chunks_total FROM import_runs WHERE id = :id"), {"id": run_id}
        ).one()
    return row.status, row.chunks_done, row.chunks_total


def test_chunks_staged_while_the_feed_is_read_are_applied_by_the_reader(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk job is deferred as soon as its chunk is stored. When other workers stage every chunk
    before reading ends, no chunk job knew it was the last (the number of chunks was not known yet): the
    reader must apply the run, or it would stay 'running' with nothing applied."""
    lines = [f"HX-100{i};;P;{i};1,00;23;24h;szt." for i in (1, 2, 3)]
    integration_id, _ = supplier(
        db, system_actor, wholesaler_csv(tmp_path / "f.csv", lines), options={"chunk_rows": 1}
    )
    run_id = _queued_run(db, system_actor, integration_id)
    deferred: list[tuple[str, dict[str, Any]]] = []

    def a_fast_second_worker(_db: Any, task: str, **kwargs: Any) -> int:
        deferred.append((task, kwargs))
        assert imports.stage_chunk(db.uow, kwargs["run_id"], kwargs["chunk_no"]) is False  # total unknown
        return len(deferred)

    monkeypatch.setattr(imports, "_defer", a_fast_second_worker)
    result = imports.run_queued_import(db, run_id)
    assert [kw["chunk_no"] for _, kw in deferred] == [0, 1, 2]  # one job per chunk, deferred while reading
    assert result["status"] == "succeeded", result
    assert _status(db, run_id) == ("succeeded", 3, 3)
    assert offers(db)["HX-1003"]["stock_quantity"] == 3


def test_a_chunk_staged_by_two_attempts_at_once_counts_once(
    db: Any, system_actor: Actor, catalog_products: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stalled chunk job rescued while it still runs: both attempts stage the same stored chunk. The one
    that finds the chunk gone when it is done keeps nothing, so the run counts the chunk once (counting it
    twice would apply the run before its last chunk was staged)."""
    import threading

    lines = [f"HX-100{i};;P;{i};1,00;23;24h;szt." for i in (1, 2)]
    integration_id, _ = supplier(
        db, system_actor, wholesaler_csv(tmp_path / "f.csv", lines), options={"chunk_rows": 1}
    )
    run_id = _queued_run(db, system_actor, integration_id)

    def store(chunk_no: int, rows: list[Any]) -> None:
        imports.store_chunk(db.uow(), run_id, chunk_no, rows)

    assert imports.read_feed(db.uow, run_id, store) == 2
    first_has_read, second_is_done = threading.Event(), threading.Event()
    read_values = imports.read_chunk_values

    def slow_in_the_first_attempt(reader: Any, rows: list[Any]) -> Any:
        if threading.current_thread().name == "first":
            first_has_read.set()
            assert second_is_done.wait(30)
        return read_values(reader, rows)

    monkeypatch.setattr(staging, "read_chunk_values", slow_in_the_first_attempt)
    results: dict[str, bool] = {}
    first = threading.Thread(
        target=lambda: results.__setitem__("first", imports.stage_chunk(db.uow, run_id, 0)), name="first"
    )
    first.start()
    assert first_has_read.wait(30)
    results["second"] = imports.stage_chunk(db.uow, run_id, 0)
    second_is_done.set()
    first.join(30)
    assert results == {"first": False, "second": False}  # neither completes the run: chunk 1 is not staged
    assert _status(db, run_id) == ("running", 1, 2)
    assert imports.stage_chunk(db.uow, run_id, 1) is True  # the last chunk: now the run may be applied
    assert imports.apply_run(db.uow, run_id).rows_read == 2
