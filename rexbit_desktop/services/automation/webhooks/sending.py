"""Sending the due deliveries: taken with ``FOR UPDATE SKIP LOCKED``, sent in parallel, every attempt
written; retries with backoff, 410 switches the endpoint off."""

from __future__ import annotations

import functools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, text, update
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.automation import WebhookAttempt, WebhookEndpoint
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain import webhooks as wh
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.automation.webhooks.endpoints import check_url
from rexbit_desktop.services.automation.webhooks.outbox import queue_delivery


@dataclass
class DeliverResult:
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    endpoints_disabled: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
        queue_delivery(s, at)
        uow.commit()
