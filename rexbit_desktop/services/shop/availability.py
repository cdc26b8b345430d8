"""Supplier availability → the PrestaShop database (``rexbit supplier sync-availability``).

One unit of writing is a shop product: its product-level row (``id_product_attribute = 0``) and the
combinations linked to our products. The product level allows orders if any combination does (the rule
in ``domain/availability.py`` over all its combinations' offers). Counts in ``sync_runs`` and in the
result are shop products.

Consistency: each batch is one MariaDB transaction; the ``last_availability`` of its links (table
``shop_sync_state``, see ``last_availability()``) is written to PostgreSQL only after the shop committed. A lost connection leaves the batch unwritten on both
sides (the shop rolls back, we record nothing), and the next run writes it (``sync_only_changed``
compares with what was recorded). If PostgreSQL fails after the shop committed, the next run writes
the same values again — harmless.

Here: the run's protocol (lock, the ``sync_runs`` row, failure handling) and the schedule over every
shop. What a run writes is decided in ``availability_plan.py``; the batches are written and recorded by
``availability_write.py``; reading past runs is ``availability_runs.py``.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from rexbit_desktop.adapters.prestashop.gateway import BatchHook
from rexbit_desktop.db.locks import SHOP_AVAILABILITY_SYNC, held_while
from rexbit_desktop.db.models import SyncRun
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, RexbitError, ValidationError
from rexbit_desktop.domain.messages import one_line
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.bulk import gc_paused
from rexbit_desktop.services.shop.availability_runs import SyncRunView, last_availability, list_sync_runs
from rexbit_desktop.services.shop.availability_write import AvailabilityRun, SyncOptions
from rexbit_desktop.services.shop.connection import (
    PRESTASHOP_TYPE,
    ShopIntegration,
    load_shop_integration,
    open_shop,
)
from rexbit_desktop.services.shop.run_result import SyncResult, finish_run
from rexbit_desktop.services.shop.run_sweep import fail_abandoned_sync_runs

__all__ = [
    "JSON_KEYS",
    "ProductListingDisabled",
    "SyncResult",
    "SyncRunView",
    "last_availability",
    "list_sync_runs",
    "sync_all_availability",
    "sync_availability",
]

log = logging.getLogger(__name__)

JSON_KEYS = SyncResult.JSON_KEYS


class ProductListingDisabled(ValidationError):
    """Product listing is disabled for this integration."""


# ---------------------------------------------------------------- the use case


def sync_availability(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    limit: int | None = None,
    dry_run: bool = False,
    full: bool = False,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
    batch_size: int | None = None,
    batch_hook: BatchHook | None = None,
) -> SyncResult:
    """Write the best supplier offer's availability into the shop. See the module docstring."""
    actor.require(Permission.INTEGRATIONS_RUN)
    if limit is not None and limit < 1:
        raise ValidationError(
            "The limit must be at least 1.", code="limit_too_small", params={"option": "limit", "min": 1}
        )
    if batch_size is not None and batch_size < 1:
        raise ValidationError("The batch size must be at least 1.", code="batch_size_too_small")
    started = time.perf_counter()
    with uow, _one_sync_per_shop(uow, integration_id):
        integration = load_shop_integration(uow.session, integration_id)
        _refuse_unless_listing(integration)
        # This process holds the shop's sync lock now: a 'running' run of this shop is a dead one's.
        fail_abandoned_sync_runs(uow, integration_id=integration.id, kind="availability", lock_held=True)
        run = SyncRun(
            integration_id=integration.id,
            kind="availability",
            status="running",
            started_by=actor.login,
            dry_run=dry_run,
            full=full,
        )
        uow.session.add(run)
        uow.commit()
        run_id = run.id

        counts = {k: 0 for k in JSON_KEYS if k != "duration_s"}
        work = AvailabilityRun(
            uow,
            integration,
            run_id,
            SyncOptions(
                limit=limit,
                dry_run=dry_run,
                full=full or not integration.config["sync_only_changed"],
                progress=progress,
                cancel=cancel,
                batch_size=batch_size,
                batch_hook=batch_hook,
            ),
            counts,
        )
        details = work.details
        status, message = "succeeded", None
        try:
            status, message = _run(work)
        except RexbitError as exc:
            uow.rollback()
            counts["errors"] += 1
            details.append({"reason": exc.message})
            status, message = "failed", one_line(exc)
            log.info("availability sync of integration %s failed: %s", integration.id, exc.message)
        except (
            Exception
        ) as exc:  # our side failed (database connection cut …): the run must not stay 'running'
            log.exception("availability sync run %s of integration %s failed", run_id, integration.id)
            uow.rollback()
            _fail_run_row(uow, run_id, counts, one_line(exc), round(time.perf_counter() - started, 3))
            raise
        duration = round(time.perf_counter() - started, 3)
        return finish_run(
            uow, SyncResult, run_id=run_id, integration_id=integration.id, status=status, message=message,
            details=details, counts=counts, duration=duration, dry_run=dry_run, full=full,
        )  # fmt: skip


def _fail_run_row(
    uow: UnitOfWork, run_id: int, counts: dict[str, int], message: str, duration: float
) -> None:
    try:
        with uow:
            run = uow.session.get(SyncRun, run_id)
            if run is None:
                return
            for key, value in counts.items():
                setattr(run, key, value)
            run.errors = run.errors + 1
            run.status, run.message = "failed", message
            run.error_details = [{"reason": message}]
            run.finished_at = datetime.now(UTC)
            run.duration_s = duration
            uow.commit()
    except Exception:  # the database is gone too: the sweep closes the run later
        log.warning("could not record the failure of sync run %s", run_id, exc_info=True)


def _one_sync_per_shop(uow: UnitOfWork, integration_id: int) -> AbstractContextManager[None]:
    """Two syncs of one shop at once (a schedule and an operator) would race on last_availability.

    A session-level lock: the run commits per batch, and a transaction-level lock would be released by
    the first commit.
    """
    bind = uow.session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return held_while(
        engine,
        SHOP_AVAILABILITY_SYNC,
        integration_id,
        busy=lambda: Conflict(
            f"An availability sync of integration {integration_id} is already running.",
            hint="Wait for it to finish (see the last sync runs), then run again if needed.",
        ),
    )


def _refuse_unless_listing(integration: ShopIntegration) -> None:
    if not integration.config["product_listing_enabled"]:
        raise ProductListingDisabled(
            f"Product listing is disabled for integration {integration.id} ({integration.name}): "
            "the availability sync writes nothing to this shop.",
            hint='Set "product_listing_enabled": true in the integration\'s configuration to allow it.',
            code="product_listing_disabled",
            params={"integration": integration.id, "name": integration.name},
        )
    if not integration.enabled:
        raise ValidationError(
            f"Integration {integration.id} ({integration.name}) is disabled.",
            hint="Enable it first.",
            code="integration_disabled",
            params={"integration": integration.id, "name": integration.name},
        )


def _run(work: AvailabilityRun) -> tuple[str, str | None]:
    gateway, shop = open_shop(work.integration)
    try:
        with gc_paused():  # 100,000 links become objects: see services/bulk.py
            return work.write(gateway, shop)
    finally:
        gateway.close()


def sync_all_availability(
    uow: UnitOfWork, actor: Actor, *, progress: Progress = no_progress, cancel: CancelCheck = never_cancelled
) -> list[SyncResult]:
    """The 30-minute schedule: every enabled PrestaShop integration with product listing enabled.
    First closes the sync runs whose process died (``services/shop/run_sweep.py``)."""
    actor.require(Permission.INTEGRATIONS_RUN)
    from rexbit_desktop.db.models import Integration

    fail_abandoned_sync_runs(uow)

    with uow:
        rows = uow.session.execute(
            select(Integration.id, Integration.config)
            .where(Integration.type == PRESTASHOP_TYPE, Integration.enabled.is_(True))
            .order_by(Integration.id)
        ).all()
    ids = [i for i, cfg in rows if bool((cfg or {}).get("product_listing_enabled"))]
    results = []
    for integration_id in ids:
        if cancel():
            break
        try:
            results.append(
                sync_availability(uow, actor, integration_id=integration_id, progress=progress, cancel=cancel)
            )
        except RexbitError as exc:
            # One shop must not keep the others from their sync (e.g. a sync of it is already running).
            log.warning("availability sync of integration %s skipped: %s", integration_id, exc.message)
    return results
