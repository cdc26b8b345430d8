"""Warehouse documents: gap-free numbering, deadlock retries, the stock ledger and document DTOs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_random_exponential

from rexbit_desktop.db.models.catalog import Warehouse
from rexbit_desktop.db.models.documents import StockMovement, WarehouseDocument
from rexbit_desktop.db.models.orders import Order
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound
from rexbit_desktop.domain.numbering import NumberPattern
from rexbit_desktop.domain.roles import Actor, Permission

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# SQLSTATEs that mean "run the transaction again": deadlock_detected, serialization_failure.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "sqlstate", None)
        return state in _RETRYABLE_SQLSTATES
    return False


def retry_on_deadlock(fn: Callable[P, T]) -> Callable[P, T]:
    """Run a whole use case again when PostgreSQL chose it as a deadlock victim; the user never sees it.

    The wrapped function must open its own ``with uow:`` so that each attempt is a fresh transaction.
    """
    retrying = retry(
        retry=retry_if_exception(_is_retryable),
        stop=stop_after_attempt(10),
        wait=wait_random_exponential(multiplier=0.01, max=0.5),
        reraise=True,
        before_sleep=lambda state: log.info(
            "deadlock in %s, retrying (attempt %s)", fn.__name__, state.attempt_number
        ),
    )
    return functools.wraps(fn)(retrying(fn))


_TAKE_NUMBER = (
    "INSERT INTO number_series (key, last_value) {source} "
    "ON CONFLICT (key) DO UPDATE SET last_value = number_series.last_value + 1 "
    "RETURNING last_value"
)


def next_number(session: Session, pattern: NumberPattern, kind: str, day: date) -> str:
    """Take the next number of a series inside the caller's transaction.

    The upsert locks the ``number_series`` row until the transaction ends, so concurrent writers queue
    behind it and a rolled-back transaction gives its number back: no gap, no duplicate.
    """
    value = session.execute(
        text(_TAKE_NUMBER.format(source="VALUES (:key, 1)")), {"key": pattern.series_key(kind, day)}
    ).scalar_one()
    return pattern.format(int(value), day)


def number_cte(
    pattern: NumberPattern, kind: str, day: date, params: dict[str, Any], *, unless_exists: str | None = None
) -> tuple[str, str]:
    """``next_number`` as SQL for a data-modifying CTE: ``(cte, number)`` where ``cte`` is the counter
    upsert (``WITH n AS (cte)``) and ``number`` the formatted number as an SQL expression over ``n`` (built
    from ``pattern.parts``). Same row lock as ``next_number``: still no gap and no duplicate.
    ``unless_exists``: an SQL query; when it finds a row no number is taken (``n`` is empty)."""
    head, width, tail = pattern.parts(day)
    params.update({"n_key": pattern.series_key(kind, day), "n_head": head, "n_width": width, "n_tail": tail})
    last = "CAST(n.last_value AS text)"
    number = (
        f"(CAST(:n_head AS text) || lpad({last}, greatest(CAST(:n_width AS int), length({last})), '0') "
        "|| CAST(:n_tail AS text))"
    )
    source = "VALUES (:n_key, 1)"
    if unless_exists is not None:
        source = f"SELECT :n_key, 1 WHERE NOT EXISTS ({unless_exists})"
    return _TAKE_NUMBER.format(source=source), number


def next_number_into(
    session: Session, pattern: NumberPattern, kind: str, day: date, *, table: str, row_id: int
) -> str:
    """``next_number`` and writing it into ``table.number`` of row ``row_id`` in one statement."""
    params: dict[str, Any] = {"row_id": row_id}
    cte, number = number_cte(pattern, kind, day, params)
    value = session.execute(
        text(
            f"WITH n AS ({cte}) UPDATE {table} AS t SET number = {number}, updated_at = now() "
            "FROM n WHERE t.id = :row_id RETURNING t.number"
        ),
        params,
    ).scalar_one()
    return str(value)


def record_movements(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write stock ledger rows (product_id, warehouse_id, on_hand_delta, reserved_delta, reason, …)."""
    if rows:
        session.execute(insert(StockMovement), rows)


@dataclass(frozen=True)
class DocumentItemDTO:
    line_no: int
    sku: str
    ean: str | None
    name: str
    unit: str
    quantity: Decimal
    price_net: Decimal | None
    vat_rate: Decimal | None


@dataclass(frozen=True)
class WarehouseDocumentDTO:
    id: int
    type: str
    number: str | None
    status: str
    warehouse_code: str
    warehouse_name: str
    order_number: str | None
    issue_date: date
    release_date: date | None
    recipient: dict[str, Any]
    related_number: str | None
    comment: str | None
    created_by: str
    posted_at: datetime | None
    items: list[DocumentItemDTO]


def document_dto(session: Session, doc: WarehouseDocument) -> WarehouseDocumentDTO:
    code, name, order_number = session.execute(
        select(Warehouse.code, Warehouse.name, Order.number)
        .select_from(Warehouse)
        .join(Order, Order.id == doc.order_id, isouter=True)
        .where(Warehouse.id == doc.warehouse_id)
    ).one()
    related = (
        session.scalar(
            select(WarehouseDocument.number).where(WarehouseDocument.id == doc.related_document_id)
        )
        if doc.related_document_id
        else None
    )
    return WarehouseDocumentDTO(
        id=doc.id,
        type=doc.type,
        number=doc.number,
        status=doc.status,
        warehouse_code=code,
        warehouse_name=name,
        order_number=order_number,
        issue_date=doc.issue_date,
        release_date=doc.release_date,
        recipient=dict(doc.recipient or {}),
        related_number=related,
        comment=doc.comment,
        created_by=doc.created_by,
        posted_at=doc.posted_at,
        items=[
            DocumentItemDTO(i.line_no, i.sku, i.ean, i.name, i.unit, i.quantity, i.price_net, i.vat_rate)
            for i in doc.items
        ],
    )


def get_document(uow: UnitOfWork, actor: Actor, number: str) -> WarehouseDocumentDTO:
    actor.require(Permission.VIEW)
    with uow:
        doc = uow.session.scalar(select(WarehouseDocument).where(WarehouseDocument.number == number.strip()))
        if doc is None:
            raise NotFound(
                f"There is no warehouse document '{number}'.",
                code="document_not_found",
                params={"number": number},
            )
        return document_dto(uow.session, doc)
