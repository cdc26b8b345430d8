"""The orders tasks run by a real worker process (queue ``orders``)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text

from rexbit_desktop.db.models.orders import OrderAuditLog
from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, create, level, setup_warehouse

REXBIT = str(Path(sys.executable).with_name("rexbit"))


def test_worker_reserves_issues_and_delivers_status_events(db, db_url, system_actor):
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    order_settings.set_order_setting(
        db.uow(), system_actor, "automation.reserve_on_awaiting_fulfillment", "no"
    )
    order = create(db, system_actor, ("A-1", 2))
    wf = OrderWorkflowService(queued=True)
    wf.transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    reserve_job = defer_job(db, "orders:reserve_order_stock", order_number=order.number)
    wz_job = defer_job(db, "orders:generate_warehouse_document", order_number=order.number)
    expiry_job = defer_job(db, "orders:release_expired_reservations")

    done = subprocess.run(
        [REXBIT, "--database-url", db_url, "queue", "work", "--queue=orders", "--stop-when-empty", "--sleep=0.2"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with db.session() as s:
        states = dict(s.execute(text("SELECT id, status FROM procrastinate_jobs")).all())
        delivered = s.scalars(select(OrderAuditLog.action).where(OrderAuditLog.order_id == order.id)).all()
    assert states[reserve_job] == states[wz_job] == states[expiry_job] == "succeeded"
    assert all(v == "succeeded" for v in states.values())  # the queued status event too
    assert "status_changed_delivered" in delivered
    assert level(db, "A-1") == (Decimal(3), Decimal(0))  # reserved by the first job, issued by the second
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert [d.type for d in detail.documents] == ["reservation", "issue_wz"]
