"""Benchmark: printing the WZ of many orders as one PDF (the orders list's *Drukuj zaznaczone → WZ*).

    .venv/bin/python bench/merge_pdfs.py [--orders 100] [--lines 3] [--runs 5]

Creates a scratch database on the server of REXBIT_TEST_DATABASE_URL (dropped at the end), ``--orders``
orders of ``--lines`` lines each taken to *Gotowe do wysyłki* (so each has its WZ), then times
``services.orders.batch.render_orders_pdf`` — every WZ read in one transaction, rendered with reportlab
and merged with pypdf into one file — best / median of ``--runs``, with the time per document, and
checks the page count. Baseline in the same run: what a user did before, one ``render_order_pdf`` per
order (its own transaction and file), then the files merged.

Exits 1 when the median is over the 3 s budget for 100 documents (scaled to ``--orders``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from pypdf import PdfReader
from sqlalchemy import text

BUDGET_S_PER_100 = 3.0


def admin_url() -> str:
    return os.environ.get("REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.orders import orders
    from rexbit_desktop.services.orders.batch import bulk_transition, merge_pdfs, render_orders_pdf
    from rexbit_desktop.services.orders.pdfs import render_order_pdf
    from rexbit_desktop.services.stock import stock

    name = f"rexbit_bench_merge_{uuid.uuid4().hex[:8]}"
    admin = admin_url()
    with psycopg.connect(conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        db = open_database(url)
        actor = Actor.system()
        stock.add_warehouse(db.uow(), actor, code="MAG", name="Magazyn główny", default=True)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO products (sku, name, unit, ean) SELECT 'B-' || lpad(n::text, 4, '0'), "
                    "'Towar testowy nr ' || n || ' – wkrętarka akumulatorowa 18 V', 'szt.', "
                    "(5900000000000 + n)::text FROM generate_series(0, 199) n"
                )
            )
        for n in range(200):
            stock.receive_stock(db.uow(), actor, sku=f"B-{n:04d}", warehouse="MAG", qty=10_000)
        numbers = []
        for i in range(args.orders):
            items = [
                {
                    "sku": f"B-{(i * args.lines + j) % 200:04d}",
                    "quantity": "2",
                    "price_gross": "99.00",
                    "vat_rate": "23",
                }
                for j in range(args.lines)
            ]
            address = {
                "name": f"Klient {i}",
                "street": "ul. Długa 1",
                "postcode": "00-001",
                "city": "Warszawa",
            }
            numbers.append(
                orders.create_order(
                    db.uow(), actor, {"items": items, "addresses": {"customer": address}}
                ).number
            )
        for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
            result = bulk_transition(db.uow, actor, numbers, status)
            assert not result.refused, result.refused[:3]

        tmp = Path(tempfile.mkdtemp(prefix="rexbit-bench-merge-"))
        times = []
        cpu = []
        for run in range(args.runs + 1):  # the first run warms up (fonts, imports)
            out = tmp / f"wz-{run}.pdf"
            start, start_cpu = time.perf_counter(), time.process_time()
            batch = render_orders_pdf(db.uow(), actor, numbers, kind="wz", out=out)
            elapsed = time.perf_counter() - start
            if run:
                cpu.append(time.process_time() - start_cpu)
            assert batch.pages == len(PdfReader(out).pages) == len(numbers), batch.pages
            if run:
                times.append(elapsed)
        baseline = []
        for run in range(2):
            start = time.perf_counter()
            files = []
            for n in numbers:
                files += render_order_pdf(
                    db.uow(), actor, n, kind="wz", out=tmp / f"one-{n.replace('/', '_')}.pdf"
                )
            merge_pdfs(files, tmp / f"baseline-{run}.pdf")
            baseline.append(time.perf_counter() - start)
        db.dispose()
    finally:
        with psycopg.connect(conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    median = statistics.median(times)
    budget = BUDGET_S_PER_100 * args.orders / 100
    print(
        f"{args.orders} WZ ({args.lines} lines each) into one PDF of {args.orders} pages, {args.runs} runs:"
    )
    print(f"  best {min(times):.2f} s, median {median:.2f} s, worst {max(times):.2f} s")
    print(f"  per document: {median / args.orders * 1000:.1f} ms (median)")
    print(
        f"  client CPU: {statistics.median(cpu):.2f} s median (the rest is the database and the machine's load)"
    )
    print(f"  baseline (one render_order_pdf per order, files merged): {min(baseline):.2f} s best")
    print(f"  budget {budget:.1f} s: {'OK' if median <= budget else 'OVER'}")
    return 0 if median <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
