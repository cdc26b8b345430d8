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
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from rexbit_desktop.adapters.prestashop.gateway import PrestaShopGateway, ShopDatabaseError
from rexbit_desktop.adapters.prestashop.orders import ShopAddress, ShopOrder, ShopOrderLine, ShopOrders
from rexbit_desktop.db.locks import SHOP_ORDERS_SYNC, held_while
from rexbit_desktop.db.models import (
    Integration,
    IntegrationProductLink,
    Order,
    OrderShipment,
    Product,
    ShopOrderCursor,
    ShopOrderRetry,
    SyncRun,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import (
    ConfigurationError,
    Conflict,
    RexbitError,
    TransitionRefused,
    ValidationError,
)
from rexbit_desktop.domain.orders import OrderStatus, is_allowed
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission, Role
from rexbit_desktop.domain.shop_order_states import (
    SHOP_STATE_NAMES,
    ShopStateMapping,
    configured_mapping,
    default_mapping,
)
from rexbit_desktop.services.orders.orders import place_order
from rexbit_desktop.services.orders.payload import NewOrder, NewOrderItem
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import OrderStatusChanged, OrderWorkflowService
from rexbit_desktop.services.shop.connection import PRESTASHOP_TYPE, ShopIntegration, load_shop_integration

log = logging.getLogger(__name__)

SOURCE = "prestashop"
KIND = "orders"
DEFAULT_DAYS = 30
PAGE_SIZE = 500
CURSOR_OVERLAP = timedelta(minutes=1)
MAX_ERROR_DETAILS = 50
# The shop's DATETIMEs are local time in PS_TIMEZONE; a shop that does not store one is taken as Polish.
DEFAULT_SHOP_TIMEZONE = "Europe/Warsaw"
JSON_KEYS = ("examined", "created", "updated", "skipped", "retried", "retry_pending", "errors", "duration_s")
_CENT = Decimal("0.01")
_MONEY = Decimal("0.0001")


class ShopOrdersUnavailable(ConfigurationError):
    """The shop's orders cannot be read."""


class NotAShopIntegration(ConfigurationError):
    """This integration is not a PrestaShop database."""


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


@dataclass
class _Run:
    examined: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = 0
    retried: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)
    retry: dict[int, str] = field(default_factory=dict)
    """Shop order id → why it failed, for the orders the next run reads again."""
    handled: set[int] = field(default_factory=set)
    """Shop orders read again this run (the pages after the cursor leave them alone)."""
    pending: set[int] = field(default_factory=set)
    """Shop orders on the retry list when the run started."""

    def problem(self, id_order: int | None, reason: str, *, error: bool = True, retry: bool = False) -> None:
        if error:
            self.errors += 1
        if retry and id_order is not None:
            self.retry[id_order] = reason
        if len(self.details) < MAX_ERROR_DETAILS:
            entry: dict[str, Any] = {"id_order": id_order, "reason": reason}
            if not error:
                entry["flag"] = True
            self.details.append(entry)


@dataclass(frozen=True)
class _Shop:
    """What a run knows about the shop besides its orders."""

    integration: ShopIntegration
    mapping: ShopStateMapping
    state_names: dict[int, str]
    zone: ZoneInfo
    now: datetime  # the shop's clock

    def state_label(self, state_id: int) -> str:
        name = self.state_names.get(state_id)
        return f"{state_id} ({name})" if name else str(state_id)


# ---------------------------------------------------------------- loading


def _load_integration(uow: UnitOfWork, integration_id: int) -> ShopIntegration:
    row = uow.session.get(Integration, integration_id)
    if row is None:
        raise NotAShopIntegration(
            f"Integration {integration_id} does not exist.", hint="See 'rexbit integration list'."
        )
    if row.type != PRESTASHOP_TYPE:
        raise NotAShopIntegration(
            f"Integration {integration_id} ({row.name}) is a {row.type} integration, not a PrestaShop database.",
            hint="Give the id of a prestashop_db integration.",
        )
    return load_shop_integration(uow.session, integration_id)


def _engine(uow: UnitOfWork) -> Engine:
    bind = uow.session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _connect(integration: ShopIntegration) -> tuple[PrestaShopGateway, ShopOrders]:
    try:
        gateway = PrestaShopGateway.connect(integration.config)
    except ShopDatabaseError as exc:
        raise ShopOrdersUnavailable(exc.message, hint=exc.hint) from exc
    shop = ShopOrders(gateway)
    try:
        missing = shop.missing_columns()
    except ShopDatabaseError as exc:
        gateway.close()
        raise ShopOrdersUnavailable(exc.message, hint=exc.hint) from exc
    if missing:
        gateway.close()
        raise ShopOrdersUnavailable(
            f"The shop database {integration.target} lacks " + ", ".join(missing[:10]) + ".",
            hint="Check 'prefix' and 'database' in the integration's configuration.",
        )
    return gateway, shop


def _mapping(uow: UnitOfWork, shop: ShopOrders, integration: ShopIntegration) -> ShopStateMapping:
    configured = configured_mapping(load_settings(uow.session).statuses, integration.id)
    if configured is not None:
        return configured
    return default_mapping(shop.state_configuration(integration.config["id_shop"], SHOP_STATE_NAMES))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_SHOP_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_SHOP_TIMEZONE)


def _shop_context(
    uow: UnitOfWork, gateway: PrestaShopGateway, shop: ShopOrders, integration: ShopIntegration
) -> _Shop:
    with uow:
        mapping = _mapping(uow, shop, integration)
    default_lang = gateway.configuration_value("PS_LANG_DEFAULT")
    names = shop.state_names(int(default_lang) if default_lang and default_lang.isdigit() else 1)
    now, zone = shop.clock()
    return _Shop(integration, mapping, names, _zone(zone), now)


def _import_actor(actor: Actor, integration: ShopIntegration) -> Actor:
    """Who the history names for what the import does: the job when a job runs it, else the integration
    (the shop changed the order, not the operator who started the run)."""
    if actor.login.startswith("job:"):
        return actor
    return Actor(login=f"integration:{integration.id}", role=Role.ADMIN, display_name=integration.name)


# ---------------------------------------------------------------- building our order


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


def _ean(value: str | None) -> str | None:
    return value if value and value.isdigit() and len(value) <= 14 and value.strip("0") else None


def _country(value: str | None) -> str | None:
    return value.upper() if value and len(value) == 2 and value.isalpha() else None


def _address(a: ShopAddress | None, email: str | None = None) -> dict[str, str | None] | None:
    if a is None:
        return None
    return {
        "name": _clip(a.name, 300),
        "company": _clip(a.company, 300),
        "street": _clip(a.street, 300),
        "postcode": _clip(a.postcode, 20),
        "city": _clip(a.city, 200),
        "country": _country(a.country_iso),
        "email": _clip(email, 300),
        "phone": _clip(a.phone, 50),
        "vat_id": _clip(a.vat_number, 30),
    }


def _vat_rate(line: ShopOrderLine) -> Decimal:
    """The line's tax rate, or computed from its gross and net unit prices when the shop left it 0."""
    rate = line.tax_rate
    if rate <= 0 and line.unit_price_net > 0 and line.unit_price_gross > line.unit_price_net:
        rate = (line.unit_price_gross / line.unit_price_net - 1) * 100
    return min(max(rate, Decimal(0)), Decimal(100)).quantize(_CENT)


@dataclass(frozen=True)
class _Product:
    id: int
    sku: str
    link_id: int | None = None


@dataclass
class _Catalog:
    """Our products for a page's lines: by shop link, by SKU (case-insensitive) and by EAN."""

    by_link: dict[str, _Product] = field(default_factory=dict)
    by_sku: dict[str, _Product] = field(default_factory=dict)
    by_ean: dict[str, _Product] = field(default_factory=dict)

    def find(self, line: ShopOrderLine) -> _Product | None:
        return (
            self.by_link.get(line.external_id)
            or (self.by_sku.get(line.reference.strip().upper()) if line.reference else None)
            or (self.by_ean.get(line.ean13) if line.ean13 else None)
        )


def _load_catalog(uow: UnitOfWork, integration_id: int, orders: list[ShopOrder]) -> _Catalog:
    lines = [line for o in orders for line in o.lines]
    catalog = _Catalog()
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
        catalog.by_link[external_id] = _Product(pid, sku, link_id)
    refs = {line.reference.strip().upper() for line in lines if line.reference}
    if refs:
        for pid, sku in s.execute(
            select(Product.id, Product.sku)
            .where(func.upper(func.btrim(Product.sku)).in_(refs))
            .order_by(Product.id)
        ):
            catalog.by_sku.setdefault(sku.strip().upper(), _Product(pid, sku))
    eans = {line.ean13 for line in lines if _ean(line.ean13)}
    if eans:
        for pid, sku, ean in s.execute(
            select(Product.id, Product.sku, Product.ean).where(Product.ean.in_(eans)).order_by(Product.id)
        ):
            if ean:
                catalog.by_ean.setdefault(ean, _Product(pid, sku))
    return catalog


def _payment(o: ShopOrder) -> dict[str, Any]:
    """``total_paid_real`` (what came in) against ``total_paid`` (what is due)."""
    if o.total_paid_real > 0 and o.total_paid_real >= o.total_paid:
        status, amount = "paid", o.total_paid_real
    elif o.total_paid_real > 0:
        status, amount = "partially_paid", o.total_paid_real
    else:
        status, amount = "pending", o.total_paid
    return {
        "provider": (o.module or o.payment or SOURCE)[:100],
        "status": status,
        "amount": amount.quantize(_MONEY),
    }


def _shop_meta(o: ShopOrder, integration: ShopIntegration) -> dict[str, Any]:
    return {
        "id_order": o.id_order,
        "id_shop": integration.config["id_shop"],
        "reference": o.reference,
        "current_state": o.current_state,
        "date_upd": o.date_upd.isoformat(sep=" "),
        "payment": o.payment,
        "total_paid": str(o.total_paid),
        "total_paid_real": str(o.total_paid_real),
    }


def _new_order(o: ShopOrder, shop: _Shop, catalog: _Catalog, run: _Run) -> NewOrder | None:
    items: list[NewOrderItem] = []
    unknown = []
    for line in o.lines:
        if line.quantity <= 0:
            continue  # a line refunded to nothing in the shop: nothing to deliver
        product = catalog.find(line)
        if product is None:
            unknown.append(line.reference or line.external_id)
        sku = (
            product.sku
            if product
            else (line.reference or f"PS-{line.id_product}-{line.id_product_attribute}")
        )
        items.append(
            NewOrderItem(
                sku=sku[:64],
                quantity=Decimal(line.quantity),
                price_gross=line.unit_price_gross.quantize(_MONEY),
                vat_rate=_vat_rate(line),
                name=(line.name or sku)[:500],
                ean=_ean(line.ean13),
                link_id=product.link_id if product else None,
            )
        )
    if not items:
        # Often an order the shop is still writing (PrestaShop adds the lines after the order row).
        run.problem(o.id_order, "the shop order has no lines with a quantity: not taken in", retry=True)
        return None
    if o.discounts_gross > 0:
        # Cart rules are order-level in PrestaShop: one line keeps our total equal to the shop's.
        rate = (
            ((o.discounts_gross / o.discounts_net - 1) * 100).quantize(_CENT)
            if o.discounts_net > 0 and o.discounts_gross > o.discounts_net
            else Decimal(0)
        )
        items.append(
            NewOrderItem(
                sku="RABAT", quantity=Decimal(1), price_gross=-o.discounts_gross.quantize(_MONEY),
                vat_rate=min(rate, Decimal(100)), name="Rabat (PrestaShop)",
            )
        )  # fmt: skip
    status = shop.mapping.ours(o.current_state)
    if status is None:
        run.problem(
            o.id_order,
            f"shop state {shop.state_label(o.current_state)} has no status mapped: taken in as the settings' "
            "initial status",
            error=False,
        )
    customer = o.customer
    email = customer.email if customer else None
    addresses: dict[str, dict[str, str | None]] = {}
    shipping = _address(o.delivery, email)
    billing = _address(o.invoice, email)
    if shipping:
        addresses["shipping"] = shipping
    if billing:
        addresses["billing"] = billing
    base = billing or shipping or {}
    addresses["customer"] = {
        **{k: None for k in ("name", "company", "street", "postcode", "city", "country", "phone", "vat_id")},
        **base,
        "name": _clip(customer.name, 300) if customer and customer.name else base.get("name"),
        "company": _clip(customer.company, 300) if customer and customer.company else base.get("company"),
        "email": _clip(email, 300),
    }
    meta = _shop_meta(o, shop.integration)
    if unknown:
        meta["unknown_items"] = unknown[:20]
    currency = o.currency if o.currency and len(o.currency) == 3 and o.currency.isalpha() else "PLN"
    return NewOrder(
        items=items,
        source=SOURCE,
        currency=currency,
        delivery_method=_clip(o.carrier_name, 200),
        addresses=addresses,
        payment=_payment(o),
        shipping_gross=o.shipping_gross.quantize(_MONEY),
        external_order_id=str(o.id_order),
        integration_id=shop.integration.id,
        created_at=o.date_add.replace(tzinfo=shop.zone),
        initial_status=status.value if status else None,
        metadata={SOURCE: meta},
    )


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


_SEEN_SQL = text(
    "UPDATE orders SET metadata = jsonb_set(coalesce(metadata, '{}'::jsonb), '{prestashop}',"
    " coalesce(metadata->'prestashop', '{}'::jsonb) || CAST(:seen AS jsonb)) WHERE id = :id"
)


def _remember(uow: UnitOfWork, seen: list[tuple[int, dict[str, Any]]]) -> None:
    """What we last saw of each shop order (its state), so that only the shop's own changes are mirrored."""
    if not seen:
        return
    with uow:
        uow.session.execute(_SEEN_SQL, [{"id": oid, "seen": json.dumps(values)} for oid, values in seen])
        uow.commit()


def _process_page(
    uow: UnitOfWork,
    import_actor: Actor,
    shop: _Shop,
    orders: list[ShopOrder],
    run: _Run,
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
            new = _new_order(o, shop, catalog, run)
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


def _track_retries(uow: UnitOfWork, integration_id: int, run_id: int, read: list[int], run: _Run) -> None:
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


def _retry_failed(
    uow: UnitOfWork,
    import_actor: Actor,
    shop: _Shop,
    shop_orders: ShopOrders,
    run: _Run,
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


def _pending_retries(uow: UnitOfWork, integration_id: int) -> int:
    with uow:
        return int(
            uow.session.scalar(select(func.count()).where(ShopOrderRetry.integration_id == integration_id))
            or 0
        )


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
        raise ValidationError("--limit must be at least 1.")
    if days < 1:
        raise ValidationError("--days must be at least 1.")
    if page_size < 1:
        raise ValidationError("The page size must be at least 1.")
    started = time.perf_counter()
    with uow:
        integration = _load_integration(uow, integration_id)
        if not integration.enabled:
            raise ValidationError(
                f"Integration {integration.id} ({integration.name}) is disabled.", hint="Enable it first."
            )
        engine = _engine(uow)
    gateway, shop_orders = _connect(integration)
    try:
        try:
            shop = _shop_context(uow, gateway, shop_orders, integration)
        except ShopDatabaseError as exc:
            raise ShopOrdersUnavailable(exc.message, hint=exc.hint) from exc
        with _one_orders_sync_per_shop(engine, integration.id):
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
            run = _Run()
            status, message, failure = "succeeded", None, None
            try:
                cursor = _import(
                    uow, actor, shop, shop_orders, run, run_id, start, cursor,
                    limit=limit, dry_run=dry_run, page_size=page_size, progress=progress, cancel=cancel,
                )  # fmt: skip
                if cancel():
                    status = "cancelled"
            except ShopDatabaseError as exc:
                status, message = "failed", str(exc)
                run.problem(None, exc.message)
                failure = ShopOrdersUnavailable(
                    f"{exc.message} The run stopped after {run.examined} orders (sync run {run_id}).",
                    hint="What was taken in stays; run again to go on from there.",
                )
            except BaseException as exc:  # our side failed: the run must not stay 'running'
                run.problem(None, f"{type(exc).__name__}: {exc}")
                _finish(uow, run_id, run, "failed", str(exc), round(time.perf_counter() - started, 3))
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
    shop: _Shop,
    shop_orders: ShopOrders,
    run: _Run,
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
    uow: UnitOfWork, run_id: int, run: _Run, status: str, message: str | None, duration: float
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
    fails its own run, not the others'; the caller sees it in the result (status ``failed``)."""
    actor.require(Permission.INTEGRATIONS_RUN)
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
                    message=str(exc), error_details=[{"id_order": None, "reason": exc.message}],
                )
            )  # fmt: skip
    return results


# ---------------------------------------------------------------- for the order detail


@dataclass(frozen=True)
class ShopOrderInfo:
    """Where an order taken in from the shop came from (the order detail shows it)."""

    integration_id: int
    integration_name: str | None
    id_order: str
    reference: str | None
    id_shop: int | None


def shop_order_info(uow: UnitOfWork, actor: Actor, *, order_id: int) -> ShopOrderInfo | None:
    """The shop order behind one of our orders: id and reference as the import stored them
    (``external_order_id``, ``metadata.prestashop``). None for an order that did not come from a shop."""
    actor.require(Permission.VIEW)
    with uow:
        row = uow.session.execute(
            select(Order.integration_id, Integration.name, Order.external_order_id, Order.meta[SOURCE])
            .outerjoin(Integration, Integration.id == Order.integration_id)
            .where(Order.id == order_id, Order.source == SOURCE)
        ).first()
    if row is None or row.integration_id is None or not row.external_order_id:
        return None
    meta = row[3] if isinstance(row[3], dict) else {}
    id_shop = meta.get("id_shop")
    return ShopOrderInfo(
        integration_id=row.integration_id,
        integration_name=row.name,
        id_order=row.external_order_id,
        reference=meta.get("reference") or None,
        id_shop=int(id_shop) if isinstance(id_shop, int | str) and str(id_shop).isdigit() else None,
    )


# ---------------------------------------------------------------- flowback (us → shop)


@dataclass(frozen=True)
class StatusPushed:
    order_number: str
    id_order: int
    state: int | None
    state_written: bool
    tracking_written: bool
    tracking_url: str | None


def push_order_status(uow: UnitOfWork, actor: Actor, *, order_id: int, status: str) -> StatusPushed | None:
    """Write our order's status (mapped) and, when shipped, its tracking number into the shop.

    None when there is nothing to do: not a shop order, the order moved on since (a later change's job
    writes the newer status), or the status has no shop state mapped. Idempotent: a state the shop holds
    already is not written again. Raises ``ShopOrdersUnavailable`` when the shop cannot be reached.
    """
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        s = uow.session
        order = s.get(Order, order_id)
        if order is None or order.integration_id is None or order.source != SOURCE:
            return None
        integration_row = s.get(Integration, order.integration_id)
        if integration_row is None or integration_row.type != PRESTASHOP_TYPE or not integration_row.enabled:
            return None
        if order.status != status:
            return None
        number, external = order.number, order.external_order_id
        integration = load_shop_integration(s, order.integration_id)
        tracking = None
        if OrderStatus(status) is OrderStatus.SHIPPED:
            tracking = s.scalar(
                select(OrderShipment.tracking_number)
                .where(OrderShipment.order_id == order.id, OrderShipment.tracking_number.is_not(None))
                .order_by(OrderShipment.id.desc())
                .limit(1)
            )
    if not external or not external.isdigit():
        return None
    gateway, shop_orders = _connect(integration)
    try:
        try:
            with uow:
                mapping = _mapping(uow, shop_orders, integration)
            state = mapping.shop(status)
            if state is None and not tracking:
                return None  # a status with no shop state: not written
            outcome = shop_orders.write_state(int(external), integration.config["id_shop"], state, tracking)
        except ShopDatabaseError as exc:
            raise ShopOrdersUnavailable(exc.message, hint=exc.hint) from exc
    finally:
        gateway.close()
    if outcome.state_before is None:
        log.warning("order %s: the shop has no order %s any more; status not written", number, external)
        return None
    if outcome.state_written:
        # The import must not take our own change for the shop's (it would mirror it back).
        _remember(uow, [(order_id, {"current_state": state})])
    log.info(
        "order %s: shop order %s state %s%s%s", number, external, state,
        " written" if outcome.state_written else " already there",
        f", tracking {tracking} ({outcome.tracking_url or 'no tracking url'})" if outcome.tracking_written else "",
    )  # fmt: skip
    return StatusPushed(
        number, int(external), state, outcome.state_written, outcome.tracking_written, outcome.tracking_url
    )


def push_status_to_shop(uow: UnitOfWork, actor: Actor, event: OrderStatusChanged) -> bool:
    """The queued listener (``orders:order_status_changed``): True when the order came from a shop."""
    with uow:
        row = uow.session.execute(
            select(Order.source, Order.integration_id).where(Order.id == event.order_id)
        ).first()
    if row is None or row.source != SOURCE or row.integration_id is None:
        return False
    push_order_status(uow, actor, order_id=event.order_id, status=event.to_status)
    return True
