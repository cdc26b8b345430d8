"""``rexbit demo`` fills an empty database with consistent data, and refuses a database with data.

One demo run (the README's ``rexbit demo --if-empty`` on a brand-new database, schema included), then
the invariants the app relies on are checked with SQL on what it wrote.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from stdnum import ean

from rexbit_desktop.db.session import make_engine, open_database
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.orders import OrderStatus
from rexbit_desktop.services import demo, demo_data, users

pytestmark = pytest.mark.slow  # real processes; each test takes more than a few seconds


def rexbit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_db(pg_admin_url: str) -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    """A new, empty database (no schema) filled by the README's command."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"rexbit_demo_{uuid.uuid4().hex[:8]}"
    admin = pg_admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, rexbit("--database-url", url, "demo", "--if-empty")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def engine(demo_db: tuple[str, subprocess.CompletedProcess[str]]) -> Iterator[Engine]:
    url, result = demo_db
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    eng = make_engine(url)
    yield eng
    eng.dispose()


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_the_command_reports_what_it_made(demo_db: tuple[str, subprocess.CompletedProcess[str]]) -> None:
    _, result = demo_db
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "300 products" in out and "60 orders" in out
    for login, _role, _name, password in demo.DEMO_USERS:
        assert re.search(rf"{login}\s+{password}", out), "the demo logins are printed"
    assert re.search(r"feed import run \d+: succeeded", out), out


def test_products_are_valid_and_polish(engine: Engine) -> None:
    products = rows(engine, "SELECT sku, ean, name, unit, vat_rate FROM products ORDER BY sku")
    assert [p[0] for p in products] == [f"HX-{n:04d}" for n in range(1, 301)]
    assert all(ean.is_valid(p[1]) and len(p[1]) == 13 for p in products)
    assert len({p[1] for p in products}) == 300
    assert {p[4] for p in products} == {Decimal("23"), Decimal("8"), Decimal("5")}
    assert len({p[2] for p in products}) == 300, "names are distinct"
    letters = set("".join(p[2] for p in products))
    assert set("ąęłńśźżóŁŚŻĆ") <= letters
    assert {"szt.", "opak.", "kg", "m"} <= {p[3] for p in products}


def test_feed_matches_the_catalog(engine: Engine) -> None:
    # The shipped wholesaler feed uses the same SKUs and EANs: the import linked its rows to products.
    feed = (demo.feeds_dir() / demo.DEMO_FEED).read_bytes().decode("cp1250").splitlines()[1:]
    by_sku = {line.split(";")[0]: line.split(";")[1] for line in feed}
    catalog = dict(rows(engine, "SELECT sku, ean FROM products"))
    shared = [sku for sku in by_sku if sku in catalog and by_sku[sku]]
    assert len(shared) > 250
    assert all(by_sku[sku] == catalog[sku] for sku in shared)
    (task_location,) = rows(engine, "SELECT source_location FROM integration_tasks")[0]
    assert Path(task_location).is_file()
    integration = rows(
        engine,
        "SELECT i.type, c.name, c.nip FROM integrations i JOIN contractors c ON c.id = i.contractor_id",
    )
    assert integration[0][0] == "supplier_feed" and integration[0][2]
    linked = scalar(
        engine,
        "SELECT count(*) FROM integration_product_links WHERE product_id IS NOT NULL "
        "AND supplier_availability ? 'stock_quantity'",
    )
    assert int(linked) > 250  # type: ignore[call-overload]


def test_warehouses_and_stock_ledger_agree(engine: Engine) -> None:
    assert rows(engine, "SELECT code, is_default FROM warehouses ORDER BY code") == [
        ("MAG1", True),
        ("MAG2", False),
    ]
    pz = rows(
        engine,
        "SELECT d.number, d.status, count(i.id) FROM warehouse_documents d "
        "JOIN warehouse_document_items i ON i.document_id = d.id WHERE d.type = 'PZ' GROUP BY d.id ORDER BY d.number",
    )
    assert len(pz) == 3 and all(status == "posted" and lines > 0 for _, status, lines in pz)
    assert all(re.fullmatch(r"PZ/\d{4}/\d{2}/\d{4}", number) for number, _, _ in pz)
    # Every stock total is explained by its ledger rows and keeps 0 <= reserved <= on_hand.
    mismatches = rows(
        engine,
        """
        SELECT t.product_id, t.warehouse_id, t.on_hand, t.reserved, m.on_hand, m.reserved
        FROM warehouse_stock_totals t
        FULL JOIN (SELECT product_id, warehouse_id, sum(on_hand_delta) AS on_hand,
                          sum(reserved_delta) AS reserved
                   FROM stock_movements GROUP BY 1, 2) m USING (product_id, warehouse_id)
        WHERE t.on_hand IS DISTINCT FROM m.on_hand OR t.reserved IS DISTINCT FROM m.reserved
           OR t.reserved < 0 OR t.reserved > t.on_hand
        """,
    )
    assert mismatches == []
    # reserved == what the open reservations still hold, per product and warehouse.
    mismatches = rows(
        engine,
        """
        SELECT t.product_id, t.warehouse_id, t.reserved, coalesce(r.held, 0)
        FROM warehouse_stock_totals t
        LEFT JOIN (SELECT product_id, warehouse_location_id AS warehouse_id,
                          sum(reserved_qty - released_qty) AS held
                   FROM order_item_reservations WHERE status <> 'released' GROUP BY 1, 2) r
          USING (product_id, warehouse_id)
        WHERE t.reserved <> coalesce(r.held, 0)
        """,
    )
    assert mismatches == []
    assert int(scalar(engine, "SELECT sum(reserved) FROM warehouse_stock_totals")) > 0  # type: ignore[call-overload]


def test_orders_in_every_status_with_consistent_documents(engine: Engine) -> None:
    counts = dict(rows(engine, "SELECT status, count(*) FROM orders GROUP BY status"))
    assert counts == {s.value: n for s, n in demo_data.ORDERS_PER_STATUS.items()}
    assert set(counts) == {s.value for s in OrderStatus}
    assert sum(counts.values()) >= 60

    incomplete = rows(
        engine,
        """
        SELECT o.number FROM orders o
        WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)
           OR NOT EXISTS (SELECT 1 FROM order_addresses a WHERE a.order_id = o.id AND a.type = 'customer')
           OR NOT EXISTS (SELECT 1 FROM order_addresses a WHERE a.order_id = o.id AND a.type = 'shipping')
           OR NOT EXISTS (SELECT 1 FROM order_payments p WHERE p.order_id = o.id)
           OR o.total_gross <= 0
           OR o.status <> (SELECT h.to_status FROM order_status_history h WHERE h.order_id = o.id
                           ORDER BY h.created_at DESC, h.id DESC LIMIT 1)
        """,
    )
    assert incomplete == []
    # History starts at creation and tells who acted; it is spread over the order's life.
    first = rows(
        engine,
        "SELECT DISTINCT ON (order_id) from_status, to_status FROM order_status_history ORDER BY order_id, id",
    )
    assert set(first) == {(None, "draft")}
    actors = {r[0] for r in rows(engine, "SELECT DISTINCT changed_by FROM order_status_history")}
    assert {"operator", "kierownik"} <= actors
    assert int(scalar(engine, "SELECT count(DISTINCT created_at::date) FROM order_status_history")) > 10  # type: ignore[call-overload]

    def per_status(sql: str) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for status, n in rows(engine, sql):
            found.setdefault(status, set()).add(int(n))
        return found

    open_reservations = per_status(
        """
        SELECT o.status, (SELECT count(*) FROM order_item_reservations r JOIN order_items i ON i.id = r.order_item_id
                          WHERE i.order_id = o.id AND r.status <> 'released')
        FROM orders o
        """
    )
    posted_wz = per_status(
        """
        SELECT o.status, (SELECT count(*) FROM warehouse_documents d
                          WHERE d.order_id = o.id AND d.type = 'WZ' AND d.status = 'posted')
        FROM orders o
        """
    )
    # Before the warehouse: nothing reserved, nothing issued.
    for status in ("draft", "awaiting_payment", "paid"):
        assert open_reservations[status] == {0} and posted_wz[status] == {0}
    # In the warehouse: reserved, not issued yet.
    for status in ("awaiting_fulfillment", "picking"):
        assert 0 not in open_reservations[status] and posted_wz[status] == {0}
    # Packed and later: the WZ is posted and consumed the reservations.
    for status in ("ready_for_shipment", "shipped", "completed", "return_requested", "returned"):
        assert open_reservations[status] == {0} and 0 not in posted_wz[status], status
    assert open_reservations["cancelled"] == {0} and posted_wz["cancelled"] == {0}

    wz = rows(engine, "SELECT number FROM warehouse_documents WHERE type = 'WZ'")
    assert wz and all(re.fullmatch(r"WZ/\d{4}/\d{2}/\d{4}", n) for (n,) in wz)
    assert len({n for (n,) in wz}) == len(wz)
    empty_docs = rows(
        engine,
        "SELECT d.number FROM warehouse_documents d WHERE NOT EXISTS "
        "(SELECT 1 FROM warehouse_document_items i WHERE i.document_id = d.id)",
    )
    assert empty_docs == []
    # A cancelled order whose WZ was posted got a storno IN; returned orders' goods came back the same way.
    storno_orders = {
        s
        for (s,) in rows(
            engine,
            "SELECT o.status FROM warehouse_documents d JOIN orders o ON o.id = d.order_id WHERE d.type = 'IN'",
        )
    }
    assert storno_orders == {"cancelled", "returned"}
    # Several warehouses in one order give one WZ per warehouse.
    assert (
        int(
            scalar(
                engine,
                "SELECT count(*) FROM warehouse_documents WHERE type = 'WZ' AND warehouse_id = (SELECT id FROM warehouses WHERE code = 'MAG2')",
            )
        )
        > 0
    )  # type: ignore[call-overload]
    shipped = rows(
        engine,
        "SELECT count(*) FROM orders o WHERE o.status IN ('shipped', 'completed', 'return_requested', 'returned') "
        "AND NOT EXISTS (SELECT 1 FROM order_shipments s WHERE s.order_id = o.id AND s.tracking_number IS NOT NULL)",
    )
    assert shipped == [(0,)]
    assert int(scalar(engine, "SELECT count(*) FROM order_item_shortages WHERE status = 'open'")) > 0  # type: ignore[call-overload]


def test_demo_users_log_in_with_the_documented_passwords(
    demo_db: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    db = open_database(demo_db[0])
    try:
        for login, role, _name, password in demo.DEMO_USERS:
            assert users.authenticate(db.uow(), login, password).role.value == role
    finally:
        db.dispose()


def test_a_database_with_data_is_refused(
    demo_db: tuple[str, subprocess.CompletedProcess[str]], engine: Engine
) -> None:
    url = demo_db[0]
    before = rows(
        engine,
        "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM products), (SELECT count(*) FROM users)",
    )
    refused, skipped = (
        rexbit("--database-url", url, "demo"),
        rexbit("--database-url", url, "demo", "--if-empty"),
    )
    assert refused.returncode == 1, refused.stderr
    assert "already has data" in refused.stderr and "60 orders" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert skipped.returncode == 0 and skipped.stdout.strip() == "database already has data, demo skipped"
    assert (
        rows(
            engine,
            "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM products), (SELECT count(*) FROM users)",
        )
        == before
    )


def test_refusal_in_the_service_leaves_nothing_behind(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.stock import stock

    stock.add_warehouse(db.uow(), system_actor, code="X1", name="Jedyny magazyn")
    with pytest.raises(demo.DemoRefused, match="1 warehouses") as info:
        demo.fill_demo(db.uow(), system_actor)
    assert isinstance(info.value, RexbitError) and info.value.exit_code == 1
    assert not demo.database_is_empty(db.uow())
    with db.uow() as uow:
        assert (
            uow.session.execute(text("SELECT count(*) FROM users WHERE login <> 'system'")).scalar_one() == 0
        )
    operator = users.actor_for_login(db.uow(), None)
    assert operator.login == "system"


def test_an_inpost_account_that_reaches_nothing(engine: Engine, demo_db) -> None:  # type: ignore[no-untyped-def]
    """The shipment dialog can be tried on the demo; creating a parcel fails: nothing listens there."""
    from rexbit_desktop.adapters.carriers.config import make_client

    ((service, enabled, config),) = rows(engine, "SELECT service, enabled, config FROM carrier_accounts")
    assert (service, enabled) == ("inpost", True)
    assert config["base_url"] == "http://127.0.0.1:9" and config["token"] == "demo-token-reaches-nothing"
    import httpx

    client = make_client(service, config)
    assert str(client.http.base_url).startswith("http://127.0.0.1:9")  # type: ignore[attr-defined]
    with pytest.raises(httpx.ConnectError):  # the discard port: nothing answers, no parcel is ever sent
        client.http.get("/v1/organizations/demo-0000")  # type: ignore[attr-defined]
