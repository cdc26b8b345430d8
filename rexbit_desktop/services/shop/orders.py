"""Orders from the PrestaShop shop (``rexbit orders sync-external``), and their statuses flowing back.

Import (shop → us), one run:

- reads the shop's orders of the integration's ``id_shop`` changed after the cursor (``date_upd``,
  ``id_order``; table ``shop_order_cursors``), a page at a time (default 500; one query per shop table
  per page). First run: the orders changed in the last ``days`` (30), or since ``since``. Each run starts
  a minute before the cursor: an order written in the cursor's second, or committed late by a long shop
  transaction, is not missed; orders seen again are skipped as unchanged.
- a new shop order becomes our order (``place_order``: numbering, history and settings apply), keyed on
  (integration, ``external_order_id`` = ``id_order``) — never on ``reference``, which is not unique —
  in the status its shop state maps to (``domain/shop_order_states.py``). Lines are matched to our
  products by the integration's product link (``id_product:id_product_attribute``, from ``products
  pull``), else by SKU = ``product_reference``, else by EAN; an unknown item is a line without product.
  One order that cannot be taken in is reported and the run goes on.
- an order taken in before whose shop state changed since we last saw it goes through the workflow
  (side effects, history by ``integration:<id>`` or the job); a change the workflow refuses is reported,
  never forced. What we last saw is ``orders.metadata.prestashop.current_state``.
- nothing is lost: a shop order that cannot be taken in (or whose state change fails on our side) is
  kept in ``shop_order_retries``; each run first reads those ids again (one batched query per table),
  takes in what now succeeds and drops it from the list; an id the shop no longer has is dropped and
  reported. A refused transition is not kept (it is retried when the shop changes the order again).
- every run is a ``sync_runs`` row of kind ``orders``: examined, created, updated, skipped
  (``skipped_unchanged``), retried, errors with the first 50 problems (shop order id and reason),
  duration.

Flowback (us → shop): a status change of an order taken in from the shop defers the queued listener
(``orders:order_status_changed``); ``push_status_to_shop`` then writes the mapped state into the shop
(``orders.current_state`` + an ``order_history`` row, one MariaDB transaction) and, when shipped, the
tracking number (``order_carrier.tracking_number``). An unreachable shop fails the job: the queue
retries it, nothing is lost.

Over 500 lines: one run's page loop, retries and result are one protocol; the mapping, the shop
connection, the cursor and the flowback already have rooms of their own.
"""

from __future__ import annotations

import contextlib
import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from rexbit_desktop.adapters.prestashop.gateway import ShopDatabaseError
from rexbit_desktop.adapters.prestashop.orders import ShopOrder, ShopOrders
from rexbit_desktop.db.locks import SHOP_ORDERS_SYNC, held_while
from rexbit_desktop.db.models import (
    Integration,
    IntegrationProductLink,
    Order,
    Product,
    ShopOrderCursor,
    ShopOrderRetry,
    SyncRun,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import (
    Conflict,
    RexbitError,
    TransitionRefused,
    ValidationError,
)
from rexbit_desktop.domain.messages import one_line
from rexbit_desktop.domain.orders import OrderStatus, is_allowed
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.orders import place_order
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.shop.connection import PRESTASHOP_TYPE
from rexbit_desktop.services.shop.order_cursor import (
    _cursor_text,
    _pending_retries,
    _save_cursor,
    _track_retries,
)
from rexbit_desktop.services.shop.order_mapping import (
    MAX_ERROR_DETAILS,
    SOURCE,
    Catalog,
    CatalogProduct,
    RunTally,
    ShopContext,
    _ean,
    map_shop_order,
)
from rexbit_desktop.services.shop.order_source import (
    ShopOrdersUnavailable,
    _connect,
    _engine,
    _import_actor,
    _load_integration,
    _remember,
    _shop_context,
)
from rexbit_desktop.services.shop.run_sweep import fail_abandoned_sync_runs

log = logging.getLogger(__name__)

KIND = "orders"
DEFAULT_DAYS = 30
PAGE_SIZE = 500
CURSOR_OVERLAP = timedelta(minutes=1)
JSON_KEYS = ("examined", "created", "updated", "skipped", "retried", "retry_pending", "errors", "duration_s")


@dataclass(frozen=True)
class OrdersSyncResult:
    sync_run_id: int
    integration_id: int
    status: str  # succeeded | failed | cancelled
    dry_run: bool
    examined: int
    created: int
    updated: int
    skipped: int
    errors: int
    duration_s: float
    cursor: str | None
    """Where the next run starts: "<date_upd> #<id_order>" in the shop's clock."""
    mapping: str
    message: str | None = None
    error_details: list[dict[str, Any]] = field(default_factory=list)
    retried: int = 0
    """Shop orders read again because an earlier run could not take them in."""
    retry_pending: int = 0
    """Shop orders still to be read again by the next run."""

    def counts(self) -> dict[str, Any]:
        """The ``--json`` output."""
        return {k: getattr(self, k) for k in JSON_KEYS}


# ---------------------------------------------------------------- building our order


def _load_catalog(uow: UnitOfWork, integration_id: int, orders: list[ShopOrder]) -> Catalog:
    lines = [line for o in orders for line in o.lines]
    catalog = Catalog()
    if not lines:
        return catalog
    s = uow.session
    for link_id, external_id, pid, sku in s.execute(
        select(IntegrationProductLink.id, IntegrationProductLink.external_id, Product.id, Product.sku)
        .join(Product, Product.id == IntegrationProductLink.product_id)
        .where(
            IntegrationProductLink.integration_id == integration_id,
            IntegrationProductLink.external_id.in_({line.external_id for line in lines}),
        )
    ):
        catalog.by_link[external_id] = CatalogProduct(pid, sku, link_id)
    refs = {line.reference.strip().upper() for line in lines if line.reference}
    if refs:
        for pid, sku in s.execute(
            select(Product.id, Product.sku)
            .where(func.upper(func.btrim(Product.sku)).in_(refs))
            .order_by(Product.id)
        ):
            catalog.by_sku.setdefault(sku.strip().upper(), CatalogProduct(pid, sku))
    eans = {line.ean13 for line in lines if _ean(line.ean13)}
    if eans:
        for pid, sku, ean in s.execute(
            select(Product.id, Product.sku, Product.ean).where(Product.ean.in_(eans)).order_by(Product.id)
        ):
            if ean:
                catalog.by_ean.setdefault(ean, CatalogProduct(pid, sku))
    return catalog


# ---------------------------------------------------------------- one page


@dataclass(frozen=True)
class _Ours:
    id: int
    number: str
    status: str
    seen_state: int | None


def _our_orders(uow: UnitOfWork, integration_id: int, orders: list[ShopOrder]) -> dict[str, _Ours]:
    rows = uow.session.execute(
        select(
            Order.id, Order.number, Order.status, Order.external_order_id, Order.meta[SOURCE]["current_state"]
        ).where(
            Order.integration_id == integration_id,
            Order.external_order_id.in_([str(o.id_order) for o in orders]),
        )
    ).all()
    return {
        ext: _Ours(oid, number, status, int(seen) if seen is not None else None)
        for oid, number, status, ext, seen in rows
    }


def _process_page(
    uow: UnitOfWork,
    import_actor: Actor,
    shop: ShopContext,
    orders: list[ShopOrder],
    run: RunTally,
    workflow: OrderWorkflowService,
    *,
    dry_run: bool,
) -> None:
    if not orders:
        return
    integration = shop.integration
    with uow:
        ours = _our_orders(uow, integration.id, orders)
        catalog = _load_catalog(uow, integration.id, [o for o in orders if str(o.id_order) not in ours])
    seen: list[tuple[int, dict[str, Any]]] = []
    for o in orders:
        run.examined += 1
        mine = ours.get(str(o.id_order))
        if mine is None:
            new = map_shop_order(o, shop, catalog, run)
            if new is None:
                continue
            if dry_run:
                run.created += 1
                continue
            try:
                place_order(uow, import_actor, new)
            except RexbitError as exc:
                run.problem(o.id_order, f"not taken in: {exc.message}", retry=True)
                continue
            run.created += 1
            continue
        if mine.seen_state == o.current_state:
            run.skipped += 1  # the shop's state did not change since we last saw it
            continue
        target = shop.mapping.ours(o.current_state)
        remember = {"current_state": o.current_state, "date_upd": o.date_upd.isoformat(sep=" ")}
        if target is None:
            run.problem(
                o.id_order,
                f"order {mine.number}: shop state {shop.state_label(o.current_state)} has no status mapped; "
                f"status '{mine.status}' kept",
                error=False,
            )
            run.skipped += 1
            seen.append((mine.id, remember))
            continue
        if target.value == mine.status:
            run.skipped += 1
            seen.append((mine.id, remember))
            continue
        if dry_run:
            if is_allowed(OrderStatus(mine.status), target):
                run.updated += 1
            else:
                run.problem(o.id_order, f"order {mine.number}: '{mine.status}' cannot go to '{target.value}'")
            continue
        try:
            workflow.transition(
                uow,
                import_actor,
                mine.number,
                target.value,
                comment=f"PrestaShop: {shop.state_label(o.current_state)}",
                context={
                    "integration_id": integration.id,
                    "id_order": o.id_order,
                    "shop_state": o.current_state,
                    # Entering "shipped": the shop's carrier is recorded (the shipping rule).
                    "carrier": o.carrier_name or integration.name,
                },
            )
        except RexbitError as exc:
            # Refused: reported, never forced; tried again when the shop changes the order next time. A
            # side effect that failed (no warehouse to reserve from…) may work next run: kept for a retry.
            reason = exc.message + (f" {exc.hint}" if exc.hint else "")
            run.problem(
                o.id_order,
                f"order {mine.number}: shop state {shop.state_label(o.current_state)}: {reason}",
                retry=not isinstance(exc, TransitionRefused),
            )
            continue
        run.updated += 1
        seen.append((mine.id, remember))
    if not dry_run:
        _remember(uow, seen)


# ---------------------------------------------------------------- the use case


def _one_orders_sync_per_shop(engine: Engine, integration_id: int) -> AbstractContextManager[None]:
    """Two imports of one shop at once would both take in the same new orders (one would fail on the
    unique key) and race on the cursor. A session-level lock: the run commits per order."""
    return held_while(
        engine,
        SHOP_ORDERS_SYNC,
        integration_id,
        busy=lambda: Conflict(
            f"An orders import of integration {integration_id} is already running.",
            hint="Wait for it to finish, then run again if needed.",
        ),
    )


def _retry_failed(
    uow: UnitOfWork,
    import_actor: Actor,
    shop: ShopContext,
    shop_orders: ShopOrders,
    run: RunTally,
    run_id: int,
    workflow: OrderWorkflowService,
    *,
    limit: int | None,
    dry_run: bool,
    page_size: int,
    cancel: CancelCheck,
) -> None:
    """Read again the shop orders earlier runs could not take in, a page of ids at a time (one query per
    shop table per page); an id the shop no longer has is dropped and reported."""
    integration_id = shop.integration.id
    with uow:
        ids = list(
            uow.session.scalars(
                select(ShopOrderRetry.id_order)
                .where(ShopOrderRetry.integration_id == integration_id)
                .order_by(ShopOrderRetry.id_order)
            )
        )
    run.pending = set(ids)
    if limit is not None:
        ids = ids[:limit]
    for start in range(0, len(ids), page_size):
        if cancel():
            return
        chunk = [int(i) for i in ids[start : start + page_size]]
        found = shop_orders.orders_by_ids(shop.integration.config["id_shop"], chunk)
        present = {o.id_order for o in found}
        for gone in chunk:
            if gone not in present:
                run.problem(
                    gone,
                    "the shop no longer has this order (it failed to be taken in before): dropped from the "
                    "retries",
                    error=False,
                )
        run.retried += len(found)
        run.handled.update(present)
        _process_page(uow, import_actor, shop, found, run, workflow, dry_run=dry_run)
        if not dry_run:
            _track_retries(uow, integration_id, run_id, chunk, run)


def sync_orders(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    since: date | None = None,
    days: int = DEFAULT_DAYS,
    limit: int | None = None,
    dry_run: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> OrdersSyncResult:
    """Take in the shop's new and changed orders. See the module docstring.

    Raises ``NotAShopIntegration`` (wrong id or type) and ``ShopOrdersUnavailable`` (cannot connect, the
    order tables are missing, the connection was lost during the run — after the run is recorded as
    failed); both exit the CLI with code 2.
    """
    actor.require(Permission.INTEGRATIONS_RUN)
    if limit is not None and limit < 1:
        raise ValidationError(
            "The limit must be at least 1.", code="limit_too_small", params={"option": "limit", "min": 1}
        )
    if days < 1:
        raise ValidationError(
            "The number of days must be at least 1.",
            code="limit_too_small",
            params={"option": "days", "min": 1},
        )
    if page_size < 1:
        raise ValidationError("The page size must be at least 1.", code="batch_size_too_small")
    started = time.perf_counter()
    with uow:
        integration = _load_integration(uow, integration_id)
        if not integration.enabled:
            raise ValidationError(
                f"Integration {integration.id} ({integration.name}) is disabled.",
                hint="Enable it first.",
                code="integration_disabled",
                params={"integration": integration.id, "name": integration.name},
            )
        engine = _engine(uow)
    gateway, shop_orders = _connect(integration)
    try:
        try:
            shop = _shop_context(uow, gateway, shop_orders, integration)
        except ShopDatabaseError as exc:
            raise ShopOrdersUnavailable(exc.message, hint=exc.hint, code=exc.code, params=exc.params) from exc
        with _one_orders_sync_per_shop(engine, integration.id):
            fail_abandoned_sync_runs(uow, integration_id=integration.id, kind=KIND, lock_held=True)
            with uow:
                stored = uow.session.get(ShopOrderCursor, integration.id)
                cursor = (stored.date_upd, int(stored.id_order)) if stored else None
                run_row = SyncRun(
                    integration_id=integration.id, kind=KIND, status="running", started_by=actor.login,
                    dry_run=dry_run,
                )  # fmt: skip
                uow.session.add(run_row)
                uow.commit()
                run_id = run_row.id
            if since is not None:
                start: tuple[datetime, int] = (datetime.combine(since, datetime.min.time()), 0)
            elif cursor is not None:
                start = (cursor[0] - CURSOR_OVERLAP, 0)
            else:
                start = (shop.now - timedelta(days=days), 0)
            run = RunTally()
            status, message, failure = "succeeded", None, None
            try:
                cursor = _import(
                    uow, actor, shop, shop_orders, run, run_id, start, cursor,
                    limit=limit, dry_run=dry_run, page_size=page_size, progress=progress, cancel=cancel,
                )  # fmt: skip
                if cancel():
                    status = "cancelled"
            except ShopDatabaseError as exc:
                status, message = "failed", one_line(exc)
                run.problem(None, exc.message)
                failure = ShopOrdersUnavailable(
                    f"{exc.message} The run stopped after {run.examined} orders (sync run {run_id}).",
                    hint="What was taken in stays; run again to go on from there.",
                )
            except BaseException as exc:  # our side failed: the run must not stay 'running'
                log.exception("orders import run %s of integration %s failed", run_id, integration.id)
                run.problem(None, one_line(exc))
                with contextlib.suppress(Exception):  # the database may be gone too: the sweep closes it
                    uow.rollback()
                    _finish(
                        uow, run_id, run, "failed", one_line(exc), round(time.perf_counter() - started, 3)
                    )
                raise
            duration = round(time.perf_counter() - started, 3)
            _finish(uow, run_id, run, status, message, duration)
    finally:
        gateway.close()
    if failure is not None:
        raise failure
    return OrdersSyncResult(
        sync_run_id=run_id, integration_id=integration.id, status=status, dry_run=dry_run,
        examined=run.examined, created=run.created, updated=run.updated, skipped=run.skipped,
        errors=run.errors, duration_s=duration, cursor=_cursor_text(cursor), mapping=shop.mapping.source,
        message=message, error_details=run.details, retried=run.retried,
        retry_pending=_pending_retries(uow, integration.id),
    )  # fmt: skip


def _import(
    uow: UnitOfWork,
    actor: Actor,
    shop: ShopContext,
    shop_orders: ShopOrders,
    run: RunTally,
    run_id: int,
    start: tuple[datetime, int],
    cursor: tuple[datetime, int] | None,
    *,
    limit: int | None,
    dry_run: bool,
    page_size: int,
    progress: Progress,
    cancel: CancelCheck,
) -> tuple[datetime, int] | None:
    """Page through the shop's changed orders; the cursor is saved after each page (a run that stops
    keeps what it did)."""
    import_actor = _import_actor(actor, shop.integration)
    workflow = OrderWorkflowService(tell_integrations=False)
    after = start
    id_shop = shop.integration.config["id_shop"]
    progress(0, limit, "reading again the shop's orders that failed before")
    _retry_failed(
        uow, import_actor, shop, shop_orders, run, run_id, workflow,
        limit=limit, dry_run=dry_run, page_size=page_size, cancel=cancel,
    )  # fmt: skip
    progress(run.examined, limit, "reading the shop's orders")
    while not cancel():
        size = page_size if limit is None else min(page_size, limit - run.examined)
        if size <= 0:
            break
        page = shop_orders.orders_page(id_shop, after, size)
        if not page:
            break
        todo = [o for o in page if o.id_order not in run.handled]  # read again above: done already
        _process_page(uow, import_actor, shop, todo, run, workflow, dry_run=dry_run)
        if not dry_run:
            _track_retries(uow, shop.integration.id, run_id, [o.id_order for o in todo], run)
        after = (page[-1].date_upd, page[-1].id_order)
        # Never move the cursor back (a --since run reads older orders again).
        if not dry_run and (cursor is None or after > cursor):
            cursor = after
            _save_cursor(uow, shop.integration.id, cursor, run_id)
        progress(run.examined, limit, "taking in orders")
        if len(page) < size:
            break
    return cursor


def _finish(
    uow: UnitOfWork, run_id: int, run: RunTally, status: str, message: str | None, duration: float
) -> None:
    with uow:
        row = uow.session.get(SyncRun, run_id)
        assert row is not None
        row.status = status
        row.message = message
        row.examined = run.examined
        row.created = run.created
        row.updated = run.updated
        row.written = run.created + run.updated
        row.skipped_unchanged = run.skipped
        row.retried = run.retried
        row.errors = run.errors
        row.error_details = run.details[:MAX_ERROR_DETAILS]
        row.finished_at = datetime.now(UTC)
        row.duration_s = duration
        uow.commit()
        integration_id = row.integration_id
    log.info(
        "orders import of integration %s: %s, examined %d, created %d, updated %d, skipped %d, retried %d, "
        "errors %d",
        integration_id, status, run.examined, run.created, run.updated, run.skipped, run.retried, run.errors,
    )  # fmt: skip


def sync_all_orders(
    uow: UnitOfWork, actor: Actor, *, progress: Progress = no_progress
) -> list[OrdersSyncResult]:
    """Every enabled PrestaShop integration (the ``sync-orders`` schedule). A shop that cannot be read
    fails its own run, not the others'; the caller sees it in the result (status ``failed``). First closes
    the sync runs whose process died (``services/shop/run_sweep.py``)."""
    actor.require(Permission.INTEGRATIONS_RUN)
    fail_abandoned_sync_runs(uow)
    with uow:
        ids = list(
            uow.session.scalars(
                select(Integration.id)
                .where(Integration.type == PRESTASHOP_TYPE, Integration.enabled)
                .order_by(Integration.id)
            )
        )
    results = []
    for integration_id in ids:
        try:
            results.append(sync_orders(uow, actor, integration_id=integration_id, progress=progress))
        except RexbitError as exc:
            log.warning("orders import of integration %s failed: %s", integration_id, exc.message)
            results.append(
                OrdersSyncResult(
                    sync_run_id=0, integration_id=integration_id, status="failed", dry_run=False, examined=0,
                    created=0, updated=0, skipped=0, errors=1, duration_s=0.0, cursor=None, mapping="",
                    message=one_line(exc), error_details=[{"id_order": None, "reason": exc.message}],
                )
            )  # fmt: skip
    return results
