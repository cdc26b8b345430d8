"""Reading what the shop syncs did: the last sync runs of every kind (for the integrations view), and
what the last availability sync committed for one shop link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from rexbit_desktop.db.models import SyncRun
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.roles import Actor, Permission


@dataclass(frozen=True)
class SyncRunView:
    id: int
    integration_id: int
    kind: str
    status: str
    started_by: str
    dry_run: bool
    full: bool
    examined: int
    to_write: int
    written: int
    skipped_unchanged: int
    missing_in_shop: int
    errors: int
    message: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    # Orders runs (kind "orders"): our orders created and updated, shop orders read again.
    created: int = 0
    updated: int = 0
    retried: int = 0


def last_availability(
    uow: UnitOfWork, actor: Actor, *, integration_id: int, external_id: str
) -> dict[str, Any] | None:
    """What the last sync committed for one shop link (None if nothing yet): ``out_of_stock``,
    ``texts``, ``product`` (the product level), ``stock_key``, ``fingerprint``, ``sync_run_id``,
    ``synced_at``."""
    actor.require(Permission.VIEW)
    from rexbit_desktop.db.models import IntegrationProductLink, ShopSyncRecord, ShopSyncState

    with uow:
        row = uow.session.execute(
            select(ShopSyncRecord.record, ShopSyncState.sync_run_id, ShopSyncState.written_at)
            .join(IntegrationProductLink, IntegrationProductLink.id == ShopSyncState.link_id)
            .join(ShopSyncRecord, ShopSyncRecord.id == ShopSyncState.record_id)
            .where(
                IntegrationProductLink.integration_id == integration_id,
                IntegrationProductLink.external_id == external_id,
            )
        ).one_or_none()
    if row is None:
        return None
    record, run_id, written_at = row
    return {
        **record,
        "sync_run_id": run_id,
        "synced_at": written_at.astimezone(UTC).isoformat(timespec="seconds"),
    }


def list_sync_runs(
    uow: UnitOfWork, actor: Actor, *, integration_id: int | None = None, limit: int = 20
) -> list[SyncRunView]:
    """The last sync runs of every kind (availability, orders), newest first (for the integrations view)."""
    actor.require(Permission.VIEW)
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if integration_id is not None:
        query = query.where(SyncRun.integration_id == integration_id)
    with uow:
        return [
            SyncRunView(
                r.id,
                r.integration_id,
                r.kind,
                r.status,
                r.started_by,
                r.dry_run,
                r.full,
                r.examined,
                r.to_write,
                r.written,
                r.skipped_unchanged,
                r.missing_in_shop,
                r.errors,
                r.message,
                r.started_at,
                r.finished_at,
                r.duration_s,
                r.created,
                r.updated,
                r.retried,
            )
            for r in uow.session.scalars(query)
        ]
