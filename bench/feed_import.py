"""Benchmark: a Polish wholesaler CSV feed against our catalog, end to end to applied availability.

    .venv/bin/python bench/feed_import.py                 # 100,000 rows vs 100,000 products
    .venv/bin/python bench/feed_import.py --rows 1000000  # the 1,000,000-row streaming check
    .venv/bin/python bench/feed_import.py --check         # exit 1 when a target is missed

Each measured import runs in a fresh child process (its peak RSS is the import's own), with the same
code as ``rexbit integration import --now``: read (pandas chunks), stage (COPY), apply (one set-based
transaction). Then a third run goes the scheduled way: deferred to the ``import`` queue and run by one
``rexbit queue work`` process (``--skip-queue`` leaves it out). The row-by-row ORM baseline (``bench/feed_import_baseline.py``) runs on a subset in the
same run and is extrapolated; the ratio is printed.

Targets (issue 4): 100k rows ≤ 5 s wall and ≤ 400 MB peak RSS; 1M rows ≤ 600 MB peak RSS.
Needs a PostgreSQL server: ``REXBIT_TEST_DATABASE_URL`` (default the local one); creates and drops its
own database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from machine import reference_work, steal_watch  # noqa: E402  (bench/ is on the path only now)

ADMIN = os.environ.get("REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HEADER = "Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka"
TARGETS = {100_000: (5.0, 400.0), 1_000_000: (None, 600.0)}


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def sku(i: int) -> str:
    return f"HX-{i:07d}"


def ean(i: int) -> str:
    from stdnum import ean as stdnum_ean

    body = f"590{i:09d}"
    return body + stdnum_ean.calc_check_digit(body)


def write_feed(path: Path, rows: int, products: int, seed: int = 7) -> None:
    """cp1250, ';', CRLF, decimal comma, '>10'/'brak', NBSP thousands; 2% rows unknown to us, 1% invalid."""
    rng = random.Random(seed)
    stocks = ["brak", ">10", "0", *[str(n) for n in range(1, 40)]]
    delivery = ["24h", "48h", "3-5 dni", "14 dni", ""]
    with path.open("w", encoding="cp1250", newline="") as f:
        f.write(HEADER + "\r\n")
        for i in range(1, rows + 1):
            r = rng.random()
            known = r > 0.02 and i <= products  # beyond the catalog: unmatched rows
            code = sku(i) if known else f"ZZ-{i:07d}"
            stock = rng.choice(stocks) if r > 0.01 or r <= 0.005 else "-1"
            price = f"{rng.uniform(1, 3000):,.2f}".replace(",", "\u00a0").replace(".", ",")
            shown_ean = ean(i) if i % 7 and i <= products else ""
            f.write(
                f'{code};{shown_ean};"Towar {i}; wersja";{stock};{price};23;{rng.choice(delivery)};szt.\r\n'
            )


def prepare_database(products: int) -> tuple[str, str]:
    name = f"rexbit_bench_feed_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(ADMIN), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(ADMIN, name)
    from rexbit_desktop.db.session import open_database

    db = open_database(url)
    db.dispose()
    with psycopg.connect(conninfo(url)) as conn:
        with conn.cursor() as cur, cur.copy("COPY products (sku, ean, name) FROM STDIN") as copy:
            for i in range(1, products + 1):
                copy.write_row((sku(i), ean(i), f"Produkt {i}"))
        conn.execute("ANALYZE products")
    return name, url


def drop_database(name: str) -> None:
    with psycopg.connect(conninfo(ADMIN), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_supplier(url: str, feed: Path) -> int:
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.services import integrations
    from rexbit_desktop.services.users import actor_for_login

    db = open_database(url)
    try:
        actor = actor_for_login(db.uow(), None)
        integration = integrations.create_integration(
            db.uow(), actor, type="supplier_feed", name="Hurtownia Bench"
        )
        integrations.create_import_profile(
            db.uow(),
            actor,
            integration_id=integration.id,
            name="stany",
            source_location=str(feed),
            format="csv",
            mappings={
                "sku": "Indeks",
                "ean": "EAN",
                "stock_quantity": "Stan",
                "delivery_days": "Termin dostawy",
                "purchase_price": "Cena netto",
            },
        )
        return integration.id
    finally:
        db.dispose()


def backend_cpu_s(url: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend of the benchmark database (same host: /proc)."""
    name = url.rsplit("/", 1)[1]
    tick = os.sysconf("SC_CLK_TCK")
    with psycopg.connect(conninfo(ADMIN)) as conn:
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
            )
        ]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # not on this host, or gone
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def child_import(url: str, integration_id: int) -> None:
    """Runs in a fresh process: one import, then prints wall time and this process's peak RSS."""
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.services.feeds import imports
    from rexbit_desktop.services.users import actor_for_login

    db = open_database(url)
    actor = actor_for_login(db.uow(), None)
    import pandas  # noqa: F401  (start-up cost is not the import's)

    pg_before = backend_cpu_s(url)
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    marks: dict[str, float] = {}

    def phase(done: int, total: int | None, message: str) -> None:
        marks.setdefault(message.split(" ")[0], time.perf_counter())  # first "matching …", "writing …"

    start = time.perf_counter()
    (run,) = imports.import_now(db.uow, actor, integration_id=integration_id, progress=phase)
    end = time.perf_counter()
    wall = end - start
    apply_start = marks.get("matching", end)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    pg_after = backend_cpu_s(url)
    pg_cpu = sum(v - pg_before.get(pid, 0.0) for pid, v in pg_after.items())
    print(
        json.dumps(
            {
                "wall_s": wall,
                "read_stage_s": apply_start - start,
                "apply_s": end - apply_start,
                "cpu_s": usage.ru_utime + usage.ru_stime - cpu_before,
                "pg_cpu_s": pg_cpu,
                "peak_rss_mb": peak_mb,
                "status": run.status,
                "message": run.message,
                "rows_read": run.rows_read,
                "matched": run.matched,
            }
        )
    )
    db.dispose()


def measure(url: str, integration_id: int) -> dict:
    with steal_watch() as stolen:
        out = subprocess.run(
            [sys.executable, __file__, "--child", url, str(integration_id)],
            capture_output=True,
            text=True,
            check=True,
        )
    return {**json.loads(out.stdout.strip().splitlines()[-1]), **stolen}


def measure_queue(url: str, integration_id: int) -> dict:
    """The scheduled path: the import deferred to the ``import`` queue (``rexbit integration import``), then
    one worker process (``rexbit queue work --queue=import --stop-when-empty``) runs the read job and its
    chunk jobs. Reports the run's own duration (start of reading to applied), the worker's wall time
    (including its start-up and its wait for an empty queue) and the worker's peak RSS."""
    rexbit = [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={url}"]
    subprocess.run(
        [*rexbit, "integration", "import", f"--integration={integration_id}"], check=True, capture_output=True
    )
    start = time.perf_counter()
    with steal_watch() as stolen, tempfile.TemporaryFile() as log:  # a file: a full pipe would block it
        worker = subprocess.Popen(
            [*rexbit, "queue", "work", "--queue=import", "--stop-when-empty"],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        _, status, usage = os.wait4(worker.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            log.seek(0)
            raise SystemExit(f"the worker failed: {log.read().decode(errors='replace')[-2000:]}")
    with psycopg.connect(conninfo(url)) as conn:
        status_text, duration, message = conn.execute(
            "SELECT status, duration_s, message FROM import_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return {
        "status": status_text,
        "run_s": duration,
        "worker_wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "message": message,
        **stolen,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="feed rows (default 100000)")
    parser.add_argument("--products", type=int, default=None, help="catalog size (default = rows)")
    parser.add_argument("--baseline-rows", type=int, default=3000, help="rows for the ORM baseline (0: skip)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--skip-queue", action="store_true", help="skip the run through a worker process")
    parser.add_argument("--child", nargs=2, metavar=("URL", "INTEGRATION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(args.child[0], int(args.child[1]))
        return 0

    products = args.products or args.rows
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows_text, products_text = (f"{n:,}".replace(",", " ") for n in (args.rows, products))
    print(f"feed {rows_text} rows vs {products_text} products ({os.cpu_count()} cores, load average {load})")
    print(reference_work(conninfo(ADMIN)))
    name, url = prepare_database(products)
    tmp = Path(tempfile.mkdtemp(prefix="rexbit-bench-"))
    feed = tmp / "feed.csv"
    failures: list[str] = []
    try:
        write_feed(feed, args.rows, products)
        print(f"feed file {feed.stat().st_size / 1024 / 1024:.1f} MB (cp1250, CRLF)")
        integration_id = setup_supplier(url, feed)

        first = measure(url, integration_id)
        print(
            f"first import (links created):  {first['wall_s']:.2f} s wall; CPU {first['cpu_s']:.2f} s Python"
            f" + {first['pg_cpu_s']:.2f} s PostgreSQL;"
            f" read+stage {first['read_stage_s']:.2f} s, apply {first['apply_s']:.2f} s;"
            f" peak RSS {first['peak_rss_mb']:.0f} MB; steal {first['steal_pct']:.0f} %"
            f" — {first['status']}: {first['message']}"
        )
        again = measure(url, integration_id)
        print(
            f"repeat import (hourly case):   {again['wall_s']:.2f} s wall; CPU {again['cpu_s']:.2f} s Python"
            f" + {again['pg_cpu_s']:.2f} s PostgreSQL;"
            f" read+stage {again['read_stage_s']:.2f} s, apply {again['apply_s']:.2f} s;"
            f" peak RSS {again['peak_rss_mb']:.0f} MB; steal {again['steal_pct']:.0f} %"
            f" — {again['status']}"
        )
        if not args.skip_queue:
            queued = measure_queue(url, integration_id)
            print(
                f"through the queue (repeat):    run {queued['run_s']:.2f} s from reading to applied; worker"
                f" process {queued['worker_wall_s']:.2f} s with start-up and shut-down;"
                f" peak RSS {queued['peak_rss_mb']:.0f} MB; steal {queued['steal_pct']:.0f} % — {queued['status']}"
            )
            if queued["status"] != "succeeded":
                failures.append("the queued import did not succeed")
        wall_target, rss_target = TARGETS.get(args.rows, (None, None))
        worst_wall = max(first["wall_s"], again["wall_s"])
        worst_rss = max(first["peak_rss_mb"], again["peak_rss_mb"])
        if wall_target is not None and worst_wall > wall_target:
            failures.append(f"wall {worst_wall:.2f} s > {wall_target} s")
        if rss_target is not None and worst_rss > rss_target:
            failures.append(f"peak RSS {worst_rss:.0f} MB > {rss_target} MB")
        if first["status"] != "succeeded" or again["status"] != "succeeded":
            failures.append("the import did not succeed")

        if args.baseline_rows:
            from feed_import_baseline import run_baseline

            subset = min(args.baseline_rows, args.rows)
            base_s = run_baseline(url, feed, subset)
            per_row = base_s / subset
            extrapolated = per_row * args.rows
            print(
                f"row-by-row ORM baseline:        {base_s:.2f} s for {subset:,} rows → "
                f"{extrapolated:.1f} s for {args.rows:,} rows (extrapolated)".replace(",", " ")
            )
            print(f"ratio baseline / set-based:     {extrapolated / first['wall_s']:.0f}× (first import)")
    finally:
        drop_database(name)
        feed.unlink(missing_ok=True)
        tmp.rmdir()
    if failures:
        print("TARGET MISSED: " + "; ".join(failures))
        return 1 if args.check else 0
    print("targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
