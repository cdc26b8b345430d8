"""Statements and client CPU per order for each step of the orders flow (one process, fresh database).

Load-independent companion of ``orders_flow.py``: counts the SQL statements each step sends (a
SQLAlchemy ``before_cursor_execute`` listener; psycopg's ``BEGIN``/``COMMIT`` and the pool's pre-ping
are not counted) and the client CPU per step.

    REXBIT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python bench/orders_statements.py [--orders 200] [--show]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
import uuid

import psycopg
from orders_flow import PRODUCTS, STEPS, admin_url, conninfo, payload, with_database
from sqlalchemy import event, text


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--show", action="store_true", help="print every statement with its count per order")
    args = parser.parse_args()

    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.orders import orders
    from rexbit_desktop.services.orders.workflow import OrderWorkflowService
    from rexbit_desktop.services.stock import stock

    name = f"rexbit_bench_statements_{uuid.uuid4().hex[:8]}"
    admin = admin_url()
    with psycopg.connect(conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db = open_database(with_database(admin, name))
        actor = Actor.system()
        stock.add_warehouse(db.uow(), actor, code="MAG", name="Magazyn główny", default=True)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO products (sku, name, unit) SELECT 'B-' || lpad(n::text, 4, '0'), "
                    "'Towar testowy nr ' || n, 'szt.' FROM generate_series(0, :n - 1) n"
                ),
                {"n": PRODUCTS},
            )
        for n in range(PRODUCTS):
            stock.receive_stock(
                db.uow(), actor, sku=f"B-{n:04d}", warehouse="MAG", qty=args.orders * 9 // PRODUCTS + 50
            )
        step = ["-"]
        counts: collections.Counter[str] = collections.Counter()
        statements: collections.Counter[tuple[str, str]] = collections.Counter()

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
            counts[step[0]] += 1
            statements[(step[0], " ".join(statement.split())[:120])] += 1

        rng = random.Random(1)
        payloads = [payload(rng) for _ in range(args.orders)]
        wf = OrderWorkflowService()
        cpu: collections.Counter[str] = collections.Counter()
        started, cpu_started = time.perf_counter(), time.process_time()
        for n, p in enumerate(payloads):
            step[0] = "create"
            c = time.process_time()
            number = orders.place_order(db.uow(), actor, p).number
            cpu["create"] += time.process_time() - c
            for status in STEPS:
                step[0] = status
                c = time.process_time()
                wf.transition(db.uow(), actor, number, status)
                cpu[status] += time.process_time() - c
            step[0] = "ship"
            c = time.process_time()
            orders.ship(db.uow(), actor, number, carrier="inpost", tracking=f"s-{n}")
            cpu["ship"] += time.process_time() - c
        wall, total_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        per = args.orders
        print(
            f"{per} orders, one process: {wall / per * 1000:.1f} ms wall and {total_cpu / per * 1000:.1f} ms "
            f"client CPU per order, {sum(counts.values()) / per:.1f} statements per order"
        )
        for s in ("create", *STEPS, "ship"):
            print(f"  {s:22s} {counts[s] / per:5.1f} statements  {cpu[s] / per * 1000:5.1f} ms CPU")
        if args.show:
            for (s, sql), c in sorted(statements.items()):
                print(f"{s:22s} {c / per:4.1f}  {sql}")
        db.dispose()
    finally:
        with psycopg.connect(conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
