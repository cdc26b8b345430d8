"""Tasks of the shipping area (thin wrappers over services/shipping). Added to the app by jobs/app.py.

- ``shipping:create_shipment(order_number, carrier=None, size=None, parcel=None, package_no=1,
  mark_shipped=True)`` (queue ``orders``): the carrier shipment of an order's package. Idempotent: a retry
  after a crash (even ``kill -9`` between "created" and "confirmed") resumes the stored shipment.
- ``shipping:track_open_shipments()`` (queue ``integrations``; default schedule ``track-shipments``, every
  30 minutes): tracking of open InPost and DPD shipments; delivered orders go to ``completed``.
"""

from __future__ import annotations

from typing import Any

from procrastinate import Blueprint, JobContext

from rexbit_desktop.domain.shipping import ParcelSpec
from rexbit_desktop.jobs.context import job_actor, job_database
from rexbit_desktop.services.shipping import create_shipment as create
from rexbit_desktop.services.shipping import track_shipments

bp = Blueprint()


@bp.task(name="create_shipment", queue="orders", pass_context=True)
def create_shipment(
    context: JobContext,
    order_number: str,
    carrier: str | None = None,
    size: str | None = None,
    parcel: dict[str, Any] | None = None,
    package_no: int = 1,
    mark_shipped: bool = True,
) -> dict[str, Any]:
    db = job_database(context)
    dto = create(
        db.uow(),
        job_actor(context),
        order_number,
        carrier=carrier,
        size=size,
        parcel=ParcelSpec.from_json(parcel) if parcel else None,
        package_no=package_no,
        mark_shipped=mark_shipped,
    )
    return {
        "order_number": order_number,
        "shipment_id": dto.id,
        "status": dto.status,
        "tracking_numbers": dto.tracking_numbers,
    }


@bp.task(name="track_open_shipments", queue="integrations", pass_context=True)
def track_open_shipments(context: JobContext) -> dict[str, Any]:
    db = job_database(context)
    result = track_shipments(db.uow(), job_actor(context))
    return {
        "checked": result.checked,
        "updated": result.updated,
        "delivered": result.delivered,
        "completed": result.completed,
        "errors": result.errors[:20],
    }
