"""Webhook endpoints, the outbox of deliveries, and sending them (Standard Webhooks).

A delivery is written to ``webhook_deliveries`` in the transaction that handles its event (or runs the
rule's "call webhook" action), and ``automation:deliver_webhooks`` is queued with it. The job takes the
due deliveries with ``FOR UPDATE SKIP LOCKED`` (workers share them; a worker killed mid-send drops its
locks with its connection, so the deliveries are due again at once for the next worker), sends them in
parallel, and writes every attempt. 2xx: delivered. 410: the endpoint is switched off. 408, 429, 5xx,
timeouts and refused connections: tried again with exponential backoff and jitter (``Retry-After``
honoured) for up to a day. Other answers: failed. The message id (``webhook-id``) never changes, so
receivers can drop duplicates.
"""

from __future__ import annotations

import functools
import json
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.automation import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from rexbit_desktop.db.models.orders import Order
from rexbit_desktop.db.session import Database, UnitOfWork
from rexbit_desktop.domain import webhooks as wh
from rexbit_desktop.domain.automation import WEBHOOK_TYPES, Event, webhook_type
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission

DELIVER_TASK = "automation:deliver_webhooks"
DELIVER_QUEUE = "integrations"


@dataclass(frozen=True)
class EndpointDTO:
    id: int
    name: str
    url: str
    event_types: list[str]
    enabled: bool
    allow_private: bool
    disabled_reason: str | None
    secrets: int
    """How many secrets sign (more than one while a secret is rotated); the secrets are never shown."""
    pending: int = 0
    delivered: int = 0
    failed: int = 0


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


@dataclass
class DeliverResult:
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    endpoints_disabled: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------ endpoints


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, *, allow_private: bool) -> wh.Target:
    target = wh.parse_url(url)
    wh.check_addresses(target.host, resolve(target.host, target.port), allow_private=allow_private)
    return target


def _types(event_types: list[str] | None) -> list[str]:
    chosen = [t.strip() for t in (event_types or []) if t.strip()]
    bad = [t for t in chosen if t not in WEBHOOK_TYPES]
    if bad:
        raise ValidationError(
            f"Unknown webhook type '{bad[0]}'.", hint="Types: " + ", ".join(WEBHOOK_TYPES) + "."
        )
    return chosen


def _endpoint_dto(e: WebhookEndpoint, counts: dict[str, int] | None = None) -> EndpointDTO:
    counts = counts or {}
    return EndpointDTO(
        e.id,
        e.name,
        e.url,
        list(e.event_types or []),
        e.enabled,
        e.allow_private,
        e.disabled_reason,
        len(e.secrets or []),
        counts.get("pending", 0),
        counts.get("delivered", 0),
        counts.get("failed", 0),
    )


def add_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    url: str,
    event_types: list[str] | None = None,
    secret: str | None = None,
    allow_private: bool = False,
) -> tuple[EndpointDTO, str]:
    """A new endpoint; returns it and its secret (``whsec_…``, generated unless given) — the only
    time the secret leaves the database: give it to the receiver."""
    actor.require(Permission.SETTINGS_EDIT)
    if allow_private:
        # Letting rexbit call into the local network is an administrator's decision.
        actor.require(Permission.INTEGRATIONS_EDIT)
    name = name.strip()
    if not name:
        raise ValidationError("Give the endpoint a name.")
    check_url(url, allow_private=allow_private)
    secret = (secret or "").strip() or wh.generate_secret()
    wh.secret_key(secret)
    with uow:
        s = uow.session
        if s.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)) is not None:
            raise ValidationError(f"There is already a webhook endpoint '{name}'.")
        row = WebhookEndpoint(
            name=name,
            url=url.strip(),
            event_types=_types(event_types if event_types is not None else ["orders.updated"]),
            secrets=[secret],
            allow_private=allow_private,
            created_by=actor.login,
        )
        s.add(row)
        s.flush()
        dto = _endpoint_dto(row)
        uow.commit()
    return dto, secret


def _find(session: Session, key: str | int) -> WebhookEndpoint:
    text_key = str(key).strip()
    cond = WebhookEndpoint.name == text_key
    if text_key.isdigit():
        cond = cond | (WebhookEndpoint.id == int(text_key))
    row = session.scalars(select(WebhookEndpoint).where(cond).limit(1)).first()
    if row is None:
        raise NotFound(f"There is no webhook endpoint '{key}'.", hint="List them with: rexbit webhooks list")
    return row


def list_endpoints(uow: UnitOfWork, actor: Actor) -> list[EndpointDTO]:
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        counts: dict[int, dict[str, int]] = {}
        for endpoint_id, status, n in s.execute(
            text("SELECT endpoint_id, status, count(*) FROM webhook_deliveries GROUP BY 1, 2")
        ):
            counts.setdefault(endpoint_id, {})[status] = n
        rows = s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name))
        return [_endpoint_dto(e, counts.get(e.id)) for e in rows]


def update_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    key: str | int,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
    allow_private: bool | None = None,
) -> EndpointDTO:
    actor.require(Permission.SETTINGS_EDIT)
    if allow_private:
        actor.require(Permission.INTEGRATIONS_EDIT)
    with uow:
        row = _find(uow.session, key)
        if allow_private is not None:
            row.allow_private = allow_private
        if url is not None:
            check_url(url, allow_private=row.allow_private)
            row.url = url.strip()
        if event_types is not None:
            row.event_types = _types(event_types)
        if enabled is not None:
            row.enabled = enabled
            if enabled:
                row.disabled_reason = None
        uow.session.flush()
        dto = _endpoint_dto(row)
        uow.commit()
    return dto


def rotate_secret(uow: UnitOfWork, actor: Actor, key: str | int, *, keep_old: bool = True) -> str:
    """A new secret signs from now on; the old one keeps signing too (``keep_old``) until the receiver
    switched, then rotate again with ``keep_old=False``. Returns the new secret."""
    actor.require(Permission.SETTINGS_EDIT)
    secret = wh.generate_secret()
    with uow:
        row = _find(uow.session, key)
        row.secrets = [secret, *(list(row.secrets or [])[:1] if keep_old else [])]
        uow.commit()
    return secret


def endpoint_secret(uow: UnitOfWork, actor: Actor, key: str | int) -> str:
    """The current secret, for an administrator to hand to the receiver (the settings page's "show")."""
    actor.require(Permission.INTEGRATIONS_EDIT)
    with uow:
        return str(next(iter(_find(uow.session, key).secrets or [""])))


# ------------------------------------------------------------------ the outbox


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


def _insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> int:
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
    _queue_delivery(session)
    return len(rows)


def _queue_delivery(session: Session, at: datetime | None = None) -> None:
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


def _msg_id() -> str:
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
                        "msg_id": _msg_id(),
                        "type": kind,
                        "order_id": ev.order_id,
                        "event_id": ev.id,
                        "body": body,
                    }
                )
    return _insert_deliveries(session, rows)


def enqueue_for_orders(
    db: Database, endpoint: str, order_ids: list[int], type_: str, extra: dict[str, Any] | None = None
) -> int:
    """The rule action "call webhook": one delivery per order to a named endpoint (even if it does not
    subscribe to the type); the order's latest event sequence goes along."""
    from rexbit_desktop.services.automation.rules import load_facts

    now = datetime.now(UTC)
    with db.uow() as uow:
        s = uow.session
        row = _find(s, endpoint)
        if not row.enabled:
            raise ValidationError(f"The webhook endpoint '{row.name}' is switched off.")
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
                    "msg_id": _msg_id(),
                    "type": type_,
                    "order_id": order_id,
                    "event_id": None,
                    "body": wh.payload(type_, now, data).decode(),
                }
            )
        n = _insert_deliveries(s, rows)
        uow.commit()
    return n


# ------------------------------------------------------------------ sending


_DUE = text(
    """
SELECT d.id, d.msg_id, d.body, d.attempts, d.created_at, e.id AS endpoint_id, e.name, e.url, e.secrets,
       e.allow_private
FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND e.enabled
  AND (CAST(:only AS bigint[]) IS NULL OR d.id = ANY(CAST(:only AS bigint[])))
ORDER BY d.next_attempt_at, d.id
LIMIT :n
FOR UPDATE OF d SKIP LOCKED
"""
)


@dataclass
class _Answer:
    status_code: int | None
    response: str | None
    retry_after: str | None
    duration_ms: int
    skipped: bool = False


def _send(client: httpx.Client, row: Any, *, refused: dict[int, str], gone: set[int]) -> _Answer:
    if row.endpoint_id in refused:
        return _Answer(None, refused[row.endpoint_id], None, 0)
    if row.endpoint_id in gone:  # answered 410 earlier in this batch: send it nothing more
        return _Answer(None, None, None, 0, skipped=True)
    body = row.body.encode()
    headers = wh.headers(list(row.secrets or []), row.msg_id, int(time.time()), body)
    started = time.monotonic()
    try:
        answer = client.post(row.url, content=body, headers=headers)
        text_back = answer.text[:1000] if answer.content else ""
        if answer.status_code == 410:
            gone.add(row.endpoint_id)
        return _Answer(
            answer.status_code,
            text_back,
            answer.headers.get("retry-after"),
            int((time.monotonic() - started) * 1000),
        )
    except httpx.HTTPError as exc:
        return _Answer(
            None, f"{type(exc).__name__}: {exc}"[:1000], None, int((time.monotonic() - started) * 1000)
        )


def deliver_due(
    db: Database,
    *,
    limit: int = 200,
    concurrency: int = 16,
    now: datetime | None = None,
    only: list[int] | None = None,
    client: httpx.Client | None = None,
) -> DeliverResult:
    """Send every due delivery (batches of ``limit``, ``concurrency`` requests at a time)."""
    result = DeliverResult()
    own = client is None
    http = client or httpx.Client(
        timeout=wh.REQUEST_TIMEOUT,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook") as pool:
            while True:
                clock = now or datetime.now(UTC)
                with db.uow() as uow:
                    s = uow.session
                    rows = list(s.execute(_DUE, {"now": clock, "only": only, "n": limit}).all())
                    if not rows:
                        break
                    refused = _refused_targets(rows)
                    gone: set[int] = set()
                    answers = list(pool.map(functools.partial(_send, http, refused=refused, gone=gone), rows))
                    _record(s, rows, answers, clock, result)
                    uow.commit()
                if len(rows) < limit:
                    break
        _schedule_next(db)
    finally:
        if own:
            http.close()
    return result


def _refused_targets(rows: list[Any]) -> dict[int, str]:
    """The SSRF guard at sending time too (a name may resolve elsewhere than when it was saved)."""
    refused: dict[int, str] = {}
    for endpoint_id, url, allow_private in {(r.endpoint_id, r.url, r.allow_private) for r in rows}:
        try:
            check_url(url, allow_private=allow_private)
        except ValidationError as exc:
            refused[endpoint_id] = exc.message
    return refused


def _record(
    session: Session, rows: list[Any], answers: list[_Answer], now: datetime, result: DeliverResult
) -> None:
    updates: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    gone: dict[int, str] = {}
    skipped = [row.id for row, answer in zip(rows, answers, strict=True) if answer.skipped]
    for row, answer in zip(rows, answers, strict=True):
        if answer.skipped:
            continue
        tries = row.attempts + 1
        result.sent += 1
        attempts.append(
            {
                "delivery_id": row.id,
                "attempt": tries,
                "status_code": answer.status_code,
                "response": answer.response,
                "duration_ms": answer.duration_ms,
            }
        )
        outcome = wh.outcome_of(answer.status_code)
        error = None if outcome == wh.Outcome.DELIVERED else (answer.response or f"HTTP {answer.status_code}")
        status, next_at, finished = "pending", None, None
        if outcome == wh.Outcome.DELIVERED:
            status, finished = "delivered", now
            result.delivered += 1
        elif outcome == wh.Outcome.DISABLE:
            status, finished = "failed", now
            gone[row.endpoint_id] = row.name
            error = (
                "410 Gone: the receiver does not want these webhooks any more; the endpoint was switched off."
            )
            result.failed += 1
        elif outcome == wh.Outcome.RETRY:
            next_at = wh.next_attempt(
                tries, row.created_at, now, retry_after=wh.parse_retry_after(answer.retry_after, now)
            )
            if next_at is None:
                status, finished = "failed", now
                error = f"Gave up after a day of tries; last answer: {error}"
                result.failed += 1
            else:
                result.retrying += 1
        else:
            status, finished = "failed", now
            result.failed += 1
        updates.append(
            {
                "id": row.id,
                "status": status,
                "attempts": tries,
                "next_at": (next_at or now).isoformat(),
                "code": answer.status_code,
                "error": error,
                "finished": finished.isoformat() if finished else None,
            }
        )
    session.execute(
        text(
            "UPDATE webhook_deliveries d SET status = x.status, attempts = x.attempts, "
            "next_attempt_at = x.next_at, last_status_code = x.code, last_error = x.error, "
            "finished_at = x.finished "
            "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(id bigint, status text, attempts int, "
            "next_at timestamptz, code int, error text, finished timestamptz) WHERE d.id = x.id"
        ),
        {"rows": json.dumps(updates)},
    )
    if attempts:
        session.execute(insert(WebhookAttempt), attempts)
    if skipped:
        session.execute(
            text(
                "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = :now, "
                "last_error = 'endpoint switched off (410 Gone)' WHERE id = ANY(:ids)"
            ),
            {"ids": skipped, "now": now},
        )
    if gone:
        reason = f"The receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC."
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(list(gone)))
            .values(enabled=False, disabled_reason=reason)
        )
        session.execute(
            text(
                "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = :now, "
                "last_error = 'endpoint switched off (410 Gone)' "
                "WHERE endpoint_id = ANY(:ids) AND status = 'pending'"
            ),
            {"ids": list(gone), "now": now},
        )
        result.endpoints_disabled.extend(sorted(gone.values()))


def _schedule_next(db: Database) -> None:
    """A job for the earliest retry still waiting (the minute schedule is the safety net)."""
    with db.uow() as uow:
        s = uow.session
        next_at = s.scalar(
            text(
                "SELECT min(d.next_attempt_at) FROM webhook_deliveries d "
                "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.status = 'pending' AND e.enabled"
            )
        )
        if next_at is None:
            return
        at = next_at if next_at > datetime.now(UTC) else None
        if at is not None:
            at = at.replace(microsecond=0) + timedelta(seconds=1)
        _queue_delivery(s, at)
        uow.commit()


# ------------------------------------------------------------------ looking and sending again


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
            stmt = stmt.where(WebhookDelivery.endpoint_id == _find(s, endpoint).id)
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
            raise NotFound(f"There is no webhook delivery {delivery_id}.")
        endpoint = s.get(WebhookEndpoint, d.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            raise ValidationError(
                "The endpoint of this delivery is switched off.", hint="Switch it on first, then send again."
            )
        now = datetime.now(UTC)
        d.status, d.next_attempt_at, d.created_at, d.finished_at = "pending", now, now, None
        s.flush()
        _queue_delivery(s)
        uow.commit()


def test_endpoint(db: Database, actor: Actor, key: str | int) -> DeliveryDTO:
    """Send a ``webhook.test`` message to an endpoint now and return the delivery with its answer."""
    actor.require(Permission.SETTINGS_EDIT)
    now = datetime.now(UTC)
    with db.uow() as uow:
        s = uow.session
        row = _find(s, key)
        if not row.enabled:
            raise ValidationError(f"The webhook endpoint '{row.name}' is switched off.")
        check_url(row.url, allow_private=row.allow_private)
        delivery = WebhookDelivery(
            endpoint_id=row.id,
            msg_id=_msg_id(),
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
