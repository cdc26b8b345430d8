"""Tasks of the orders area (thin wrappers over services). Added to the app by jobs/app.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from procrastinate import Blueprint, JobContext

from rexbit_desktop.jobs.context import job_actor, job_database
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders.workflow import OrderStatusChanged, handle_queued_status_change
from rexbit_desktop.services.stock import reservations

bp = Blueprint()


@bp.task(name="reserve_order_stock", queue="orders", pass_context=True)
def reserve_order_stock(context: JobContext, order_number: str) -> dict[str, Any]:
    """ReserveOrderStock: reserve what is free, put the rest on the shortages list."""
    db = job_database(context)
    result = orders.reserve_order(db.uow(), job_actor(context), order_number)
    return {
        "order_number": result.order_number,
        "complete": result.complete,
        "reserved": {line.sku: str(line.reserved_total) for line in result.lines},
        "missing": {line.sku: str(line.missing) for line in result.lines if line.missing},
    }


@bp.task(name="generate_warehouse_document", queue="orders", pass_context=True)
def generate_warehouse_document(context: JobContext, order_number: str) -> dict[str, Any]:
    """GenerateWarehouseDocumentForOrder: one posted WZ per warehouse of the order's items."""
    db = job_database(context)
    numbers = orders.issue_warehouse_documents(db.uow(), job_actor(context), order_number)
    return {"order_number": order_number, "documents": numbers}


@bp.task(name="release_expired_reservations", queue="orders", pass_context=True)
def release_expired_reservations(context: JobContext) -> dict[str, Any]:
    db = job_database(context)
    result = reservations.release_expired_reservations(db.uow(), job_actor(context))
    return {
        "released_reservations": result.released_reservations,
        "released_qty": str(result.released_qty),
        "orders": result.orders,
    }


@bp.task(name="order_status_changed", queue="orders", pass_context=True)
def order_status_changed(
    context: JobContext,
    order_id: int,
    order_number: str,
    from_status: str | None,
    to_status: str,
    changed_by: str,
    comment: str | None,
    at: str,
) -> dict[str, Any]:
    """The queued OrderStatusChanged listener: runs the slow handlers in a worker."""
    db = job_database(context)
    event = OrderStatusChanged(
        order_id, order_number, from_status, to_status, changed_by, comment, datetime.fromisoformat(at)
    )
    handled = handle_queued_status_change(db.uow(), job_actor(context), event)
    return {"order_number": order_number, "to_status": to_status, "handlers": handled}
