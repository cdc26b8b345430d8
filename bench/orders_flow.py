"""Benchmark: the orders core on a fresh PostgreSQL database.

1. Flow: 1,000 orders × 3 items, each created, moved to ``awaiting_fulfillment`` (stock reserved),
   ``picking``, ``ready_for_shipment`` (WZ posted) and shipped — every step its own transaction through
   the services, as operators and workers do it, by ``--workers`` processes at once (default 4).
   Checked afterwards: every order shipped with one posted WZ, nothing left reserved, ``on_hand`` fell by
   exactly what was ordered, WZ numbers without gap or duplicate.
2. One WZ PDF (read from the database and rendered), median of ``--pdf-runs``.
3. Numbering: 8 processes take 2,000 WZ numbers (one transaction each; every tenth rolled back);
   afterwards no gap and no duplicate.

Limits (issue 6): flow ≤ 15 s; WZ PDF median ≤ 30 ms; numbering without gap or duplicate.
Exits 1 when a limit is missed.

    REXBIT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python bench/orders_flow.py [--orders 1000] [--workers 4] [--pdf-runs 50]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

FLOW_LIMIT_S = 15.0
PDF_LIMIT_MS = 30.0
PRODUCTS = 300
STEPS = ("awaiting_fulfillment", "picking", "ready_for_shipment")


def admin_url() -> str:
    return os.environ.get("REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def payload(rng: random.Random) -> dict[str, Any]:
    return {
        "source": "bench",
        "currency": "PLN",
        "delivery_method": "Kurier",
        "items": [
            {
                "sku": f"B-{n:04d}",
                "quantity": str(rng.randint(1, 3)),
                "price_gross": "19.99",
                "vat_rate": "23",
            }
            for n in rng.sample(range(PRODUCTS), 3)
        ],
        "addresses": {
            "shipping": {
                "name": "Zofia Wiśniewska",
                "street": "ul. Długa 1",
                "postcode": "80-001",
                "city": "Gdańsk",
                "country": "PL",
            }
        },
        "payment": {"provider": "przelewy24", "status": "paid", "amount": "100.00"},
    }


def flow_worker(url: str, count: int, seed: int, barrier: Any, results: Any) -> None:
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.orders import orders
    from rexbit_desktop.services.orders.workflow import OrderWorkflowService

    db = open_database(url, upgrade=False)
    actor = Actor.system()
    wf = OrderWorkflowService()
    rng = random.Random(seed)
    payloads = [payload(rng) for _ in range(count)]
    ordered: dict[str, Decimal] = {}
    barrier.wait()
    started = time.perf_counter()
    cpu = time.process_time()
    for n, p in enumerate(payloads):
        number = orders.place_order(db.uow(), actor, p).number
        for status in STEPS:
            wf.transition(db.uow(), actor, number, status)
        orders.ship(db.uow(), actor, number, carrier="inpost", tracking=f"{seed}-{n}")
        for item in p["items"]:
            ordered[item["sku"]] = ordered.get(item["sku"], Decimal(0)) + Decimal(item["quantity"])
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    db.dispose()
    results.put((elapsed, cpu, {k: str(v) for k, v in ordered.items()}))


def numbering_worker(url: str, count: int, barrier: Any, results: Any) -> None:
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.numbering import NumberPattern, Reset
    from rexbit_desktop.services.stock.documents import next_number

    pattern = NumberPattern("BENCH/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY)
    db = open_database(url, upgrade=False)
    kept = []
    barrier.wait()
    for n in range(count):
        with db.uow() as uow:
            number = next_number(uow.session, pattern, "BENCH", date(2026, 11, 28))
            if n % 10 == 9:
                continue  # rolled back: the number goes back to the series
            uow.commit()
            kept.append(number)
    db.dispose()
    results.put(kept)


def run_processes(target: Any, args_list: list[tuple[Any, ...]]) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(args_list) + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, results)) for args in args_list]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.perf_counter()
    out = [results.get(timeout=900) for _ in procs]
    wall = time.perf_counter() - started
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a worker process failed (exit code {p.exitcode})")
    return [wall, out]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pdf-runs", type=int, default=50)
    parser.add_argument("--numbers", type=int, default=2000)
    args = parser.parse_args()

    from sqlalchemy import text

    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.orders.pdfs import render_document_pdf
    from rexbit_desktop.services.stock import stock

    name = f"rexbit_bench_orders_{uuid.uuid4().hex[:8]}"
    admin = admin_url()
    with psycopg.connect(conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(admin, name)
    failed = False
    try:
        db = open_database(url)
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
        stock_each = args.orders * 9 // PRODUCTS + 50
        for n in range(PRODUCTS):
            stock.receive_stock(db.uow(), actor, sku=f"B-{n:04d}", warehouse="MAG", qty=stock_each)

        # 1. the flow
        load_before = f"{os.getloadavg()[0]:.1f}"
        per = [
            args.orders // args.workers + (1 if i < args.orders % args.workers else 0)
            for i in range(args.workers)
        ]
        wall, out = run_processes(flow_worker, [(url, c, 1000 + i) for i, c in enumerate(per)])
        ordered: dict[str, Decimal] = {}
        client_cpu = sum(c for _e, c, _m in out)
        for _elapsed, _cpu, mine in out:
            for sku, q in mine.items():
                ordered[sku] = ordered.get(sku, Decimal(0)) + Decimal(q)
        with db.engine.connect() as conn:
            shipped = conn.execute(text("SELECT count(*) FROM orders WHERE status = 'shipped'")).scalar()
            wz = (
                conn.execute(
                    text("SELECT number FROM warehouse_documents WHERE type = 'WZ' AND status = 'posted'")
                )
                .scalars()
                .all()
            )
            reserved = conn.execute(text("SELECT sum(reserved) FROM warehouse_stock_totals")).scalar()
            on_hand = dict(
                conn.execute(
                    text(
                        "SELECT p.sku, t.on_hand FROM warehouse_stock_totals t JOIN products p ON p.id = t.product_id"
                    )
                ).all()
            )
        seq = sorted(int(n.rsplit("/", 1)[1]) for n in wz)
        flow_ok = (
            shipped == args.orders
            and len(wz) == args.orders
            and seq == list(range(1, len(wz) + 1))
            and reserved == 0
            and all(on_hand[sku] == stock_each - ordered.get(sku, 0) for sku in on_hand)
        )
        print(
            f"flow: {args.orders} orders × 3 items create→reserve→picking→WZ→shipped with {args.workers} processes: "
            f"{wall:.2f} s ({args.orders / wall:.0f} orders/s; {args.orders * 5 / wall:.0f} transactions/s); "
            f"checks {'OK' if flow_ok else 'FAILED'} (limit {FLOW_LIMIT_S:.0f} s); "
            f"client CPU {client_cpu:.1f} s ({client_cpu / args.orders * 1000:.0f} ms per order); "
            f"load average before/after {load_before} / {os.getloadavg()[0]:.1f}"
        )
        failed |= not flow_ok or wall > FLOW_LIMIT_S

        # 2. one WZ PDF
        number = wz[0]
        render_document_pdf(db.uow(), actor, number, io.BytesIO())  # fonts loaded once per process
        times, cpu_times = [], []
        for _ in range(args.pdf_runs):
            buf = io.BytesIO()
            t, c = time.perf_counter(), time.process_time()
            render_document_pdf(db.uow(), actor, number, buf)
            times.append((time.perf_counter() - t) * 1000)
            cpu_times.append((time.process_time() - c) * 1000)
        median = statistics.median(times)
        from rexbit_desktop.adapters.pdf.render import render_pdf
        from rexbit_desktop.services.orders.pdfs import wz_document
        from rexbit_desktop.services.orders.settings import get_order_settings
        from rexbit_desktop.services.stock.documents import get_document

        printable = wz_document(get_document(db.uow(), actor, number), get_order_settings(db.uow(), actor))
        render_only = []
        for _ in range(args.pdf_runs):
            t = time.perf_counter()
            render_pdf(printable, io.BytesIO())
            render_only.append((time.perf_counter() - t) * 1000)
        print(f"WZ PDF render only (no database): median {statistics.median(render_only):.1f} ms")
        print(
            f"WZ PDF ({number}, 3 lines, read + rendered): median {median:.1f} ms "
            f"(CPU {statistics.median(cpu_times):.1f} ms), p90 {sorted(times)[int(len(times) * 0.9)]:.1f} ms "
            f"over {args.pdf_runs} runs (limit {PDF_LIMIT_MS:.0f} ms); load average {os.getloadavg()[0]:.1f}"
        )
        failed |= median > PDF_LIMIT_MS

        # 3. numbering
        each = args.numbers // 8
        wall, out = run_processes(numbering_worker, [(url, each) for _ in range(8)])
        kept = [n for lst in out for n in lst]
        seq = sorted(int(n.rsplit("/", 1)[1]) for n in kept)
        ok = len(kept) == len(set(kept)) and seq == list(range(1, len(kept) + 1))
        print(
            f"numbering: 8 processes × {each} takes ({len(kept)} kept, {8 * each - len(kept)} rolled back) "
            f"in {wall:.2f} s: {'no gap, no duplicate' if ok else 'GAP OR DUPLICATE'}"
        )
        failed |= not ok
        db.dispose()
    finally:
        with psycopg.connect(conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
