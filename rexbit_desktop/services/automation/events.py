"""Order events for automation rules and webhooks: recorded with the change, handled after the commit.

The order services call ``emit`` inside their transaction. The events wait in the session and are
written with one ``INSERT`` just before the commit (``install``, wired at start-up) — only the events some enabled rule or webhook
endpoint wants (without any, nothing is written and nothing is queued). After the commit a
``automation:process_events`` job is queued (at most one waits), and a worker runs the rules.

A rule's action that changes an order emits events too; they carry the depth of the chain
(``automation_depth``), so that rules setting each other's trigger stop at ``MAX_DEPTH``.
"""

from __future__ import annotations

import contextvars
import json
import logging
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session

from rexbit_desktop.domain.automation import EventType, webhook_type

log = logging.getLogger(__name__)

PROCESS_TASK = "automation:process_events"
PROCESS_LOCK = "automation-events"

_PENDING = "rexbit.automation.pending"
WANTED_KEY = "rexbit.automation.wanted"
"""Event types and webhook types somebody wants, read with the order settings (when the session has
them): other events are not even written."""
_STORED = "rexbit.automation.stored"

automation_depth: contextvars.ContextVar[int] = contextvars.ContextVar("rexbit_automation_depth", default=0)
"""The depth of events emitted now: 0 normally, n+1 while a rule runs for an event of depth n."""

kick_after_commit: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "rexbit_automation_kick", default=True
)
"""Queue ``automation:process_events`` after a commit that stored events (the engine itself turns it
off while it runs actions: it handles their events in its own loop)."""


def emit(
    session: Session,
    type_: EventType | str,
    order_id: int,
    data: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
) -> None:
    """Record an event of an order for after the commit (written with the transaction)."""
    kind = EventType(type_).value
    hook = webhook_type(kind)
    wanted = session.info.get(WANTED_KEY)
    if wanted is not None and kind not in wanted and (hook is None or hook not in wanted):
        return
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "n": len(pending),
            "type": kind,
            "hook": hook,
            "order_id": int(order_id),
            "depth": automation_depth.get(),
            "data": data or {},
            "dedupe_key": dedupe_key,
        }
    )


_INSERT = text(
    """
WITH v AS (
    SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
        AS x(n int, type text, hook text, order_id bigint, depth int, data jsonb, dedupe_key text)
), wanted AS (
    SELECT v.* FROM v
    WHERE EXISTS (
        SELECT 1 FROM automation_rules r
        WHERE r.enabled AND r.builtin IS NULL AND r.event = v.type
    ) OR (
        v.hook IS NOT NULL AND EXISTS (
            SELECT 1 FROM webhook_endpoints e WHERE e.enabled AND e.event_types ? v.hook
        )
    )
)
INSERT INTO automation_events (type, order_id, sequence, depth, data, dedupe_key)
SELECT w.type, w.order_id,
       coalesce((SELECT max(e.sequence) FROM automation_events e WHERE e.order_id = w.order_id), 0)
         + row_number() OVER (PARTITION BY w.order_id ORDER BY w.n),
       w.depth, w.data, w.dedupe_key
FROM wanted w ORDER BY w.n
ON CONFLICT (order_id, dedupe_key) DO NOTHING
RETURNING id
"""
)


def store_pending(session: Session) -> int:
    """Write the session's waiting events (those somebody wants); returns how many were stored."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return 0
    stored = len(session.execute(_INSERT, {"rows": json.dumps(pending, default=str)}).all())
    if stored:
        session.info[_STORED] = session.info.get(_STORED, 0) + stored
    return stored


def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        store_pending(session)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_STORED, None)


def _after_commit(session: Session) -> None:
    stored = session.info.pop(_STORED, 0)
    if stored and kick_after_commit.get():
        bind = session.get_bind()
        try:
            queue_processing(bind)
        except Exception:  # the minute sweep picks the events up
            log.warning(
                "could not queue %s; the schedule will pick the events up", PROCESS_TASK, exc_info=True
            )


def install() -> None:
    """Write the sessions' waiting events with their commit (and queue their handling after it).
    Called once at start-up by ``services.wiring.wire_listeners`` (idempotent)."""
    for name, fn in (
        ("before_commit", _before_commit),
        ("after_rollback", _after_rollback),
        ("after_commit", _after_commit),
    ):
        if not sa_event.contains(Session, name, fn):
            sa_event.listen(Session, name, fn)


def queue_processing(engine: Any) -> None:
    """Queue one ``automation:process_events`` (none if one already waits)."""
    from sqlalchemy.exc import IntegrityError

    from rexbit_desktop.queueing.rows import insert_job, is_queueing_lock_conflict

    try:
        with engine.begin() as conn:
            insert_job(conn, queue="orders", task=PROCESS_TASK, queueing_lock=PROCESS_LOCK)
    except IntegrityError as exc:
        if not is_queueing_lock_conflict(exc):
            raise
