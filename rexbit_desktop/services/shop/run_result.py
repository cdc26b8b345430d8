"""What a write run into the shop returns: the availability sync (``SyncResult``) and the stock push
(``StockPushResult``) count the same things, and the stock push a few more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from rexbit_desktop.db.models import SyncRun
from rexbit_desktop.db.session import UnitOfWork

MAX_ERROR_DETAILS = 50  # a run row keeps the first problems; the log has the rest


@dataclass(frozen=True)
class ShopWriteResult:
    """One run writing into a shop: its ``sync_runs`` row (None when skipped without one) and counts."""

    sync_run_id: int | None
    integration_id: int
    status: str  # succeeded | failed | cancelled (| skipped: the stock push)
    dry_run: bool
    full: bool
    examined: int = 0
    to_write: int = 0
    written: int = 0
    skipped_unchanged: int = 0
    missing_in_shop: int = 0
    errors: int = 0
    duration_s: float = 0.0
    message: str | None = None
    error_details: list[dict[str, Any]] = field(default_factory=list)

    JSON_KEYS: ClassVar[tuple[str, ...]] = (
        "examined",
        "to_write",
        "written",
        "skipped_unchanged",
        "missing_in_shop",
        "errors",
        "duration_s",
    )

    def counts(self) -> dict[str, Any]:
        """The ``--json`` output: exactly the keys of ``JSON_KEYS``."""
        return {k: getattr(self, k) for k in self.JSON_KEYS}


@dataclass(frozen=True)
class SyncResult(ShopWriteResult):
    """An availability sync (``supplier sync-availability``); its counts are shop products."""


@dataclass(frozen=True)
class StockPushResult(ShopWriteResult):
    """A stock push (``shop push-stock``); its counts are shop items (products and combinations)."""

    skipped_packs: int = 0
    pending_shop_orders: int = 0

    JSON_KEYS: ClassVar[tuple[str, ...]] = (
        "examined",
        "to_write",
        "written",
        "skipped_unchanged",
        "skipped_packs",
        "missing_in_shop",
        "pending_shop_orders",
        "errors",
        "duration_s",
    )


R = TypeVar("R", bound=ShopWriteResult)


def finish_run(
    uow: UnitOfWork,
    result: type[R],
    *,
    run_id: int,
    integration_id: int,
    status: str,
    message: str | None,
    details: list[dict[str, Any]],
    counts: dict[str, int],
    duration: float,
    dry_run: bool,
    full: bool,
) -> R:
    """Closes a run's ``sync_runs`` row (counts, status, first problems, end) in ``uow``'s open session,
    commits, and returns what the run reports: the one ending of the sync and the push."""
    row = uow.session.get(SyncRun, run_id)
    assert row is not None
    for key, value in counts.items():
        setattr(row, key, value)
    row.status = status
    row.message = message
    row.error_details = details[:MAX_ERROR_DETAILS]
    row.finished_at = datetime.now(UTC)
    row.duration_s = duration
    uow.commit()
    return result(
        sync_run_id=run_id,
        integration_id=integration_id,
        status=status,
        dry_run=dry_run,
        full=full,
        duration_s=duration,
        message=message,
        error_details=details[:MAX_ERROR_DETAILS],
        **counts,
    )
