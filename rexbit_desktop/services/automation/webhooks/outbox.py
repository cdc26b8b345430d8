"""The outbox: deliveries written in the transaction that handles their event, and the delivery job
queued with them (``automation:deliver_webhooks``)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.automation import WebhookEndpoint
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain import webhooks as wh
from rexbit_desktop.domain.automation import Event, webhook_type
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.automation.webhooks.endpoints import find_endpoint

DELIVER_TASK = "automation:deliver_webhooks"
DELIVER_QUEUE = "integrations"


def _order_data(snap: Any, sequence: int, event: Event | None) -> dict[str, Any]:
    f = snap.facts
    data: dict[str, Any] = {
        "order_id": f.order_id,
        "number": f.number,
        "status": (event.data.get("to") if event and event.type == "status_changed" else None) or f.status,
        "payment_status": (event.data.get("payment_status") if event else None) or f.payment_status,
        "tracking_numbers": list(snap.tracking),
        "sequence": sequence,
    }
    if event is not None:
        data["event"] = event.type
        data["event_data"] = {k: v for k, v in event.data.items() if k != "rule_id"}
    return data


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    session.execute(
        text(
            "INSERT INTO webhook_deliveries (endpoint_id, msg_id, type, order_id, event_id, body) "
            "SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(endpoint_id bigint, msg_id text, "
            "type text, order_id bigint, event_id bigint, body text)"
        ),
        {"rows": json.dumps(rows)},
    )
    queue_delivery(session)
    return len(rows)


def queue_delivery(session: Session, at: datetime | None = None) -> None:
    """Queue ``automation:deliver_webhooks`` in the caller's transaction (none if one already waits)."""
    from sqlalchemy.exc import IntegrityError

    from rexbit_desktop.queueing.rows import insert_job, is_queueing_lock_conflict

    lock = "webhooks-now" if at is None else f"webhooks-at-{int(at.timestamp())}"
    try:
        with session.begin_nested():
            insert_job(
                session.connection(),
                queue=DELIVER_QUEUE,
                task=DELIVER_TASK,
                queueing_lock=lock,
                scheduled_at=at,
            )
    except IntegrityError as exc:
        if not is_queueing_lock_conflict(exc):
            raise


def new_msg_id() -> str:
    return "msg_" + uuid.uuid4().hex


def enqueue_for_events(session: Session, events: list[Event], snaps: dict[int, Any], now: datetime) -> int:
    """Deliveries for the events that enabled endpoints subscribe to (in the caller's transaction)."""
    endpoints = list(
        session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.enabled)
        )
    )
    if not endpoints:
        return 0
    sequences: dict[int, int] = dict(
        session.execute(
            text("SELECT id, sequence FROM automation_events WHERE id = ANY(:ids)"),
            {"ids": [e.id for e in events]},
        ).all()
    )
    rows = []
    for ev in events:
        kind = webhook_type(ev.type)
        snap = snaps.get(ev.order_id)
        if kind is None or snap is None:
            continue
        for endpoint_id, types in endpoints:
            if kind in (types or []):
                body = wh.payload(kind, now, _order_data(snap, sequences.get(ev.id, 0), ev)).decode()
                rows.append(
                    {
                        "endpoint_id": endpoint_id,
                        "msg_id": new_msg_id(),
                        "type": kind,
                        "order_id": ev.order_id,
                        "event_id": ev.id,
                        "body": body,
                    }
                )
    return insert_deliveries(session, rows)


def enqueue_for_orders(
    db: Database, endpoint: str, order_ids: list[int], type_: str, extra: dict[str, Any] | None = None
) -> int:
    """The rule action "call webhook": one delivery per order to a named endpoint (even if it does not
    subscribe to the type); the order's latest event sequence goes along."""
    from rexbit_desktop.services.automation.rules import load_facts

    now = datetime.now(UTC)
    with db.uow() as uow:
        s = uow.session
        row = find_endpoint(s, endpoint)
        if not row.enabled:
            raise ValidationError(
                f"The webhook endpoint '{row.name}' is switched off.",
                code="endpoint_off",
                params={"name": row.name},
            )
        snaps = load_facts(s, order_ids)
        sequences: dict[int, int] = dict(
            s.execute(
                text(
                    "SELECT order_id, max(sequence) FROM automation_events WHERE order_id = ANY(:ids) GROUP BY 1"
                ),
                {"ids": order_ids},
            ).all()
        )
        rows = []
        for order_id in order_ids:
            snap = snaps.get(order_id)
            if snap is None:
                continue
            data = _order_data(snap, sequences.get(order_id, 0), None)
            data.update(extra or {})
            rows.append(
                {
                    "endpoint_id": row.id,
                    "msg_id": new_msg_id(),
                    "type": type_,
                    "order_id": order_id,
                    "event_id": None,
                    "body": wh.payload(type_, now, data).decode(),
                }
            )
        n = insert_deliveries(s, rows)
        uow.commit()
    return n
