"""Issue 15 end to end: stock changes in rexbit reach the shop through a real worker process (queue
``integrations``), and ``rexbit shop push-stock --json`` as a real command. Real PostgreSQL, real MariaDB
with the PrestaShop tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import stock
from tests.support.shop import add_our_product, add_shop_product, create_shop_integration
from tests.support.wait import wait_for
from tests.support.workers import Process, rexbit

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

BUFFER = 2


def shop_quantity(shop: Any, id_product: int) -> tuple[int, int, int]:
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT quantity, reserved_quantity, physical_quantity FROM {shop.t('stock_available')}"
            " WHERE id_product = %s AND id_product_attribute = 0",
            (id_product,),
        )
        row = cur.fetchone()
    conn.close()
    return tuple(int(v) for v in row)  # type: ignore[return-value]


def push_jobs(db: Any) -> int:
    with db.uow() as uow:
        return int(
            uow.session.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'shop:push_stock'"
                     " AND status = 'succeeded'")
            ).scalar_one()
        )  # fmt: skip


def test_stock_changes_reach_the_shop_through_a_real_worker(
    db, db_url, shop, system_actor, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    stock.add_warehouse(db.uow(), system_actor, code="MAG", name="Magazyn", default=True)
    integration = create_shop_integration(db, shop, stock_sync="on", stock_buffer=BUFFER)
    add_shop_product(shop, 7, reference="KUBEK")
    add_our_product(db, sku="KUBEK", shop_integration=integration, external_id="7:0")
    worker = Process(
        db_url, "queue", "work", "--queue=integrations", "--sleep=0.5", log=tmp_path / "worker.log"
    )
    try:

        def after_one_push(before: int, expected: int, what: str) -> None:
            wait_for(lambda: push_jobs(db) > before, timeout=60, what=f"the push after {what}")
            assert push_jobs(db) == before + 1, worker.output()  # one job for the change
            q, reserved, physical = shop_quantity(shop, 7)
            assert (q, physical) == (expected, expected + reserved), what

        # Receive 40 by PZ (the real command) → one worker cycle later the shop shows 40 − buffer.
        received = rexbit(db_url, "stock", "receive", "--sku=KUBEK", "--warehouse=MAG", "--qty=40")
        assert received.returncode == 0, received.stderr
        after_one_push(0, 40 - BUFFER, "the PZ")

        order = orders.create_order(
            db.uow(), Actor.system(),
            {"customer": {"name": "Jan"}, "items": [{"sku": "KUBEK", "quantity": "5", "price_gross": "10"}]},
        )  # fmt: skip
        wf = OrderWorkflowService()
        wf.transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")  # reserves 5
        after_one_push(1, 35 - BUFFER, "the reservation")
        wf.transition(db.uow(), system_actor, order.number, "picking")
        wf.transition(db.uow(), system_actor, order.number, "ready_for_shipment")  # WZ posted
        after_one_push(2, 35 - BUFFER, "the WZ")
        wf.transition(db.uow(), system_actor, order.number, "cancelled")  # storno of the WZ
        after_one_push(3, 40 - BUFFER, "the storno")
    finally:
        assert worker.stop() == 0, worker.output()

    # By hand, as a script would: --json with exactly the documented keys; nothing to write now.
    done = rexbit(db_url, "shop", "push-stock", f"--integration={integration}", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {
        "examined", "to_write", "written", "skipped_unchanged", "skipped_packs", "missing_in_shop",
        "pending_shop_orders", "errors", "duration_s",
    }  # fmt: skip
    assert (report["examined"], report["written"], report["skipped_unchanged"]) == (1, 0, 1)
    dry = rexbit(db_url, "shop", "push-stock", f"--integration={integration}", "--sku=KUBEK", "--full",
                 "--dry-run", "--json")  # fmt: skip
    assert dry.returncode == 0 and json.loads(dry.stdout)["written"] == 0
    unknown = rexbit(db_url, "shop", "push-stock", "--integration=999")
    assert unknown.returncode != 0 and "999" in unknown.stderr and "Traceback" not in unknown.stderr
