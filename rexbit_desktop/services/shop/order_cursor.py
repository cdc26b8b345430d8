"""Where the next orders import starts: the cursor (the shop's date_upd and id_order) and the shop
orders that failed to go in, read again by every run until they do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from rexbit_desktop.db.models import (
    ShopOrderCursor,
    ShopOrderRetry,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.services.shop.order_mapping import (
    RunTally,
)


def _cursor_text(cursor: tuple[datetime, int] | None) -> str | None:
    return f"{cursor[0].isoformat(sep=' ')} #{cursor[1]}" if cursor else None


def _save_cursor(uow: UnitOfWork, integration_id: int, cursor: tuple[datetime, int], run_id: int) -> None:
    with uow:
        values = {
            "date_upd": cursor[0],
            "id_order": cursor[1],
            "sync_run_id": run_id,
            "updated_at": func.now(),
        }
        uow.session.execute(
            pg_insert(ShopOrderCursor)
            .values(integration_id=integration_id, **values)
            .on_conflict_do_update(index_elements=[ShopOrderCursor.integration_id], set_=values)
        )
        uow.commit()


def _track_retries(uow: UnitOfWork, integration_id: int, run_id: int, read: list[int], run: RunTally) -> None:
    """After a batch of shop orders: those that failed are kept for the next run (attempts counted),
    the others of the batch leave the list."""
    if not read:
        return
    failed = {i: run.retry[i] for i in read if i in run.retry}
    done = [i for i in read if i not in failed and i in run.pending]
    with uow:
        s = uow.session
        if done:
            s.execute(
                delete(ShopOrderRetry).where(
                    ShopOrderRetry.integration_id == integration_id, ShopOrderRetry.id_order.in_(done)
                )
            )
        if failed:
            stmt = pg_insert(ShopOrderRetry).values(
                [
                    {"integration_id": integration_id, "id_order": i, "reason": reason[:2000],
                     "sync_run_id": run_id}
                    for i, reason in sorted(failed.items())
                ]
            )  # fmt: skip
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=[ShopOrderRetry.integration_id, ShopOrderRetry.id_order],
                    set_={
                        "attempts": ShopOrderRetry.attempts + 1,
                        "reason": stmt.excluded.reason,
                        "sync_run_id": stmt.excluded.sync_run_id,
                        "last_failed_at": func.now(),
                    },
                )
            )
        uow.commit()


def _pending_retries(uow: UnitOfWork, integration_id: int) -> int:
    with uow:
        return int(
            uow.session.scalar(select(func.count()).where(ShopOrderRetry.integration_id == integration_id))
            or 0
        )
