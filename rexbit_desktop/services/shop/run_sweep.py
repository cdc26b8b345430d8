"""Sync runs whose process is gone (``kill -9``, a power cut, a cut database connection) are closed as
failed, as the import sweep does for import runs.

A sync holds a session-level advisory lock (``db/locks.py``: ``SHOP_AVAILABILITY_SYNC``, ``SHOP_ORDERS_SYNC``, per
integration) from before it creates its ``sync_runs`` row until after it finishes it. So a row that
is still ``running`` while nobody holds its lock belongs to a process that died: PostgreSQL released the
lock with the process's connection.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Engine

from rexbit_desktop.db.locks import SHOP_AVAILABILITY_SYNC, SHOP_ORDERS_SYNC
from rexbit_desktop.db.session import UnitOfWork

log = logging.getLogger(__name__)

SYNC_LOCKS = {"availability": SHOP_AVAILABILITY_SYNC.key, "orders": SHOP_ORDERS_SYNC.key}
ABANDONED_MESSAGE = (
    "The run stopped before it finished (its process was killed or lost its database connection); "
    "what it wrote before stays."
)


def fail_abandoned_sync_runs(
    uow: UnitOfWork, *, integration_id: int | None = None, kind: str | None = None, lock_held: bool = False
) -> list[int]:
    """Fails the ``running`` sync runs nobody runs any more; returns their ids.

    ``lock_held``: the caller holds the lock of ``(kind, integration_id)`` itself (a sync that just
    started): every running row of that shop and kind is then an abandoned one.
    """
    try:
        bind = uow.session.get_bind()
    except RuntimeError:  # called outside the unit of work's 'with'
        with uow:
            bind = uow.session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    query = "SELECT id, kind, integration_id FROM sync_runs WHERE status = 'running'"
    params: dict[str, object] = {}
    if integration_id is not None:
        query += " AND integration_id = :integration_id"
        params["integration_id"] = integration_id
    if kind is not None:
        query += " AND kind = :kind"
        params["kind"] = kind
    failed: list[int] = []
    with engine.connect() as conn:
        rows = conn.execute(text(query), params).all()
        for run_id, run_kind, run_integration in rows:
            ns = SYNC_LOCKS.get(str(run_kind))
            if ns is None:
                continue
            if lock_held and run_kind == kind and run_integration == integration_id:
                gone = True
            else:
                key = {"ns": ns, "id": int(run_integration)}
                gone = bool(
                    conn.execute(
                        text("SELECT pg_try_advisory_lock(CAST(:ns AS integer), CAST(:id AS integer))"), key
                    ).scalar()
                )
                if not gone:
                    continue
            try:
                done = conn.execute(
                    text(
                        "UPDATE sync_runs SET status = 'failed', message = :message, finished_at = now(),"
                        " duration_s = extract(epoch FROM now() - started_at)"
                        " WHERE id = :id AND status = 'running'"
                    ),
                    {"id": run_id, "message": ABANDONED_MESSAGE},
                ).rowcount
                conn.commit()
            finally:
                if not (lock_held and run_kind == kind and run_integration == integration_id):
                    conn.execute(
                        text("SELECT pg_advisory_unlock(CAST(:ns AS integer), CAST(:id AS integer))"),
                        {"ns": ns, "id": int(run_integration)},
                    )
                    conn.commit()
            if done:
                failed.append(int(run_id))
                log.warning(
                    "sync run %s (%s, integration %s) was abandoned: failed",
                    run_id,
                    run_kind,
                    run_integration,
                )
    return failed


__all__ = ["ABANDONED_MESSAGE", "SYNC_LOCKS", "fail_abandoned_sync_runs"]
