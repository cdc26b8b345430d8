"""Benchmark: the orders list on 1,000,000 orders, through the same service calls the UI makes.

    .venv/bin/python bench/orders_list.py [--admin-url URL] [--orders 1000000] [--runs 7] [--fresh]

Creates (or reuses) the scratch database ``rexbit_bench_orders`` on the server of ``--admin-url``
(default: REXBIT_TEST_DATABASE_URL, else the local server), migrates it, generates the orders with
``INSERT … SELECT generate_series`` (indexes dropped during the load and rebuilt after), and times:

* the first page, each filter change, search, every sort, a deep page — ``list_orders`` and
  ``count_orders`` from ``services.order_queries`` (what the list does on each change), p50/max of
  ``--runs`` runs after one warm-up;
* naive baselines in the same run: OFFSET paging, an exact ``count(*)``, search and sort without the
  indexes (dropped inside a transaction that is rolled back), client-side filtering of a big fetch.

Exits non-zero when the first page of a change (what the user waits for before the rows appear) is
slower than the 300 ms budget at p50. The count runs beside it on the pool and fills the counter
label; the summary also lists the cases whose page + count, added up, is over the budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import text

from rexbit_desktop.db.session import Database, make_engine, open_database, upgrade_schema
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.orders.queries import (
    MANUAL,
    OrderListFilter,
    OrderSort,
    SortKey,
    count_orders,
    list_orders,
)

BUDGET_MS = 300.0
PAGE = 200
DB_NAME = "rexbit_bench_orders"
OPERATOR = Actor(login="bench", role=Role.OPERATOR)

FIRST = [
    "Jan",
    "Anna",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Małgorzata",
    "Paweł",
    "Agnieszka",
    "Łukasz",
    "Zofia",
    "Michał",
    "Ewa",
    "Krzysztof",
    "Joanna",
    "Grzegorz",
    "Magdalena",
    "Marcin",
    "Barbara",
    "Józef",
    "Elżbieta",
]
FIRST_ASCII = [
    "jan",
    "anna",
    "piotr",
    "katarzyna",
    "tomasz",
    "malgorzata",
    "pawel",
    "agnieszka",
    "lukasz",
    "zofia",
    "michal",
    "ewa",
    "krzysztof",
    "joanna",
    "grzegorz",
    "magdalena",
    "marcin",
    "barbara",
    "jozef",
    "elzbieta",
]
LAST = [
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
    "Piotrowski",
    "Grabowski",
    "Nowakowski",
    "Pawłowski",
    "Michalski",
    "Król",
    "Wieczorek",
    "Jabłoński",
    "Wróbel",
    "Nowicki",
    "Majewski",
    "Olszewski",
    "Stępień",
    "Malinowski",
    "Jaworski",
    "Adamczyk",
    "Dudek",
    "Nowacki",
    "Pawlak",
    "Górski",
    "Witkowski",
    "Walczak",
    "Sikora",
    "Baran",
]
LAST_ASCII = ["nowak", "kowalski", "wisniewski", "wojcik", "kowalczyk", "kaminski", "lewandowski", "zielinski",
              "szymanski", "wozniak", "dabrowski", "kozlowski", "jankowski", "mazur", "kwiatkowski", "krawczyk",
              "piotrowski", "grabowski", "nowakowski", "pawlowski", "michalski", "krol", "wieczorek", "jablonski",
              "wrobel", "nowicki", "majewski", "olszewski", "stepien", "malinowski", "jaworski", "adamczyk",
              "dudek", "nowacki", "pawlak", "gorski", "witkowski", "walczak", "sikora", "baran"]  # fmt: skip
START = datetime(2023, 12, 1, tzinfo=UTC)


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _orders_count(url: str) -> int:
    try:
        with psycopg.connect(_conninfo(url)) as conn:
            return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return -1


def prepare(admin_url: str, n: int, fresh: bool) -> str:
    url = _with_db(admin_url, DB_NAME)
    if not fresh and _orders_count(url) == n:
        print(f"reusing {DB_NAME} with {n:,} orders")
        return url
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    engine = make_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    t0 = time.perf_counter()
    generate(url, n)
    print(f"generated {n:,} orders (+ items) in {time.perf_counter() - t0:.1f} s")
    return url


def _session(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(_conninfo(url), autocommit=True)
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '512MB'")
    # The FK triggers of order_items are skipped for the load (the ids are generated to match), which
    # also lets orders and their items be inserted at the same time on two connections.
    conn.execute("SET session_replication_role = replica")
    return conn


def _both(jobs: list[Callable[[], None]]) -> None:
    """Run the jobs on two connections at once (2 cores: one CPU-bound statement each)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def generate(url: str, n: int) -> None:
    first, first_a = _sql_array(FIRST), _sql_array(FIRST_ASCII)
    last, last_a = _sql_array(LAST), _sql_array(LAST_ASCII)
    with _session(url) as conn:
        conn.execute(
            "INSERT INTO integrations (id, name, type) VALUES (1, 'Sklep główny', 'prestashop_db'),"
            " (2, 'Sklep hurtowy', 'prestashop_db')"
        )
        conn.execute(
            "INSERT INTO warehouses (id, code, name, is_default) VALUES (1, 'MAG', 'Magazyn główny', true),"
            " (2, 'SKLEP', 'Sklep stacjonarny', false)"
        )
        # Drop the secondary indexes (and the unique number) for the load and build them afterwards:
        # much faster than maintaining 17 indexes row by row.
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('orders', 'order_items')"
            " AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("ALTER TABLE orders DROP CONSTRAINT uq_orders_number")

    def insert_orders() -> None:
        t = time.perf_counter()
        with _session(url) as conn:
            conn.execute("SELECT setseed(0.42)")
            conn.execute(
                f"""
                    INSERT INTO orders (id, number, status, payment_status, fulfillment_status, currency, total_net,
                                        total_gross, total_paid, integration_id, warehouse_id, source, customer_name,
                                        customer_email, created_at, updated_at)
                    SELECT g,
                           'ZAM/' || to_char(ts, 'YYYY/MM') || '/' || lpad(g::text, 7, '0'),
                           st, pay,
                           CASE WHEN st IN ('shipped', 'completed', 'return_requested', 'returned') THEN 'shipped'
                                WHEN st IN ('awaiting_fulfillment') THEN 'reserved'
                                WHEN st = 'picking' THEN 'picking' WHEN st = 'ready_for_shipment' THEN 'packed'
                                ELSE 'unassigned' END,
                           'PLN', round(gross / 1.23, 2), gross, CASE WHEN pay = 'paid' THEN gross ELSE 0 END,
                           CASE WHEN r3 < 0.7 THEN 1 WHEN r3 < 0.9 THEN 2 END,
                           CASE WHEN r4 < 0.8 THEN 1 ELSE 2 END,
                           CASE WHEN r3 < 0.9 THEN 'prestashop' ELSE 'manual' END,
                           CASE WHEN g % 50 = 0 THEN NULL ELSE ({first})[1 + fi] || ' ' || ({last})[1 + li] END,
                           ({first_a})[1 + fi] || '.' || ({last_a})[1 + li] || (g % 997) || '@'
                               || (ARRAY['gmail.com', 'wp.pl', 'onet.pl', 'o2.pl', 'interia.pl'])[1 + g % 5],
                           ts, ts
                    FROM (
                        SELECT g, ts, round((10 + random() * 1990)::numeric, 2) AS gross,
                               (g * 7 + (g / 20)) % {len(FIRST)} AS fi, (g * 13 + (g / 7)) % {len(LAST)} AS li,
                               CASE WHEN r1 < 0.55 THEN 'completed' WHEN r1 < 0.70 THEN 'shipped'
                                    WHEN r1 < 0.76 THEN 'cancelled' WHEN r1 < 0.81 THEN 'awaiting_payment'
                                    WHEN r1 < 0.85 THEN 'paid' WHEN r1 < 0.90 THEN 'awaiting_fulfillment'
                                    WHEN r1 < 0.92 THEN 'picking' WHEN r1 < 0.94 THEN 'ready_for_shipment'
                                    WHEN r1 < 0.97 THEN 'draft' WHEN r1 < 0.98 THEN 'return_requested'
                                    ELSE 'returned' END AS st,
                               CASE WHEN r2 < 0.85 THEN 'paid' WHEN r2 < 0.95 THEN 'pending'
                                    WHEN r2 < 0.97 THEN 'partially_paid' ELSE 'refunded' END AS pay,
                               r3, r4
                        FROM (
                            SELECT g, timestamptz '{START.isoformat()}' + g * interval '90 seconds' AS ts,
                                   random() AS r1, random() AS r2, random() AS r3, random() AS r4
                            FROM generate_series(1, {n}) AS g
                        ) raw
                    ) o
                    """
            )
            conn.execute(f"SELECT setval(pg_get_serial_sequence('orders', 'id'), {n})")
        print(f"  orders inserted in {time.perf_counter() - t:.1f} s", flush=True)

    def insert_items() -> None:
        t = time.perf_counter()
        with _session(url) as conn:
            conn.execute(
                f"""
                    INSERT INTO order_items (order_id, name, sku, quantity, price_net, price_gross, vat_rate)
                    SELECT g, 'Produkt HX-' || lpad(((g * 31 + k * 7919) % 20000)::text, 5, '0'),
                           'HX-' || lpad(((g * 31 + k * 7919) % 20000)::text, 5, '0'), 1 + k % 3, 10, 12.30, 23
                    FROM generate_series(1, {n}) AS g, generate_series(1, 3) AS k
                    WHERE k <= 1 + g % 3
                    """
            )
        print(f"  items inserted in {time.perf_counter() - t:.1f} s", flush=True)

    t0 = time.perf_counter()
    _both([insert_orders, insert_items])
    print(f"  data inserted in {time.perf_counter() - t0:.1f} s", flush=True)

    def build(statements: list[tuple[str, str]]) -> Callable[[], None]:
        def run() -> None:
            with _session(url) as conn:
                for name, definition in statements:
                    t = time.perf_counter()
                    conn.execute(definition)
                    print(f"    {name}: {time.perf_counter() - t:.1f} s", flush=True)

        return run

    # The trigram GIN index takes as long as all the B-trees together: it gets a connection of its own.
    gin = [(name, d) for name, d in indexes if "gin" in d.lower()]
    btrees = [(name, d) for name, d in indexes if "gin" not in d.lower()]
    btrees.append(("uq_orders_number", "ALTER TABLE orders ADD CONSTRAINT uq_orders_number UNIQUE (number)"))
    t0 = time.perf_counter()
    _both([build(gin), build(btrees)])
    print(f"  indexes built in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    _both(
        [
            build([("analyze orders", "VACUUM (ANALYZE) orders")]),
            build([("analyze order_items", "VACUUM (ANALYZE) order_items")]),
        ]
    )
    print(f"  vacuum analyze in {time.perf_counter() - t0:.1f} s", flush=True)


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    fn()  # warm-up
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times), result


RESULTS: list[tuple[str, str, float, float, str]] = []
PAGES: dict[str, float] = {}


def report(kind: str, name: str, p50: float, worst: float, note: str = "") -> None:
    RESULTS.append((kind, name, p50, worst, note))
    print(f"{kind:9} {name:48} p50 {p50:8.1f} ms   max {worst:8.1f} ms   {note}")


def ui_answer(db: Database, name: str, flt: OrderListFilter, sort: OrderSort, runs: int) -> None:
    """What one filter change costs the list: the first page and the (bounded) count."""
    p50_page, max_page, page = timed(
        lambda: list_orders(db.uow(), OPERATOR, filters=flt, sort=sort, limit=PAGE), runs
    )
    p50_count, max_count, count = timed(lambda: count_orders(db.uow(), OPERATOR, filters=flt), runs)
    shown = f"{count.value:,}{'' if count.exact else '+'}"
    PAGES[name] = p50_page
    report(
        "service",
        name,
        p50_page + p50_count,
        max_page + max_count,
        f"(page {p50_page:.1f} + count {p50_count:.1f}; rows {len(page.rows)}, count {shown})",
    )


def naive(
    db: Database,
    name: str,
    sql: str,
    runs: int,
    params: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> None:
    def run() -> Any:
        with db.engine.connect() as conn:
            trans = conn.begin()
            try:
                for index in drop:  # rolled back below: the index is only missing for this query
                    conn.execute(text(f'DROP INDEX "{index}"'))
                return conn.execute(text(sql), params or {}).fetchall()
            finally:
                trans.rollback()

    p50, worst, rows = timed(run, runs)
    report("baseline", name, p50, worst, f"(rows {len(rows)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--admin-url",
        default=os.environ.get(
            "REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--fresh", action="store_true", help="regenerate even if the scratch database exists")
    ap.add_argument("--drop", action="store_true", help="drop the scratch database at the end")
    args = ap.parse_args()

    url = prepare(args.admin_url, args.orders, args.fresh)
    db = open_database(url)
    runs = args.runs
    with db.engine.connect() as conn:
        trgm = conn.execute(
            text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_trgm_orders_search'")
        ).scalar()
        newest = conn.execute(text("SELECT max(created_at) FROM orders")).scalar_one()
        a_number = conn.execute(
            text("SELECT number FROM orders WHERE id = :i"), {"i": args.orders // 2}
        ).scalar_one()
    print(f"\ntrigram search index: {'yes' if trgm else 'NO (pg_trgm missing)'}; runs per case: {runs}\n")
    date_sort = OrderSort()
    week = OrderListFilter(created_from=newest - timedelta(days=7))
    cases: list[tuple[str, OrderListFilter, OrderSort]] = [
        ("first page (newest first, no filter)", OrderListFilter(), date_sort),
        ("status = paid (4%)", OrderListFilter(statuses=("paid",)), date_sort),
        ("status = return_requested (1%)", OrderListFilter(statuses=("return_requested",)), date_sort),
        ("status = completed (55%)", OrderListFilter(statuses=("completed",)), date_sort),
        ("payment = refunded (3%)", OrderListFilter(payment_statuses=("refunded",)), date_sort),
        ("source = Sklep hurtowy (20%)", OrderListFilter(integration_ids=(2,)), date_sort),
        ("source = typed in (10%)", OrderListFilter(integration_ids=(MANUAL,)), date_sort),
        ("last 7 days", week, date_sort),
        (
            "status + source + last 7 days",
            OrderListFilter(
                statuses=("awaiting_fulfillment",), integration_ids=(1,), created_from=week.created_from
            ),
            date_sort,
        ),
        ("search surname 'wiśniewsk'", OrderListFilter(search="wiśniewsk"), date_sort),
        ("search full name 'Zofia Kowalczyk'", OrderListFilter(search="Zofia Kowalczyk"), date_sort),
        (f"search order number '{a_number[-7:]}'", OrderListFilter(search=a_number[-7:]), date_sort),
        ("search e-mail 'ewa.mazur13'", OrderListFilter(search="ewa.mazur13"), date_sort),
        ("search SKU 'HX-01234'", OrderListFilter(search="HX-01234"), date_sort),
        ("search, nothing matches 'qqqzzz'", OrderListFilter(search="qqqzzz"), date_sort),
        ("search + status paid 'nowak'", OrderListFilter(search="nowak", statuses=("paid",)), date_sort),
    ]
    for name, flt, sort in cases:
        ui_answer(db, name, flt, sort, runs)
    for key in SortKey:
        for desc in (False, True):
            ui_answer(
                db,
                f"sort {key.value} {'desc' if desc else 'asc'}",
                OrderListFilter(),
                OrderSort(key, desc),
                runs,
            )
    ui_answer(
        db,
        "sort customer asc + status = paid",
        OrderListFilter(statuses=("paid",)),
        OrderSort(SortKey.CUSTOMER, False),
        runs,
    )

    # Deep pages: scrolling 100 pages in, then a page 500,000 rows deep (keyset: cost does not grow).
    after = None
    page_times = []
    for _ in range(100):
        t = time.perf_counter()
        page = list_orders(db.uow(), OPERATOR, after=after, limit=PAGE)
        page_times.append((time.perf_counter() - t) * 1000)
        after = page.next_cursor
    report(
        "service", "scrolling: pages 1-100 (200 rows each)", statistics.median(page_times), max(page_times)
    )
    depth = args.orders // 2
    with db.engine.connect() as conn:
        deep = conn.execute(
            text("SELECT created_at, id FROM orders ORDER BY created_at DESC, id DESC OFFSET :deep LIMIT 1"),
            {"deep": depth},
        ).one()
    p50, worst, _ = timed(lambda: list_orders(db.uow(), OPERATOR, after=tuple(deep), limit=PAGE), runs)
    report("service", f"page {depth:,} rows deep (keyset)", p50, worst)

    print()
    cols = (
        "SELECT id, number, customer_name, total_gross, status, payment_status, fulfillment_status,"
        " warehouse_id, integration_id, created_at FROM orders"
    )
    naive(
        db,
        f"OFFSET paging: page {depth:,} rows deep",
        f"{cols} ORDER BY created_at DESC, id DESC OFFSET :deep LIMIT 200",
        runs,
        {"deep": depth},
    )
    naive(db, "exact count(*) (no filter)", "SELECT count(*) FROM orders", runs)
    naive(
        db,
        "exact count(*) status = completed",
        "SELECT count(*) FROM orders WHERE status = 'completed'",
        runs,
    )
    search_sql = (
        f"{cols} WHERE number ILIKE :q OR customer_name ILIKE :q OR customer_email ILIKE :q"
        " OR id IN (SELECT order_id FROM order_items WHERE sku ILIKE :q)"
        " ORDER BY created_at DESC, id DESC LIMIT 200"
    )
    naive(
        db,
        "search 'Zofia Kowalczyk', plain ILIKE, no trigram",
        search_sql,
        runs,
        {"q": "%Zofia Kowalczyk%"},
        drop=("ix_trgm_orders_search",) if trgm else (),
    )
    naive(
        db,
        "search 'qqqzzz', plain ILIKE, no trigram",
        search_sql,
        runs,
        {"q": "%qqqzzz%"},
        drop=("ix_trgm_orders_search",) if trgm else (),
    )
    naive(
        db,
        "sort customer asc without its index",
        f"{cols} ORDER BY coalesce(customer_name, ''), id LIMIT 200",
        runs,
        drop=("ix_orders_list_customer",),
    )
    naive(
        db,
        "sort gross desc without its index",
        f"{cols} ORDER BY total_gross DESC, id DESC LIMIT 200",
        runs,
        drop=("ix_orders_list_total_gross",),
    )

    # Client-side filtering: fetch everything once, filter in Python (what a naive desktop list does).
    def client_side() -> list[Any]:
        with db.engine.connect() as conn:
            rows = conn.execute(text(cols)).fetchall()
        hits = [r for r in rows if r.status == "paid"]
        hits.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return hits[:200]

    t = time.perf_counter()
    client_side()
    once = (time.perf_counter() - t) * 1000
    report("baseline", "client-side: fetch 1M rows, filter status in Python", once, once, "(1 run)")

    slow = [name for name, ms in PAGES.items() if ms > BUDGET_MS]
    print(
        f"\nbudget {BUDGET_MS:.0f} ms for the first page of each change, p50: "
        + ("all within" if not slow else f"{len(slow)} over: " + ", ".join(slow))
    )
    summed = [r[1] for r in RESULTS if r[0] == "service" and r[2] > BUDGET_MS]
    print(f"page + count added up, p50 over {BUDGET_MS:.0f} ms: " + (", ".join(summed) if summed else "none"))
    db.dispose()
    if args.drop:
        with psycopg.connect(_conninfo(args.admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
