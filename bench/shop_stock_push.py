"""Benchmark: our stock into the shop's quantity (issue 15), against the per-product UPDATE way.

For each catalog size: a fresh shop (the PrestaShop DDL of the test fixture, simple products, one stock
row each, 200 open orders rexbit has not taken in) and a fresh rexbit database (one shop link per product,
free stock in the default warehouse, ``stock_sync: on``, buffer 1). Then, timed:

1. full push (``--full``: every row written, quantity and physical_quantity), connect included;
2. a second push with nothing changed (must write 0 rows);
3. incremental: 500 products' stock changes (one local transaction, as a PZ with 500 lines), then the
   push of the changed products (what the queued job runs): from the start of the local change to the
   shop's commit;
4. the baseline: one autocommitted ``UPDATE stock_available SET quantity, physical_quantity`` per product
   (the 500 changed products in full; the full push's baseline on a sample, extrapolated); ratios printed.

Limits: full 100,000 ≤ 5 s; incremental 500 ≤ 0.5 s. Exits 1 when one is missed.

    REXBIT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    REXBIT_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/ \\
    .venv/bin/python bench/shop_stock_push.py [--sizes 100000] [--baseline-sample 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pymysql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prestashop_sync import (
    PREFIX,
    _conninfo,
    _with_database,
    create_shop,
    drop_app_database,
    drop_shop,
    mysql_params,
    pg_admin_url,
)

FULL_LIMIT = {100_000: 5.0}
INCREMENTAL = 500
INCREMENTAL_LIMIT = 0.5
OPEN_ORDERS = 200


def add_open_orders(shop_db: str, n: int) -> None:
    """Open shop orders (state 2, valid) for the first products, not taken in by rexbit."""
    conn = pymysql.connect(database=shop_db, autocommit=True, **mysql_params())  # type: ignore[arg-type]
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {PREFIX}orders (id_order, reference, id_shop_group, id_shop, id_carrier, id_lang,"
            " id_customer, id_cart, id_currency, id_address_delivery, id_address_invoice, current_state, payment,"
            " module, invoice_date, delivery_date, valid, date_add, date_upd)"
            f" SELECT seq, 'BENCH', 1, 1, 1, 1, 1, seq, 1, 1, 1, 2, 'x', 'x', NOW(), NOW(), 1, NOW(), NOW()"
            f" FROM mysql.seq_1_to_{OPEN_ORDERS}"
        )
        cur.execute(
            f"INSERT INTO {PREFIX}order_detail (id_order, id_shop, product_id, product_attribute_id, product_name,"
            " product_quantity, product_weight, tax_name, unit_price_tax_incl, unit_price_tax_excl,"
            " total_price_tax_incl)"
            f" SELECT seq, 1, 1 + (seq * 37) % {n}, 0, 'x', 1 + seq % 3, 0, 'PTU', 10, 10, 10"
            f" FROM mysql.seq_1_to_{OPEN_ORDERS}"
        )
    conn.close()


def create_app_database(n: int, shop_db: str):  # type: ignore[no-untyped-def]
    from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
    from rexbit_desktop.db.session import open_database

    name = f"rexbit_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(pg_admin_url()), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = open_database(_with_database(pg_admin_url(), name))
    p = mysql_params()
    cfg = validate_prestashop_config(
        {
            "host": p["host"], "port": p["port"], "user": p["user"], "password": p["password"],
            "database": shop_db, "prefix": PREFIX, "stock_sync": "on", "stock_buffer": 1,
        }
    )  # fmt: skip
    with psycopg.connect(db.psycopg_conninfo, autocommit=True) as conn:
        shop_id = conn.execute(
            "INSERT INTO integrations (name, type, config) VALUES ('bench shop', 'prestashop_db', %s) RETURNING id",
            (json.dumps(cfg),),
        ).fetchone()[0]
        warehouse = conn.execute(
            "INSERT INTO warehouses (code, name, is_default) VALUES ('MAG', 'Magazyn', true) RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO products (sku, name) SELECT 'B-' || g, 'Produkt ' || g FROM generate_series(1, %s) g",
            (n,),
        )
        conn.execute(
            "INSERT INTO integration_product_links (integration_id, product_id, external_id, link_source)"
            " SELECT %s, p.id, substr(p.sku, 3) || ':0', 'bench' FROM products p",
            (shop_id,),
        )
        conn.execute(
            "INSERT INTO warehouse_stock_totals (product_id, warehouse_id, on_hand, reserved)"
            " SELECT id, %s, 5 + id %% 50, id %% 3 FROM products",
            (warehouse,),
        )
        # The setup's 100,000 stock rows marked every product and queued a push: the push measured here is
        # the reconciliation of a shop whose marks were cleared by that push (the steady state).
        conn.execute("DELETE FROM procrastinate_jobs")
        conn.execute("DELETE FROM shop_stock_dirty")
        conn.execute("VACUUM ANALYZE")
    return db, name, shop_id, warehouse


def baseline_seconds(shop_db: str, ids: list[int]) -> float:
    """One autocommitted UPDATE per product (quantity and physical_quantity), as a per-product sync does."""
    conn = pymysql.connect(database=shop_db, autocommit=True, **mysql_params())  # type: ignore[arg-type]
    started = time.perf_counter()
    with conn.cursor() as cur:
        for i in ids:
            cur.execute(
                f"UPDATE {PREFIX}stock_available SET quantity = %s, physical_quantity = %s + reserved_quantity"
                " WHERE id_product = %s AND id_product_attribute = 0 AND id_shop = 1 AND id_shop_group = 0",
                (i % 17, i % 17, i),
            )
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def run_size(n: int, sample: int) -> bool:
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.shop.stock import push_stock

    print(f"\n== {n:,} linked products ==")
    t = time.perf_counter()
    shop_db = create_shop(n)
    add_open_orders(shop_db, n)
    db, app_name, shop_id, warehouse = create_app_database(n, shop_db)
    print(f"   setup {time.perf_counter() - t:.1f} s (not timed)")
    actor = Actor.system()
    ok = True
    try:
        full = push_stock(db.uow(), actor, integration_id=shop_id, full=True)
        assert full.status == "succeeded", full.message
        limit = FULL_LIMIT.get(n)
        good = limit is None or full.duration_s <= limit
        ok &= good
        print(
            f"   full push: {full.written:,} rows written ({full.examined:,} items, {full.pending_shop_orders}"
            f" shop orders not taken in) in {full.duration_s:.3f} s"
            f"{'' if limit is None else (' OK' if good else f' SLOWER THAN {limit} s')}"
        )
        second = push_stock(db.uow(), actor, integration_id=shop_id)
        good = second.written == 0
        ok &= good
        print(
            f"   second push, nothing changed: written {second.written}, unchanged {second.skipped_unchanged:,}"
            f" in {second.duration_s:.3f} s{' OK' if good else ' FAILED (rows written)'}"
        )

        changed = list(range(1, n + 1, max(1, n // INCREMENTAL)))[:INCREMENTAL]
        started = time.perf_counter()
        with psycopg.connect(db.psycopg_conninfo) as conn:  # one local change of 500 products
            conn.execute(
                "UPDATE warehouse_stock_totals SET on_hand = on_hand + 7"
                " WHERE warehouse_id = %s AND product_id = ANY(%s)",
                (warehouse, changed),
            )
            conn.commit()
        local = time.perf_counter() - started
        incremental = push_stock(db.uow(), actor, integration_id=shop_id, changed_only=True)
        total = time.perf_counter() - started
        good = incremental.written == len(changed) and total <= INCREMENTAL_LIMIT
        ok &= good
        print(
            f"   incremental: {len(changed)} products changed (local commit {local:.3f} s) → shop commit in"
            f" {total:.3f} s, {incremental.written} rows written, {incremental.examined} examined"
            f"{' OK' if good else f' FAILED (limit {INCREMENTAL_LIMIT} s, {len(changed)} rows)'}"
        )
        base_500 = baseline_seconds(shop_db, changed)
        per = baseline_seconds(shop_db, list(range(1, min(sample, n) + 1))) / min(sample, n)
        base_full = per * n
        print(
            f"   per-product UPDATE baseline: {per * 1000:.3f} ms/product → full {base_full:.1f} s"
            f" (ratio {base_full / max(full.duration_s, 1e-9):.1f}×); the 500 changed {base_500:.3f} s"
            f" (ratio {base_500 / max(total, 1e-9):.1f}×)"
        )
    finally:
        drop_app_database(db, app_name)
        drop_shop(shop_db)
    return ok


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="   %(message)s")
    logging.getLogger("rexbit_desktop.services.shop.stock").setLevel(logging.INFO)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--baseline-sample", type=int, default=5000)
    args = parser.parse_args()
    with psycopg.connect(_conninfo(pg_admin_url())) as conn:
        started = time.perf_counter()
        conn.execute("SELECT count(*) FROM generate_series(1, 5000000)").fetchone()
        calibration = time.perf_counter() - started
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; PostgreSQL counts 5M rows in"
        f" {calibration:.2f} s (about 0.3-0.5 s on a quiet core)"
    )
    ok = all([run_size(int(n), args.baseline_sample) for n in args.sizes.split(",")])
    print("\nall limits met" if ok else "\nSOME LIMITS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
