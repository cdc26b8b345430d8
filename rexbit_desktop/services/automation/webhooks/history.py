"""Looking at deliveries and their attempts, sending one again, and a test message to an endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from rexbit_desktop.db.models.automation import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from rexbit_desktop.db.models.orders import Order
from rexbit_desktop.db.session import Database, UnitOfWork
from rexbit_desktop.domain import webhooks as wh
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.automation.webhooks.endpoints import check_url, find_endpoint
from rexbit_desktop.services.automation.webhooks.outbox import new_msg_id, queue_delivery
from rexbit_desktop.services.automation.webhooks.sending import deliver_due


@dataclass(frozen=True)
class AttemptDTO:
    attempt: int
    status_code: int | None
    response: str | None
    duration_ms: int
    at: datetime


@dataclass(frozen=True)
class DeliveryDTO:
    id: int
    endpoint: str
    msg_id: str
    type: str
    order_number: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    history: list[AttemptDTO] = field(default_factory=list)


def list_deliveries(
    uow: UnitOfWork, actor: Actor, *, endpoint: str | None = None, limit: int = 50, with_attempts: bool = True
) -> list[DeliveryDTO]:
    """The latest deliveries (of one endpoint), newest first, with their attempts and answers."""
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        stmt = (
            select(WebhookDelivery, WebhookEndpoint.name, Order.number)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .outerjoin(Order, Order.id == WebhookDelivery.order_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        if endpoint:
            stmt = stmt.where(WebhookDelivery.endpoint_id == find_endpoint(s, endpoint).id)
        rows = s.execute(stmt).all()
        history: dict[int, list[AttemptDTO]] = {}
        if with_attempts and rows:
            for a in s.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_([r[0].id for r in rows]))
                .order_by(WebhookAttempt.id)
            ):
                history.setdefault(a.delivery_id, []).append(
                    AttemptDTO(a.attempt, a.status_code, a.response, a.duration_ms, a.created_at)
                )
        return [
            DeliveryDTO(
                d.id,
                name,
                d.msg_id,
                d.type,
                number,
                d.status,
                d.attempts,
                d.next_attempt_at if d.status == "pending" else None,
                d.last_status_code,
                d.last_error,
                d.created_at,
                history.get(d.id, []),
            )
            for d, name, number in rows
        ]


def send_again(uow: UnitOfWork, actor: Actor, delivery_id: int) -> None:
    """Put a delivery back in the outbox, due now, with the same message id; it is retried for another
    day. Its endpoint must be switched on."""
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        s = uow.session
        d = s.get(WebhookDelivery, delivery_id)
        if d is None:
            raise NotFound(
                f"There is no webhook delivery {delivery_id}.",
                code="delivery_not_found",
                params={"delivery": delivery_id},
            )
        endpoint = s.get(WebhookEndpoint, d.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            raise ValidationError(
                "The endpoint of this delivery is switched off.",
                hint="Switch it on first, then send again.",
                code="delivery_endpoint_off",
            )
        now = datetime.now(UTC)
        d.status, d.next_attempt_at, d.created_at, d.finished_at = "pending", now, now, None
        s.flush()
        queue_delivery(s)
        uow.commit()


def test_endpoint(db: Database, actor: Actor, key: str | int) -> DeliveryDTO:
    """Send a ``webhook.test`` message to an endpoint now and return the delivery with its answer."""
    actor.require(Permission.SETTINGS_EDIT)
    now = datetime.now(UTC)
    with db.uow() as uow:
        s = uow.session
        row = find_endpoint(s, key)
        if not row.enabled:
            raise ValidationError(
                f"The webhook endpoint '{row.name}' is switched off.",
                code="endpoint_off",
                params={"name": row.name},
            )
        check_url(row.url, allow_private=row.allow_private)
        delivery = WebhookDelivery(
            endpoint_id=row.id,
            msg_id=new_msg_id(),
            type="webhook.test",
            body=wh.payload("webhook.test", now, {"endpoint": row.name, "message": "rexbit test"}).decode(),
            next_attempt_at=now,
        )
        s.add(delivery)
        s.flush()
        delivery_id = delivery.id
        uow.commit()
    deliver_due(db, only=[delivery_id], concurrency=1)
    found = [d for d in list_deliveries(db.uow(), actor, endpoint=str(key), limit=20) if d.id == delivery_id]
    return found[0]
