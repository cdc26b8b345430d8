"""Housekeeping of the application database after bulk writes."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.queueing.rows import insert_job, is_queueing_lock_conflict

log = logging.getLogger(__name__)

# The tables a bulk write leaves for VACUUM: the supplier offers (rewritten by every feed import) and
# what the shop sync recorded. Names are checked against this list: they go into SQL as identifiers.
BULK_TABLES = ("integration_product_links", "shop_sync_state")

VACUUM_TASK = "maintenance:vacuum_after_import"
VACUUM_QUEUE = "default"
# Fewer changed offers than this: autovacuum's own pace is good enough.
VACUUM_AFTER_ROWS = 10_000


def vacuum_tables(engine: Engine, tables: list[str] | tuple[str, ...] = BULK_TABLES) -> list[str]:
    """``VACUUM (ANALYZE)`` the tables now, instead of whenever autovacuum comes by.

    Why: after a feed import rewrote every offer, the visibility map of ``integration_product_links``
    is empty, so the shop sync cannot read the best offers index-only (measured on 100,000 products:
    140 ms instead of 35 ms, and the unchanged sync 0.47-0.54 s instead of 0.39 s). VACUUM cannot run in
    a transaction: it gets an autocommit connection of its own. A role that does not own a table gets a
    warning from PostgreSQL and the table is skipped, nothing fails.
    """
    unknown = [t for t in tables if t not in BULK_TABLES]
    if unknown:
        raise ValidationError(
            f"Not a table that is vacuumed after bulk writes: {', '.join(unknown)}.",
            code="not_a_bulk_table",
            params={"tables": list(unknown)},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f'VACUUM (ANALYZE) "{table}"'))
    return list(tables)


def ask_for_vacuum(uow: UnitOfWork, changed_rows: int) -> int | None:
    """Queue a VACUUM of the offers after an import that changed many of them (at most one waits in the
    queue). Never fails the caller: a VACUUM that is not queued only means autovacuum does it later."""
    if changed_rows < VACUUM_AFTER_ROWS:
        return None
    # The job row with SQL alone (queueing/rows.py): importing the job app here would cost a --now import
    # 0.13 s. tests/integration/test_import_runs.py checks the task and queue against the job app.
    try:
        with uow:
            job_id = insert_job(
                uow.session.connection(),
                queue=VACUUM_QUEUE,
                task=VACUUM_TASK,
                queueing_lock="vacuum-after-import",
            )
            uow.commit()
        return job_id
    except SQLAlchemyError as exc:
        if not is_queueing_lock_conflict(exc):
            log.warning("VACUUM after the import not queued: %s", exc)
        return None
