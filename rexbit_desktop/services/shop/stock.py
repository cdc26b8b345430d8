"""Our stock → the shop's quantity (``rexbit shop push-stock``, the ``shop:push_stock`` job, issue 15).

For every product or combination linked to a PrestaShop integration with ``stock_sync: on``, the shop's
``stock_available.quantity`` becomes::

    free stock (on hand − reserved) over stock_warehouses − stock_buffer
      − units in the shop's open orders rexbit has not taken in yet           (never below 0)

The last term is computed by the shop in the statement that writes (``adapters/prestashop/stock.py``):
the shop took those units off at checkout, and rexbit has no reservation for them yet. Open = the shop's
own reserved rule. What we read here is read in one PostgreSQL snapshot: the free stock and which of the
shop's open orders we have taken in (their units are in our reservations), so an order taken in while
the push runs is counted exactly once.

Triggers: ``warehouse_stock_totals`` triggers (migration 0016) mark the changed products per shop in
``shop_stock_dirty`` and queue one ``shop:push_stock(changed_only=True)`` per shop; the ``push-stock``
schedule reconciles everything every 30 minutes; ``rexbit shop push-stock`` by hand.

Here: the push itself (lock, run row, batches on two shop connections, clearing the changed marks) and the
30-minute reconciliation. Reading our side is ``stock_read.py``; what the UI shows is ``stock_views.py``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, text

from rexbit_desktop.adapters.prestashop.gateway import PrestaShopGateway
from rexbit_desktop.adapters.prestashop.stock import ShopStock, StockBatchOutcome, StockContext
from rexbit_desktop.db.locks import SHOP_STOCK_PUSH
from rexbit_desktop.db.models import Integration, SyncRun
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.shop.connection import (
    PRESTASHOP_TYPE,
    ShopIntegration,
    load_shop_integration,
)
from rexbit_desktop.services.shop.run_result import MAX_ERROR_DETAILS, StockPushResult, finish_run
from rexbit_desktop.services.shop.stock_read import _CLEAR_DIRTY_SQL, open_shop_stock, read_ours
from rexbit_desktop.services.shop.stock_views import (
    KIND,
    ShopStockLine,
    StockPushView,
    StockSettingsView,
    last_stock_push,
    product_shop_stock,
    stock_settings,
)

__all__ = [
    "JSON_KEYS",
    "KIND",
    "ShopStockLine",
    "StockPushResult",
    "StockPushView",
    "StockSettingsView",
    "StockSyncOff",
    "last_stock_push",
    "product_shop_stock",
    "push_all_stock",
    "push_stock",
    "stock_settings",
]

log = logging.getLogger(__name__)

BATCH_SIZE = 10_000
SHOP_WRITERS = 2

JSON_KEYS = StockPushResult.JSON_KEYS


class StockSyncOff(ValidationError):
    """The integration does not push stock (``stock_sync`` is off)."""


# ---------------------------------------------------------------- the push


@contextmanager
def _one_push_per_shop(engine: Engine, integration_id: int) -> Iterator[None]:
    """A session-level advisory lock on a connection of its own (the push commits several times)."""
    with engine.connect() as conn:
        key = {"ns": SHOP_STOCK_PUSH.key, "id": integration_id}
        if not conn.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"), key).scalar():
            raise Conflict(
                f"A stock push to integration {integration_id} is already running.",
                hint="Wait for it to finish, then push again if needed.",
                code="stock_push_running",
                params={"integration": integration_id},
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), key)


def _note(details: list[dict[str, Any]], detail: dict[str, Any]) -> None:
    if len(details) < MAX_ERROR_DETAILS:
        details.append(detail)


def push_stock(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    skus: list[str] | None = None,
    full: bool = False,
    dry_run: bool = False,
    changed_only: bool = False,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
    before_write: Callable[[], None] | None = None,
) -> StockPushResult:
    """Write our free stock into the shop's quantity. See the module docstring.

    ``changed_only``: only the products marked changed since the last push (the queued job); nothing to
    do → a ``skipped`` result without a run row. ``dry_run``: computed and checked in the shop, rolled
    back. Raises ``StockSyncOff`` when the integration does not push stock (a dry run is allowed).
    """
    actor.require(Permission.INTEGRATIONS_RUN)
    started = time.perf_counter()
    with uow:
        integration = load_shop_integration(uow.session, integration_id)
    if not dry_run and (integration.config["stock_sync"] != "on" or not integration.enabled):
        if changed_only:
            return StockPushResult(None, integration_id, "skipped", dry_run, full, message="stock sync off")
        raise StockSyncOff(
            f"Integration {integration.id} ({integration.name}) does not push stock"
            + ("" if integration.enabled else " (it is disabled)")
            + ".",
            hint='Set "stock_sync": "on" in the integration\'s configuration (and enable it).',
            code="stock_sync_off",
            params={"integration": integration.id, "name": integration.name},
        )
    if changed_only:
        with uow:
            waiting = uow.session.execute(
                text("SELECT count(*) FROM shop_stock_dirty WHERE integration_id = :i"), {"i": integration_id}
            ).scalar_one()
        if not waiting:
            return StockPushResult(None, integration_id, "skipped", dry_run, full, message="nothing changed")

    with uow:
        bind = uow.session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
    counts = {k: 0 for k in JSON_KEYS if k != "duration_s"}
    details: list[dict[str, Any]] = []
    timings = {"read": 0.0, "shop": 0.0, "marks": 0.0}
    with _one_push_per_shop(engine, integration_id):
        with uow:
            run = SyncRun(
                integration_id=integration.id,
                kind=KIND,
                status="running",
                started_by=actor.login,
                dry_run=dry_run,
                full=full,
            )
            uow.session.add(run)
            uow.commit()
            run_id = run.id
        status, message = "succeeded", None
        try:
            gateway, stock, ctx = open_shop_stock(integration)
            try:
                status, message = _push(
                    PushRun(uow, integration, counts, details, timings),
                    stock,
                    ctx,
                    PushOptions(skus, full, dry_run, changed_only, progress, cancel, before_write),
                )
            finally:
                gateway.close()
        except RexbitError as exc:
            counts["errors"] += 1
            _note(details, {"reason": exc.message})
            status, message = "failed", str(exc)
            log.info("stock push to integration %s failed: %s", integration.id, exc.message)
    duration = round(time.perf_counter() - started, 3)
    with uow:
        result = finish_run(
            uow, StockPushResult, run_id=run_id, integration_id=integration.id, status=status, message=message,
            details=details, counts=counts, duration=duration, dry_run=dry_run, full=full,
        )  # fmt: skip
    log.info(
        "stock push %s to integration %s: %s %s (read %.3f s, shop %.3f s, marks cleared %.3f s)",
        run_id, integration.id, status, counts, timings["read"], timings["shop"], timings["marks"],
    )  # fmt: skip
    return result


@dataclass(frozen=True)
class PushOptions:
    """What a push was asked to do (``push_stock``'s keyword arguments)."""

    skus: list[str] | None = None
    full: bool = False
    dry_run: bool = False
    changed_only: bool = False
    progress: Progress = no_progress
    cancel: CancelCheck = never_cancelled
    before_write: Callable[[], None] | None = None


@dataclass
class PushRun:
    """One push's context: where it writes and what it counted so far (recorded on its run row)."""

    uow: UnitOfWork
    integration: ShopIntegration
    counts: dict[str, int]
    details: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "shop": 0.0, "marks": 0.0})


def _push(run: PushRun, stock: ShopStock, ctx: StockContext, opts: PushOptions) -> tuple[str, str | None]:
    uow, integration, counts, details, timings = (
        run.uow,
        run.integration,
        run.counts,
        run.details,
        run.timings,
    )
    skus, full, dry_run, changed_only = opts.skus, opts.full, opts.dry_run, opts.changed_only
    progress, cancel, before_write = opts.progress, opts.cancel, opts.before_write
    mark = time.perf_counter()
    open_ids: list[int] = []

    def open_orders() -> list[int]:
        open_ids.extend(stock.open_order_ids(ctx))
        return open_ids

    with uow:
        read = read_ours(uow, integration, open_orders, skus=skus, changed_only=changed_only)
        uow.rollback()
    timings["read"] = time.perf_counter() - mark
    if skus and not read.items:
        raise NotFound(
            f"No product with SKU {', '.join(skus)} is linked to integration {integration.id}.",
            code="skus_not_linked",
            params={"skus": list(skus), "integration": integration.id},
        )
    for bad in read.bad_links:
        counts["errors"] += 1
        _note(
            details, {"external_id": bad, "reason": "the link's external id is not 'id_product:id_attribute'"}
        )
    counts["examined"] = len(read.items)
    counts["pending_shop_orders"] = len(set(open_ids) - set(read.imported))
    total = len(read.items)
    progress(0, total, "dry run: checking stock" if dry_run else "writing stock")
    done = 0
    skipped_other = 0
    written_products: set[int] = set()
    read.items.sort()  # batches by shop product: a product's combinations are in one batch
    batches = [read.items[start : start + BATCH_SIZE] for start in range(0, total, BATCH_SIZE)]
    # Two shop connections write batches side by side (disjoint products, each batch its own transaction,
    # as the availability sync does); one batch needs one.
    stocks: queue.SimpleQueue[ShopStock] = queue.SimpleQueue()
    stocks.put(stock)
    extra = [
        PrestaShopGateway.connect(integration.config) for _ in range(min(SHOP_WRITERS, len(batches)) - 1)
    ]
    for g in extra:
        stocks.put(ShopStock(g))
    shop_time = threading.Lock()

    def write(batch: list[tuple[int, int, int]]) -> StockBatchOutcome:
        started = time.perf_counter()
        writer = stocks.get()
        try:
            return writer.write_batch(
                ctx, batch, read.imported, full=full, apply=not dry_run, before_write=before_write
            )
        finally:
            stocks.put(writer)
            with shop_time:
                timings["shop"] += time.perf_counter() - started

    failure: BaseException | None = None
    cancelled = False
    try:
        with ThreadPoolExecutor(max_workers=1 + len(extra), thread_name_prefix="shop-stock") as pool:
            in_flight: dict[int, Future[StockBatchOutcome]] = {}
            submitted = 0

            def top_up() -> None:
                nonlocal submitted, cancelled
                while (
                    failure is None
                    and not cancelled
                    and submitted < len(batches)
                    and len(in_flight) <= len(extra)
                ):
                    if submitted and cancel():
                        cancelled = True
                        return
                    in_flight[submitted] = pool.submit(write, batches[submitted])
                    submitted += 1

            top_up()
            for number, batch in enumerate(batches):
                future = in_flight.pop(number, None)
                if future is None:
                    break
                try:
                    outcome = future.result()
                except BaseException as exc:  # that batch rolled back; those in flight finish
                    failure = failure or exc
                    continue
                counts["to_write"] += outcome.written
                if not dry_run:
                    counts["written"] += outcome.written + outcome.parents_written
                counts["skipped_packs"] += outcome.packs
                counts["missing_in_shop"] += outcome.missing
                for s in outcome.skipped:
                    if s.reason == "parent":
                        skipped_other += 1
                    _note(
                        details,
                        {"external_id": f"{s.id_product}:{s.id_product_attribute}", "reason": s.detail},
                    )
                written_products.update(read.products_of[(i[0], i[1])] for i in batch)
                done += len(batch)
                progress(done, total, "dry run: checking stock" if dry_run else "writing stock")
                top_up()
    finally:
        for g in extra:
            g.close()
    if failure is not None:
        raise failure
    if cancelled and done < total:
        return "cancelled", f"cancelled after {done} of {total} items"
    counts["skipped_unchanged"] = max(
        0,
        counts["examined"]
        - counts["to_write"]
        - counts["skipped_packs"]
        - counts["missing_in_shop"]
        - skipped_other,
    )
    if not dry_run and read.dirty:
        # A push of some SKUs clears only their marks; any other push examined every marked product.
        mark = time.perf_counter()
        done_dirty = [(p, s) for p, s in read.dirty.items() if not skus or p in written_products]
        if done_dirty:
            with uow:
                uow.session.execute(
                    _CLEAR_DIRTY_SQL,
                    {
                        "integration_id": integration.id,
                        "products": [p for p, _ in done_dirty],
                        "seqs": [s for _, s in done_dirty],
                    },
                )
                uow.commit()
        timings["marks"] = time.perf_counter() - mark
    return "succeeded", None


def push_all_stock(
    uow: UnitOfWork, actor: Actor, *, progress: Progress = no_progress, cancel: CancelCheck = never_cancelled
) -> list[StockPushResult]:
    """The 30-minute reconciliation: every enabled PrestaShop integration with ``stock_sync: on``."""
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        rows = uow.session.execute(
            select(Integration.id, Integration.config)
            .where(Integration.type == PRESTASHOP_TYPE, Integration.enabled.is_(True))
            .order_by(Integration.id)
        ).all()
    results = []
    for integration_id, cfg in rows:
        if (cfg or {}).get("stock_sync") != "on" or cancel():
            continue
        try:
            results.append(
                push_stock(uow, actor, integration_id=integration_id, progress=progress, cancel=cancel)
            )
        except RexbitError as exc:
            log.warning("stock push to integration %s skipped: %s", integration_id, exc.message)
    return results
