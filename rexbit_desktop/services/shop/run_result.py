"""What a write run into the shop returns: the availability sync (``SyncResult``) and the stock push
(``StockPushResult``) count the same things, and the stock push a few more."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


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
