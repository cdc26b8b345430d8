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

Over 500 lines: the run's protocol (lock, two shop writers, records, failure handling) reads as one;
what it writes is decided in ``availability_plan.py``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from rexbit_desktop.adapters.prestashop.gateway import (
    BatchHook,
    BatchOutcome,
    PrestaShopGateway,
    WriteBatch,
)
from rexbit_desktop.db.locks import SHOP_AVAILABILITY_SYNC, held_while
from rexbit_desktop.db.models import SyncRun
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.availability import AvailabilityRule
from rexbit_desktop.domain.errors import Conflict, RexbitError, ValidationError
from rexbit_desktop.domain.messages import one_line
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.faults import pause_point
from rexbit_desktop.services.bulk import gc_paused
from rexbit_desktop.services.shop.availability_plan import (
    _RECORD_SQL,
    _batch_rows,
    _decide,
    _load_units,
    _Records,
    _settings_fingerprint,
    _TextIds,
    _Unit,
)
from rexbit_desktop.services.shop.connection import (
    PRESTASHOP_TYPE,
    ShopContext,
    ShopIntegration,
    load_shop_integration,
    open_shop,
)
from rexbit_desktop.services.shop.run_sweep import fail_abandoned_sync_runs

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 10_000
SHOP_WRITERS = 2
MIN_BATCH_SIZE = 2_000


def _batch_size_for(total: int) -> int:
    """At least four batches when there is enough to write, so that the shop writes one batch while
    PostgreSQL records the previous one; at most 10,000 shop products per shop transaction."""
    return max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, -(-total // 4)))


MAX_ERROR_DETAILS = 50

JSON_KEYS = (
    "examined",
    "to_write",
    "written",
    "skipped_unchanged",
    "missing_in_shop",
    "errors",
    "duration_s",
)


@dataclass(frozen=True)
class SyncResult:
    sync_run_id: int
    integration_id: int
    status: str  # succeeded | failed | cancelled
    dry_run: bool
    full: bool
    examined: int
    to_write: int
    written: int
    skipped_unchanged: int
    missing_in_shop: int
    errors: int
    duration_s: float
    message: str | None = None
    error_details: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """The ``--json`` output: exactly these keys."""
        return {k: getattr(self, k) for k in JSON_KEYS}


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
        raise ValidationError("--limit must be at least 1.")
    if batch_size is not None and batch_size < 1:
        raise ValidationError("The batch size must be at least 1.")
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
        details: list[dict[str, Any]] = []
        status, message = "succeeded", None
        try:
            status, message = _run(
                uow,
                integration,
                run_id,
                counts,
                details,
                limit=limit,
                dry_run=dry_run,
                full=full or not integration.config["sync_only_changed"],
                progress=progress,
                cancel=cancel,
                batch_size=batch_size,
                batch_hook=batch_hook,
            )
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
        finished = uow.session.get(SyncRun, run_id)
        assert finished is not None
        run = finished
        for key, value in counts.items():
            setattr(run, key, value)
        run.status = status
        run.message = message
        run.error_details = details[:MAX_ERROR_DETAILS]
        run.finished_at = datetime.now(UTC)
        run.duration_s = duration
        uow.commit()
    return SyncResult(
        sync_run_id=run_id,
        integration_id=integration.id,
        status=status,
        dry_run=dry_run,
        full=full,
        duration_s=duration,
        message=message,
        error_details=details[:MAX_ERROR_DETAILS],
        **counts,
    )


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
        )
    if not integration.enabled:
        raise ValidationError(
            f"Integration {integration.id} ({integration.name}) is disabled.", hint="Enable it first."
        )


def _run(
    uow: UnitOfWork,
    integration: ShopIntegration,
    run_id: int,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    *,
    limit: int | None,
    dry_run: bool,
    full: bool,
    progress: Progress,
    cancel: CancelCheck,
    batch_size: int | None,
    batch_hook: BatchHook | None,
) -> tuple[str, str | None]:
    gateway, shop = open_shop(integration)
    try:
        with gc_paused():  # 100,000 links become objects: see services/bulk.py
            return _sync_with(
                uow,
                gateway,
                shop,
                integration,
                run_id,
                counts,
                details,
                limit=limit,
                dry_run=dry_run,
                full=full,
                progress=progress,
                cancel=cancel,
                batch_size=batch_size,
                batch_hook=batch_hook,
            )
    finally:
        gateway.close()


def _sync_with(
    uow: UnitOfWork,
    gateway: Any,
    shop: ShopContext,
    integration: ShopIntegration,
    run_id: int,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    *,
    limit: int | None,
    dry_run: bool,
    full: bool,
    progress: Progress,
    cancel: CancelCheck,
    batch_size: int | None,
    batch_hook: BatchHook | None,
) -> tuple[str, str | None]:
    cfg = integration.config
    stock_key = shop.info.stock_key
    rule = AvailabilityRule(
        min_stock_threshold=cfg["min_stock_threshold"],
        texts=shop.texts,
        default_delivery_days=cfg["default_delivery_days"],
    )
    timings = {"read": 0.0, "decide": 0.0, "shop": 0.0, "record": 0.0}
    mark = time.perf_counter()
    settings = _settings_fingerprint(rule, stock_key)
    units, examined = _load_units(uow, integration.id, rule, settings, full, details)
    counts["errors"] += len(details)
    timings["read"], mark = time.perf_counter() - mark, time.perf_counter()
    _decide(units, rule)
    counts["examined"] = examined
    pending = [units[k] for k in sorted(units)]
    counts["skipped_unchanged"] = examined - len(pending)
    if limit is not None:
        pending = pending[:limit]
    counts["to_write"] = len(pending)
    total = len(pending)
    timings["decide"] = time.perf_counter() - mark
    progress(0, total, "dry run: checking" if dry_run else "writing availability")
    text_ids = _TextIds()
    records = _Records(integration.id, stock_key, run_id, settings)
    size = batch_size or _batch_size_for(total)
    chunks = [pending[i : i + size] for i in range(0, total, size)]

    # Two shop connections write batches side by side (disjoint products, so no lock waits): measured on
    # 100,000 products, MariaDB's UPDATEs took 1.4-1.5 s on two connections against 2.5-3.3 s on one.
    # Not more: this is the shop's live database. Each connection is used by one thread at a time.
    gateways: queue.SimpleQueue[Any] = queue.SimpleQueue()
    gateways.put(gateway)
    extra = [PrestaShopGateway.connect(integration.config) for _ in range(min(SHOP_WRITERS, len(chunks)) - 1)]
    for g in extra:
        gateways.put(g)
    writers = 1 + len(extra)
    shop_time = threading.Lock()

    def write(number: int, batch: WriteBatch) -> BatchOutcome:
        started = time.perf_counter()
        g = gateways.get()
        try:
            return g.write_batch(  # type: ignore[no-any-return]
                batch,
                id_shop=shop.info.id_shop,
                stock_key=stock_key,
                combination_text_columns=shop.schema.combination_text_columns,
                batch_number=number,
                hook=batch_hook,
                apply=not dry_run,
            )
        finally:
            gateways.put(g)
            with shop_time:
                timings["shop"] += time.perf_counter() - started

    # Pipelined: the shop writes the next batches while PostgreSQL records the one it committed, in
    # batch order. A batch that fails is not recorded; those already in flight finish and are recorded if
    # the shop committed them (so both sides agree), no new one starts, and the run fails with the first
    # error. Cancel is checked before each batch after the first.
    done = 0
    cancelled = False
    failure: BaseException | None = None
    in_flight: dict[int, Future[BatchOutcome]] = {}
    submitted = 0
    try:
        with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="shop-writer") as writer:

            def top_up() -> None:
                nonlocal submitted, cancelled
                while (
                    not cancelled and failure is None and submitted < len(chunks) and len(in_flight) < writers
                ):
                    if submitted and cancel():
                        cancelled = True
                        return
                    submitted += 1
                    # The rows are built here, in this thread: text ids are numbered as they are first met.
                    in_flight[submitted] = writer.submit(
                        write, submitted, _batch_rows(chunks[submitted - 1], text_ids)
                    )

            top_up()
            for number, chunk in enumerate(chunks, start=1):
                future = in_flight.pop(number, None)
                if future is None:
                    break  # never started: cancelled or after a failure
                try:
                    outcome = future.result()
                except BaseException as exc:  # the shop rolled that batch back: nothing of it is recorded
                    failure = failure or exc
                    continue
                _record_batch(uow, chunk, outcome, counts, details, records, dry_run, timings)
                pause_point(f"shop-sync-batch:{number}")
                done += len(chunk)
                progress(done, total, "dry run: checking" if dry_run else "writing availability")
                top_up()
    finally:
        for g in extra:
            g.close()
    if failure is not None:
        raise failure
    if cancelled and done < total:
        return "cancelled", f"cancelled after {done} of {total} products"
    log.info("sync run %s timings: %s", run_id, ", ".join(f"{k} {v:.3f} s" for k, v in timings.items()))
    return "succeeded", None


def _record_batch(
    uow: UnitOfWork,
    chunk: list[_Unit],
    outcome: BatchOutcome,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    records: _Records,
    dry_run: bool,
    timings: dict[str, float],
) -> None:
    """Count a batch the shop committed and record ``last_availability`` for what it has."""
    mark = time.perf_counter()
    recs: dict[str, tuple[int, int, list[int]]] = {}  # record text → (item key, product key, link ids)
    for unit in chunk:
        if (unit.id_product, 0) in outcome.missing:
            counts["missing_in_shop"] += 1
            _note_missing(details, unit.id_product, 0)
            continue
        if not dry_run:
            counts["written"] += 1
        for link in unit.links:
            if link.id_product_attribute and (unit.id_product, link.id_product_attribute) in outcome.missing:
                counts["missing_in_shop"] += 1
                _note_missing(details, unit.id_product, link.id_product_attribute)
                continue
            rec = records.of(link, unit)
            entry = recs.get(rec)
            if entry is None:
                entry = recs[rec] = (link.item_key, link.product_key, [])
            entry[2].append(link.link_id)
    if not dry_run and recs:
        for rec, (item_key, product_key, ids) in recs.items():
            uow.session.execute(
                _RECORD_SQL,
                {
                    "record_id": records.id_of(uow, rec, item_key, product_key),
                    "run_id": records.run_id,
                    "ids": ids,
                },
            )
        uow.commit()
    timings["record"] += time.perf_counter() - mark


def _note_missing(details: list[dict[str, Any]], id_product: int, id_attr: int) -> None:
    if len(details) < MAX_ERROR_DETAILS:
        what = f"combination {id_product}:{id_attr}" if id_attr else f"product {id_product}"
        details.append(
            {"external_id": f"{id_product}:{id_attr}", "reason": f"{what} is no longer in the shop"}
        )


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
