"""The orders list read model: server-side filter, sort and keyset paging, and a streamed CSV export.

Built for 1,000,000 orders. Every sortable column has an index on ``(sort key, id)`` (see
``db/models/orders.py``), so the first page and each following page is an index walk that stops after
``limit`` rows, whatever the depth: the next page starts *after* the last row's key (keyset paging), never
at an OFFSET. Nullable keys are coalesced, so the row comparison ``(key, id) < (:key, :id)`` never meets a
NULL. The search box matches any part of the number, customer name or e-mail through one trigram index
(migration 0004, where pg_trgm exists) or an SKU prefix through ``order_items``. Counting is bounded: the
list shows "10 000+" instead of counting a million rows on every keystroke.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

from sqlalchemy import ColumnClause, ColumnElement, func, literal_column, or_, select, text, tuple_, union
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.catalog import Warehouse
from rexbit_desktop.db.models.integrations import Integration
from rexbit_desktop.db.models.orders import Order, OrderItem, OrderItemReservation, OrderItemShortage
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.csv_safety import csv_writer
from rexbit_desktop.domain.errors import Cancelled, ValidationError
from rexbit_desktop.domain.orders import STATUS_ORDER, FulfillmentStatus, PaymentStatus, parse_status
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.dto import OrderSummaryDTO
from rexbit_desktop.services.orders.settings import load_settings

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 2000
COUNT_CAP = 10_000
SEARCH_COUNT_CAP = 1_000
MANUAL = 0
"""``integration_ids`` value that means "typed in by hand" (no source integration)."""

# Must stay identical to the index expression of migration 0004: the planner matches it literally.
SEARCH_TEXT: ColumnClause[str] = literal_column(
    "((orders.number)::text || ' ' || coalesce(orders.customer_name, '')::text"
    " || ' ' || coalesce(orders.customer_email, '')::text)"
)


class SortKey(StrEnum):
    NUMBER = "number"
    CUSTOMER = "customer"
    TOTAL_GROSS = "total_gross"
    STATUS = "status"
    PAYMENT = "payment"
    FULFILLMENT = "fulfillment"
    WAREHOUSE = "warehouse"
    INTEGRATION = "integration"
    DATE = "date"


def _sort_expression(key: SortKey) -> ColumnElement[Any]:
    # Each one matches an index in db/models/orders.py (with ``id`` as the tie-breaker).
    expressions: dict[SortKey, Any] = {
        SortKey.NUMBER: Order.number,
        SortKey.CUSTOMER: func.coalesce(Order.customer_name, literal_column("''")),
        SortKey.TOTAL_GROSS: Order.total_gross,
        SortKey.STATUS: Order.status,
        SortKey.PAYMENT: Order.payment_status,
        SortKey.FULFILLMENT: Order.fulfillment_status,
        SortKey.WAREHOUSE: func.coalesce(Order.warehouse_id, literal_column("0")),
        SortKey.INTEGRATION: func.coalesce(Order.integration_id, literal_column("0")),
        SortKey.DATE: Order.created_at,
    }
    return expressions[key]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class OrderListFilter:
    """What the filter bar asks for. Empty tuples mean "any"."""

    statuses: tuple[str, ...] = ()
    payment_statuses: tuple[str, ...] = ()
    integration_ids: tuple[int, ...] = ()
    """Source integrations; ``MANUAL`` (0) stands for orders typed in by hand."""
    created_from: datetime | None = None
    created_to: datetime | None = None
    """Exclusive upper bound (the UI passes the day after the last chosen date)."""
    search: str = ""
    order_ids: tuple[int, ...] = ()
    """Only these orders (e.g. the dashboard's "late now"); empty = any."""
    numbers: tuple[str, ...] = ()
    """Only these orders (the list's selection: export or print what is selected)."""

    def is_empty(self) -> bool:
        return self == OrderListFilter()


@dataclass(frozen=True)
class OrderSort:
    key: SortKey = SortKey.DATE
    descending: bool = True


@dataclass(frozen=True)
class OrderListRow:
    id: int
    number: str
    customer_name: str
    customer_email: str
    total_gross: Decimal
    currency: str
    status: str
    payment_status: str
    fulfillment_status: str
    warehouse: str
    integration: str
    source: str
    created_at: datetime
    cursor: tuple[Any, ...] = field(repr=False, compare=False, default=())
    """The keyset position of this row for the sort it was read with."""
    reserved_qty: Decimal = Decimal(0)
    """Open reservations of a not fully reserved order (``unassigned``): > 0 means partly reserved."""
    missing_qty: Decimal = Decimal(0)
    """What its open shortages still miss."""


@dataclass(frozen=True)
class OrderListPage:
    rows: list[OrderListRow]
    next_cursor: tuple[Any, ...] | None
    """Pass as ``after`` to read the next page; None = this was the last page."""


@dataclass(frozen=True)
class OrderCount:
    value: int
    exact: bool
    """False: at least ``value`` orders match (counting stopped at the cap)."""


@dataclass(frozen=True)
class StatusOption:
    code: str
    label: str
    colour: str
    order: int


@dataclass(frozen=True)
class OrderListOptions:
    """What the filter bar and the list need to show codes as words: labels, colours, names."""

    statuses: list[StatusOption]
    payment_statuses: list[str]
    fulfillment_statuses: list[str]
    integrations: list[tuple[int, str]]
    warehouses: list[tuple[int, str]]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(flt: OrderListFilter) -> list[ColumnElement[bool]]:
    """The filter bar's conditions except the search box (see ``_search_conditions``)."""
    conds: list[ColumnElement[bool]] = []
    if flt.statuses:
        conds.append(Order.status.in_(flt.statuses))
    if flt.payment_statuses:
        conds.append(Order.payment_status.in_(flt.payment_statuses))
    if flt.integration_ids:
        ids = [i for i in flt.integration_ids if i != MANUAL]
        parts: list[ColumnElement[bool]] = []
        if ids:
            parts.append(Order.integration_id.in_(ids))
        if MANUAL in flt.integration_ids:
            parts.append(Order.integration_id.is_(None))
        conds.append(or_(*parts))
    if flt.created_from is not None:
        conds.append(Order.created_at >= flt.created_from)
    if flt.created_to is not None:
        conds.append(Order.created_at < flt.created_to)
    if flt.order_ids:
        conds.append(Order.id.in_(flt.order_ids))
    if flt.numbers:
        conds.append(Order.number.in_(flt.numbers))
    return conds


def _search_conditions(search: str) -> list[ColumnElement[bool]]:
    """The search box as alternatives, each answered by its own index: any part of number, customer
    name or e-mail (trigram index) — or an SKU prefix of one of the lines (``order_items`` index).

    They are not OR-ed in one WHERE: each alternative becomes its own ``ORDER BY … LIMIT`` query and
    the results are merged (UNION), so that the planner can pick, per alternative, between the trigram
    index (few matches) and walking the sort index while filtering (many matches)."""
    term = search.strip()
    if not term:
        return []
    if len(term) > 200:
        raise ValidationError(
            "The search text is too long (at most 200 characters).",
            code="search_too_long",
            params={"max": 200},
        )
    return [
        SEARCH_TEXT.ilike(f"%{_escape_like(term)}%", escape="\\"),
        Order.id.in_(
            select(OrderItem.order_id).where(
                func.upper(OrderItem.sku).like(f"{_escape_like(term.upper())}%", escape="\\")
            )
        ),
    ]


def _validate(flt: OrderListFilter) -> None:
    if flt.created_from and flt.created_to and flt.created_from >= flt.created_to:
        raise ValidationError(
            "The date range is empty: the start date is after the end date.", code="date_range_empty"
        )


def _order_by(stmt: Any, key: Any, ident: Any, sort: OrderSort) -> Any:
    if sort.key is SortKey.NUMBER:  # unique: no tie-breaker needed
        return stmt.order_by(key.desc() if sort.descending else key.asc())
    if sort.descending:
        return stmt.order_by(key.desc(), ident.desc())
    return stmt.order_by(key.asc(), ident.asc())


def _list_select(
    flt: OrderListFilter, sort: OrderSort, after: tuple[Any, ...] | None = None, limit: int | None = None
) -> Any:
    """The rows of the list: filtered, after the keyset position ``after``, sorted, at most ``limit``."""
    key = _sort_expression(sort.key)
    base = (
        select(
            Order.id,
            Order.number,
            Order.customer_name,
            Order.customer_email,
            Order.total_gross,
            Order.currency,
            Order.status,
            Order.payment_status,
            Order.fulfillment_status,
            Warehouse.code.label("warehouse_code"),
            Integration.name.label("integration_name"),
            Order.source,
            Order.created_at,
            key.label("sort_value"),
        )
        .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
        .outerjoin(Integration, Integration.id == Order.integration_id)
        .where(*_where(flt))
    )
    if after is not None:
        if sort.key is SortKey.NUMBER:
            base = base.where(key < after[0] if sort.descending else key > after[0])
        else:
            position, bound = tuple_(key, Order.id), tuple_(*after)
            base = base.where(position < bound if sort.descending else position > bound)
    alternatives = _search_conditions(flt.search)
    if not alternatives:
        stmt = _order_by(base, key, Order.id, sort)
        return stmt.limit(limit) if limit is not None else stmt
    parts = []
    for cond in alternatives:
        part = _order_by(base.where(cond), key, Order.id, sort)
        parts.append(part.limit(limit) if limit is not None else part)
    merged = union(*parts).subquery("matches")
    stmt = _order_by(select(merged), merged.c.sort_value, merged.c.id, sort)
    return stmt.limit(limit) if limit is not None else stmt


def _row(r: Any, sort: OrderSort) -> OrderListRow:
    cursor = (r.sort_value,) if sort.key is SortKey.NUMBER else (r.sort_value, r.id)
    return OrderListRow(
        id=r.id,
        number=r.number,
        customer_name=r.customer_name or "",
        customer_email=r.customer_email or "",
        total_gross=r.total_gross,
        currency=r.currency,
        status=r.status,
        payment_status=r.payment_status,
        fulfillment_status=r.fulfillment_status,
        warehouse=r.warehouse_code or "",
        integration=r.integration_name or "",
        source=r.source,
        created_at=r.created_at,
        cursor=cursor,
    )


def list_orders(
    uow: UnitOfWork,
    actor: Actor,
    *,
    filters: OrderListFilter | None = None,
    sort: OrderSort | None = None,
    after: tuple[Any, ...] | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> OrderListPage:
    """One page of the orders list; ``after`` is the ``next_cursor`` of the previous page."""
    actor.require(Permission.VIEW)
    flt = filters or OrderListFilter()
    srt = sort or OrderSort()
    _validate(flt)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    stmt = _list_select(flt, srt, after, limit + 1)
    with uow:
        rows = uow.session.execute(stmt).all()
        more = len(rows) > limit
        page = [_row(r, srt) for r in rows[:limit]]
        page = _with_partial_reservations(uow.session, page)
    return OrderListPage(page, page[-1].cursor if more and page else None)


def newest_orders(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, limit: int = 100
) -> list[OrderSummaryDTO]:
    """The CLI's list: the newest ``limit`` orders (of one status), read page by page by ``list_orders``."""
    actor.require(Permission.VIEW)
    if limit < 1:
        raise ValidationError(
            f"The limit must be at least 1 (got {limit}).",
            code="limit_too_small",
            params={"option": "limit", "min": 1, "value": limit},
        )
    flt = OrderListFilter(statuses=(parse_status(status).value,) if status else ())
    rows: list[OrderListRow] = []
    after: tuple[Any, ...] | None = None
    while len(rows) < limit:
        page = list_orders(uow, actor, filters=flt, after=after, limit=min(MAX_PAGE_SIZE, limit - len(rows)))
        rows += page.rows
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return [
        OrderSummaryDTO(
            r.id,
            r.number,
            r.status,
            r.payment_status,
            r.fulfillment_status,
            r.customer_name or None,
            r.total_gross,
            r.currency,
            r.created_at,
        )
        for r in rows
    ]


def _with_partial_reservations(session: Any, page: list[OrderListRow]) -> list[OrderListRow]:
    """Rows not (fully) reserved get what is reserved and what is missing: two indexed lookups for
    the page's ids, so "partly reserved, 2 short" shows without a column on ``orders``."""
    ids = [r.id for r in page if r.fulfillment_status == "unassigned"]
    if not ids:
        return page
    reserved = dict(
        session.execute(
            select(
                OrderItem.order_id,
                func.sum(OrderItemReservation.reserved_qty - OrderItemReservation.released_qty),
            )
            .join(OrderItem, OrderItem.id == OrderItemReservation.order_item_id)
            .where(OrderItem.order_id.in_(ids), OrderItemReservation.status != "released")
            .group_by(OrderItem.order_id)
        ).all()
    )
    missing = dict(
        session.execute(
            select(OrderItemShortage.order_id, func.sum(OrderItemShortage.missing_qty))
            .where(OrderItemShortage.order_id.in_(ids), OrderItemShortage.status == "open")
            .group_by(OrderItemShortage.order_id)
        ).all()
    )
    return [
        replace(r, reserved_qty=reserved.get(r.id) or Decimal(0), missing_qty=missing.get(r.id) or Decimal(0))
        if r.id in reserved or r.id in missing
        else r
        for r in page
    ]


def count_orders(
    uow: UnitOfWork, actor: Actor, *, filters: OrderListFilter | None = None, cap: int = COUNT_CAP
) -> OrderCount:
    """How many orders match, counting at most ``cap`` (the list shows "more than 10 000" beyond).

    A search counts to ``SEARCH_COUNT_CAP`` only: past a thousand hits the user refines the search."""
    actor.require(Permission.VIEW)
    flt = filters or OrderListFilter()
    _validate(flt)
    alternatives = _search_conditions(flt.search)
    if alternatives:
        cap = min(cap, SEARCH_COUNT_CAP)
    with uow:
        if flt.is_empty():
            # Unfiltered: the planner's row estimate is good enough beyond the cap and costs nothing.
            estimate = uow.session.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = 'orders'::regclass")
            ).scalar()
            if estimate is not None and estimate > cap:
                return OrderCount(int(estimate), exact=False)
        base = select(Order.id).where(*_where(flt))
        if alternatives:
            ids = union(*(base.where(c).limit(cap + 1) for c in alternatives)).subquery()
        else:
            ids = base.limit(cap + 1).subquery()
        n = uow.session.execute(select(func.count()).select_from(ids)).scalar_one()
    return OrderCount(min(n, cap), exact=n <= cap)


def order_list_options(uow: UnitOfWork, actor: Actor, *, language: str = "pl") -> OrderListOptions:
    actor.require(Permission.VIEW)
    with uow:
        settings = load_settings(uow.session)
        integrations = uow.session.execute(
            select(Integration.id, Integration.name).order_by(Integration.name)
        )
        warehouses = uow.session.execute(select(Warehouse.id, Warehouse.code).order_by(Warehouse.code))
        integration_list = [(r.id, r.name) for r in integrations]
        warehouse_list = [(r.id, r.code) for r in warehouses]
    statuses = [
        StatusOption(
            code=s.value,
            label=settings.label(s.value, language),
            colour=settings.statuses[s.value].colour if s.value in settings.statuses else "#9e9e9e",
            order=settings.statuses[s.value].order if s.value in settings.statuses else 999,
        )
        for s in STATUS_ORDER
    ]
    statuses.sort(key=lambda o: (o.order, o.code))
    return OrderListOptions(
        statuses=statuses,
        payment_statuses=[p.value for p in PaymentStatus],
        fulfillment_statuses=[f.value for f in FulfillmentStatus],
        integrations=integration_list,
        warehouses=warehouse_list,
    )


EXPORT_COLUMNS = (
    "number",
    "customer_name",
    "customer_email",
    "total_gross",
    "currency",
    "status",
    "payment_status",
    "fulfillment_status",
    "warehouse",
    "integration",
    "created_at",
)


def _csv_value(row: OrderListRow, column: str, decimal_comma: bool) -> str:
    value = getattr(row, column)
    if isinstance(value, Decimal):
        text = f"{value.quantize(Decimal('0.01')):f}"
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def export_orders_csv(
    uow: UnitOfWork,
    actor: Actor,
    out: TextIO,
    *,
    filters: OrderListFilter | None = None,
    sort: OrderSort | None = None,
    headers: Sequence[str] | None = None,
    delimiter: str = ";",
    decimal_comma: bool = True,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
    batch: int = 5000,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> int:
    """Write every order that matches to ``out`` as CSV, streamed from a server-side cursor.

    Memory stays flat for a million rows. ``headers`` are the column titles in the user's language
    (default: the field names). ``labels`` turn codes into words per column (``status``: ``paid`` →
    ``Opłacone``); each labelled column is followed by a column with the code (``headers`` then has one
    title more per labelled column). Raises ``Cancelled`` when ``cancelled()`` turns true between batches.
    """
    labels = labels or {}
    code_columns = [c for c in EXPORT_COLUMNS if c in labels]
    actor.require(Permission.VIEW)
    flt = filters or OrderListFilter()
    srt = sort or OrderSort()
    _validate(flt)
    if headers is not None and len(headers) != len(EXPORT_COLUMNS) + len(code_columns):
        raise ValidationError(
            f"The export needs {len(EXPORT_COLUMNS) + len(code_columns)} column titles.",
            code="export_titles",
            params={"count": len(EXPORT_COLUMNS) + len(code_columns)},
        )
    total = count_orders(uow, actor, filters=flt)
    stmt = _list_select(flt, srt)
    writer = csv_writer(out, delimiter=delimiter, lineterminator="\r\n")
    default_headers = [h for c in EXPORT_COLUMNS for h in ([c, f"{c}_code"] if c in labels else [c])]
    writer.writerow(list(headers) if headers is not None else default_headers)
    written = 0
    with uow:
        session: Session = uow.session
        result = session.execute(stmt.execution_options(stream_results=True, yield_per=batch))
        for chunk in result.partitions(batch):
            if cancelled():
                raise Cancelled("The export was cancelled; the file is incomplete.", code="export_cancelled")
            for r in chunk:
                row = _row(r, srt)
                values: list[str] = []
                for c in EXPORT_COLUMNS:
                    value = _csv_value(row, c, decimal_comma)
                    if c in labels:
                        values += [labels[c].get(value, value), value]
                    else:
                        values.append(value)
                writer.writerow(values)
            written += len(chunk)
            progress(written, total.value if total.exact else None, "")
    progress(written, written, "")
    return written
