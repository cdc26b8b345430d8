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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger, Integer, String

from rexbit_desktop.adapters.prestashop.gateway import PrestaShopGateway
from rexbit_desktop.adapters.prestashop.stock import ShopStock, StockBatchOutcome, StockContext
from rexbit_desktop.db.models import Integration, Product, SyncRun, Warehouse
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.shop.connection import (
    PRESTASHOP_TYPE,
    ShopIntegration,
    load_shop_integration,
)

log = logging.getLogger(__name__)

KIND = "stock"
BATCH_SIZE = 10_000
SHOP_WRITERS = 2
MAX_ERROR_DETAILS = 50
# Advisory lock namespace of stock pushes (two-key form; the key is the integration id).
_PUSH_LOCK_NAMESPACE = 7277

JSON_KEYS = (
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


class StockSyncOff(ValidationError):
    """The integration does not push stock (``stock_sync`` is off)."""


@dataclass(frozen=True)
class StockPushResult:
    sync_run_id: int | None
    integration_id: int
    status: str  # succeeded | failed | cancelled | skipped
    dry_run: bool
    full: bool
    examined: int = 0
    to_write: int = 0
    written: int = 0
    skipped_unchanged: int = 0
    skipped_packs: int = 0
    missing_in_shop: int = 0
    pending_shop_orders: int = 0
    errors: int = 0
    duration_s: float = 0.0
    message: str | None = None
    error_details: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """The ``--json`` output: exactly these keys."""
        return {k: getattr(self, k) for k in JSON_KEYS}


@dataclass(frozen=True)
class StockSettingsView:
    integration_id: int
    name: str
    enabled: bool
    stock_sync: str
    stock_warehouses: list[str]  # the codes summed (the default warehouse when not configured)
    warehouses_configured: bool
    stock_buffer: int
    dirty_products: int  # changed since the last push, waiting for it


@dataclass(frozen=True)
class StockPushView:
    sync_run_id: int
    status: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    dry_run: bool
    full: bool
    examined: int
    written: int
    skipped_packs: int
    missing_in_shop: int
    pending_shop_orders: int
    errors: int
    message: str | None
    error_details: list[dict[str, Any]]


@dataclass(frozen=True)
class ShopStockLine:
    """One shop item of a product: what the shop has now, and what rexbit would write."""

    integration_id: int
    integration_name: str
    external_id: str
    shop_quantity: int | None  # None: the shop has no stock row for it (or it is gone)
    rexbit_quantity: int | None  # None: not written (pack, gone, stock sync off)
    note: str | None = None


# ---------------------------------------------------------------- reading our side

# Free stock summed per product first (one pass over the stock rows of those warehouses), then joined to
# the shop's links: no sort or group over the links.
_LINKS_SQL = """
SELECT l.product_id, l.external_id, COALESCE(f.free, 0)::bigint AS free
FROM integration_product_links l
LEFT JOIN (
    SELECT t.product_id, floor(sum(t.on_hand - t.reserved)) AS free
    FROM warehouse_stock_totals t
    WHERE t.warehouse_id = ANY(:warehouses)
    GROUP BY t.product_id
) f ON f.product_id = l.product_id
WHERE l.integration_id = :integration_id AND l.product_id IS NOT NULL {where}
"""

_DIRTY_SQL = text("SELECT product_id, seq FROM shop_stock_dirty WHERE integration_id = :integration_id")

_IMPORTED_SQL = text(
    "SELECT external_order_id FROM orders WHERE integration_id = :integration_id"
    " AND external_order_id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ARRAY(String)))

_CLEAR_DIRTY_SQL = text(
    "DELETE FROM shop_stock_dirty d USING unnest(CAST(:products AS bigint[]), CAST(:seqs AS bigint[]))"
    " AS done(product_id, seq)"
    " WHERE d.integration_id = :integration_id AND d.product_id = done.product_id AND d.seq = done.seq"
)


@dataclass
class _Read:
    items: list[tuple[int, int, int]]  # (id_product, id_product_attribute, base)
    products_of: dict[tuple[int, int], int]  # shop item → our product id
    dirty: dict[int, int]  # product id → seq read
    bad_links: list[str]
    imported: list[int]


def _warehouse_ids(uow: UnitOfWork, integration: ShopIntegration) -> list[int]:
    codes = integration.config.get("stock_warehouses")
    rows = uow.session.execute(select(Warehouse.id, Warehouse.code, Warehouse.is_default)).all()
    if not codes:
        ids = [wid for wid, _code, default in rows if default]
        if not ids:
            raise ValidationError(
                f"Integration {integration.id}: no warehouse is marked as default, and 'stock_warehouses' "
                "is not set.",
                hint="Name the warehouses whose stock the shop gets in 'stock_warehouses'.",
            )
        return ids
    by_code = {code: wid for wid, code, _default in rows}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise ValidationError(
            f"Integration {integration.id}: 'stock_warehouses' names unknown warehouse(s) "
            + ", ".join(unknown)
            + ".",
            hint="Known warehouses: " + ", ".join(sorted(by_code)),
        )
    return [by_code[c] for c in codes]


def _read_ours(
    uow: UnitOfWork,
    integration: ShopIntegration,
    open_orders: Callable[[], list[int]],
    *,
    skus: list[str] | None,
    changed_only: bool,
    product_ids: list[int] | None = None,
) -> _Read:
    """Everything from PostgreSQL in one snapshot (repeatable read): links with their free stock, the
    changed products, and which of the shop's open orders we have taken in. ``open_orders`` is called
    (it asks the shop) after the snapshot is taken: an order taken in after that is not in the snapshot's
    reservations either, so the shop counts it as not taken in — once."""
    session = uow.session
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))  # first in its transaction
    warehouses = _warehouse_ids(uow, integration)
    params: dict[str, Any] = {"integration_id": integration.id, "warehouses": warehouses}
    dirty = {int(p): int(s) for p, s in session.execute(_DIRTY_SQL, params)}
    where = ""
    if changed_only:
        where += " AND l.product_id IN (SELECT product_id FROM shop_stock_dirty WHERE integration_id = :integration_id)"
    if skus:
        where += " AND l.product_id IN (SELECT id FROM products WHERE lower(sku) = ANY(:skus))"
        params["skus"] = [s.strip().lower() for s in skus]
    if product_ids is not None:
        where += " AND l.product_id = ANY(:product_ids)"
        params["product_ids"] = product_ids
    stmt = text(_LINKS_SQL.format(where=where)).bindparams(
        bindparam("warehouses", type_=ARRAY(Integer)),
        *([bindparam("skus", type_=ARRAY(String))] if skus else []),
        *([bindparam("product_ids", type_=ARRAY(BigInteger))] if product_ids is not None else []),
    )
    buffer = int(integration.config["stock_buffer"])
    items: list[tuple[int, int, int]] = []
    products_of: dict[tuple[int, int], int] = {}
    bad: list[str] = []
    for product_id, external_id, free in session.execute(stmt, params):
        left, _, right = (external_id or "").partition(":")
        if not (left.isdigit() and right.isdigit() and left.isascii() and right.isascii()):
            bad.append(str(external_id))
            continue
        key = (int(left), int(right))
        if key in products_of:
            continue
        products_of[key] = int(product_id)
        items.append((key[0], key[1], int(free) - buffer))
    candidates = open_orders()
    imported: list[int] = []
    for start in range(0, len(candidates), 10_000):
        chunk = [str(i) for i in candidates[start : start + 10_000]]
        imported += [
            int(r[0])
            for r in session.execute(_IMPORTED_SQL, {"integration_id": integration.id, "ids": chunk})
        ]
    return _Read(items, products_of, dirty, bad, imported)


# ---------------------------------------------------------------- the push


@contextmanager
def _one_push_per_shop(engine: Engine, integration_id: int) -> Iterator[None]:
    """A session-level advisory lock on a connection of its own (the push commits several times)."""
    with engine.connect() as conn:
        key = {"ns": _PUSH_LOCK_NAMESPACE, "id": integration_id}
        if not conn.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"), key).scalar():
            raise Conflict(
                f"A stock push to integration {integration_id} is already running.",
                hint="Wait for it to finish, then push again if needed.",
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), key)


def _open_shop_stock(integration: ShopIntegration) -> tuple[PrestaShopGateway, ShopStock, StockContext]:
    gateway = PrestaShopGateway.connect(integration.config)
    try:
        info = gateway.shop_info(integration.config["id_shop"])
        stock = ShopStock(gateway)
        ctx = stock.context(info.id_shop, info.id_shop_group, info.share_stock)
    except BaseException:
        gateway.close()
        raise
    return gateway, stock, ctx


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
            gateway, stock, ctx = _open_shop_stock(integration)
            try:
                status, message = _push(
                    uow, integration, stock, ctx, counts, details, timings,
                    skus=skus, full=full, dry_run=dry_run, changed_only=changed_only,
                    progress=progress, cancel=cancel, before_write=before_write,
                )  # fmt: skip
            finally:
                gateway.close()
        except RexbitError as exc:
            counts["errors"] += 1
            _note(details, {"reason": exc.message})
            status, message = "failed", str(exc)
            log.info("stock push to integration %s failed: %s", integration.id, exc.message)
    duration = round(time.perf_counter() - started, 3)
    with uow:
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
    log.info(
        "stock push %s to integration %s: %s %s (read %.3f s, shop %.3f s, marks cleared %.3f s)",
        run_id, integration.id, status, counts, timings["read"], timings["shop"], timings["marks"],
    )  # fmt: skip
    return StockPushResult(
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


def _push(
    uow: UnitOfWork,
    integration: ShopIntegration,
    stock: ShopStock,
    ctx: StockContext,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    timings: dict[str, float],
    *,
    skus: list[str] | None,
    full: bool,
    dry_run: bool,
    changed_only: bool,
    progress: Progress,
    cancel: CancelCheck,
    before_write: Callable[[], None] | None,
) -> tuple[str, str | None]:
    mark = time.perf_counter()
    open_ids: list[int] = []

    def open_orders() -> list[int]:
        open_ids.extend(stock.open_order_ids(ctx))
        return open_ids

    with uow:
        read = _read_ours(uow, integration, open_orders, skus=skus, changed_only=changed_only)
        uow.rollback()
    timings["read"] = time.perf_counter() - mark
    if skus and not read.items:
        raise NotFound(
            f"No product with SKU {', '.join(skus)} is linked to integration {integration.id}.",
            hint="See 'rexbit products list' and 'rexbit products pull'.",
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


# ---------------------------------------------------------------- for the UI


def stock_settings(uow: UnitOfWork, actor: Actor, *, integration_id: int) -> StockSettingsView:
    """The stock-sync settings of a shop integration as they apply (defaults filled in)."""
    actor.require(Permission.VIEW)
    with uow:
        integration = load_shop_integration(uow.session, integration_id)
        codes = list(integration.config.get("stock_warehouses") or [])
        if not codes:
            codes = list(uow.session.scalars(select(Warehouse.code).where(Warehouse.is_default.is_(True))))
        waiting = uow.session.execute(
            text("SELECT count(*) FROM shop_stock_dirty WHERE integration_id = :i"), {"i": integration_id}
        ).scalar_one()
    return StockSettingsView(
        integration.id,
        integration.name,
        integration.enabled,
        integration.config["stock_sync"],
        codes,
        bool(integration.config.get("stock_warehouses")),
        int(integration.config["stock_buffer"]),
        int(waiting),
    )


def last_stock_push(uow: UnitOfWork, actor: Actor, *, integration_id: int) -> StockPushView | None:
    """The last stock push of a shop (any status), for the shop panel."""
    actor.require(Permission.VIEW)
    with uow:
        r = uow.session.scalars(
            select(SyncRun)
            .where(SyncRun.integration_id == integration_id, SyncRun.kind == KIND)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(1)
        ).first()
        if r is None:
            return None
        return StockPushView(
            r.id, r.status, r.started_by, r.started_at, r.finished_at, r.dry_run, r.full, r.examined,
            r.written, r.skipped_packs, r.missing_in_shop, r.pending_shop_orders, r.errors, r.message,
            list(r.error_details or []),
        )  # fmt: skip


def product_shop_stock(uow: UnitOfWork, actor: Actor, *, sku: str) -> list[ShopStockLine]:
    """For the product detail: per shop item linked to this product (integrations with stock sync on),
    what the shop has now and what rexbit would write (computed by the shop in a rolled-back push)."""
    actor.require(Permission.VIEW)
    with uow:
        product_id = uow.session.scalar(select(Product.id).where(Product.sku == sku.strip()))
        if product_id is None:
            raise NotFound(f"No product with SKU {sku}.")
        rows = uow.session.execute(
            text(
                "SELECT DISTINCT i.id FROM integration_product_links l JOIN integrations i"
                " ON i.id = l.integration_id WHERE l.product_id = :p AND i.type = :t"
                " AND i.config ->> 'stock_sync' = 'on' ORDER BY i.id"
            ),
            {"p": product_id, "t": PRESTASHOP_TYPE},
        ).all()
    lines: list[ShopStockLine] = []
    for (integration_id,) in rows:
        with uow:
            integration = load_shop_integration(uow.session, integration_id)
        lines += _shop_lines(uow, integration, product_id)
    return lines


def _shop_lines(uow: UnitOfWork, integration: ShopIntegration, product_id: int) -> list[ShopStockLine]:
    try:
        gateway, stock, ctx = _open_shop_stock(integration)
    except RexbitError as exc:
        return [ShopStockLine(integration.id, integration.name, "", None, None, exc.message)]
    try:
        with uow:
            read = _read_ours(
                uow,
                integration,
                lambda: stock.open_order_ids(ctx),
                skus=None,
                changed_only=False,
                product_ids=[product_id],
            )
            uow.rollback()
        shop_products = sorted({i[0] for i in read.items})
        now = {
            (r.id_product, r.id_product_attribute): r.quantity
            for r in stock.item_quantities(ctx, shop_products)
        }
        outcome = stock.write_batch(ctx, read.items, read.imported, full=True, apply=False, read_back=True)
        skipped = {(s.id_product, s.id_product_attribute): s.detail for s in outcome.skipped}
        would = outcome.values
    finally:
        gateway.close()
    on = integration.config["stock_sync"] == "on" and integration.enabled
    return [
        ShopStockLine(
            integration.id,
            integration.name,
            f"{key[0]}:{key[1]}",
            now.get(key),
            would.get(key) if key not in skipped else None,
            skipped.get(key) or (None if on else "stock sync off"),
        )
        for key in sorted(read.products_of)
    ]
