"""Work on several orders at once (the desk's bulk actions) and finding what a scanner typed.

- ``bulk_transition`` / ``bulk_reserve``: each order in its own transaction, so one refused order does
  not undo the others; every refusal is reported with its order number and the error (code + params
  for the GUI to phrase).
- ``render_orders_pdf``: the WZ / packing lists / confirmations of several orders as one PDF (one
  reportlab build, each document from a new page with its own page count), with the orders that have
  no such document reported. ``merge_pdfs`` joins PDFs that exist already (pypdf).
- ``find_scanned``: an order number, a WZ number, a tracking number or an EAN/SKU → what it opens.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from rexbit_desktop.adapters.pdf.render import PrintableDocument, render_pdfs
from rexbit_desktop.db.models.catalog import Product, Warehouse
from rexbit_desktop.db.models.documents import WarehouseDocument
from rexbit_desktop.db.models.orders import Order, OrderShipment
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Cancelled, RexbitError, ValidationError
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.orders import reserve_order
from rexbit_desktop.services.orders.pdfs import KINDS, build_order_documents, user_names, wz_document
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import transition_order
from rexbit_desktop.services.stock.documents import DocumentItemDTO, WarehouseDocumentDTO

MAX_BATCH = 1000


@dataclass(frozen=True)
class Refusal:
    number: str
    message: str
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkResult:
    done: list[str]
    refused: list[Refusal]
    details: dict[str, Any] = field(default_factory=dict)
    """Per order: what the action returned (documents issued, lines missing …)."""


def _refusal(number: str, exc: RexbitError) -> Refusal:
    return Refusal(number, exc.message, exc.code, exc.params)


def _numbers(numbers: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if len(unique) > MAX_BATCH:
        raise ValidationError(
            f"At most {MAX_BATCH} orders at once.", code="batch_too_big", params={"max": MAX_BATCH}
        )
    return unique


def bulk_transition(
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    numbers: Iterable[str],
    target: str,
    *,
    comment: str | None = None,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> BulkResult:
    """Move every order to ``target`` (``comment`` goes into each history row); the refused ones are
    reported, the rest are done."""
    todo = _numbers(numbers)
    done: list[str] = []
    refused: list[Refusal] = []
    details: dict[str, Any] = {}
    for n, number in enumerate(todo, start=1):
        if cancelled():
            break
        try:
            result = transition_order(uow_factory(), actor, number, target, comment=comment)
        except RexbitError as exc:  # the order stays as it was; the next one goes on
            refused.append(_refusal(number, exc))
        else:
            done.append(number)
            details[number] = list(result.issued_documents)
        progress(n, len(todo), number)
    return BulkResult(done, refused, details)


def bulk_reserve(
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    numbers: Iterable[str],
    *,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> BulkResult:
    todo = _numbers(numbers)
    done: list[str] = []
    refused: list[Refusal] = []
    details: dict[str, Any] = {}
    for n, number in enumerate(todo, start=1):
        if cancelled():
            break
        try:
            result = reserve_order(uow_factory(), actor, number)
        except RexbitError as exc:
            refused.append(_refusal(number, exc))
        else:
            done.append(number)
            details[number] = sum(1 for line in result.lines if getattr(line, "missing", 0))
        progress(n, len(todo), number)
    return BulkResult(done, refused, details)


@dataclass(frozen=True)
class BatchPdf:
    path: Path | None
    pages: int
    documents: list[str]
    """The numbers of the documents in the file (WZ numbers, or order numbers for the other kinds)."""
    skipped: list[Refusal]


def merge_pdfs(parts: Iterable[bytes | Path], out: Path | BinaryIO) -> int:
    """Concatenate PDFs (bytes or files) into ``out``; returns the page count."""
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part) if isinstance(part, bytes) else str(part))
    pages = len(writer.pages)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        with tmp.open("wb") as f:
            writer.write(f)
        tmp.replace(out)
    else:
        writer.write(out)
    writer.close()
    return pages


def render_orders_pdf(
    uow: UnitOfWork,
    actor: Actor,
    numbers: Iterable[str],
    *,
    kind: str,
    out: Path | BinaryIO,
    progress: Progress = no_progress,
    cancelled: CancelCheck = never_cancelled,
) -> BatchPdf:
    """One PDF with the ``kind`` documents of every order (in the given order); orders without such a
    document (no WZ yet) are skipped and reported. Nothing is written when no order has one."""
    actor.require(Permission.VIEW)
    if kind not in KINDS:
        raise ValidationError(
            f"Unknown document type '{kind}'.",
            hint="Use one of: " + ", ".join(KINDS),
            code="unknown_document_kind",
            params={"kind": kind, "kinds": list(KINDS)},
        )
    todo = _numbers(numbers)
    printables: list[PrintableDocument] = []
    documents: list[str] = []
    skipped: list[Refusal] = []
    with uow:
        wz = _wz_batch(uow.session, todo) if kind == "wz" else {}
        for n, number in enumerate(todo, start=1):
            if cancelled():
                raise Cancelled("The printing was cancelled.", code="cancelled")
            try:
                printable = wz[number] if number in wz else build_order_documents(uow.session, number, kind)
            except RexbitError as exc:
                skipped.append(_refusal(number, exc))
                continue
            printables += printable
            documents += [doc.number for doc in printable]
            progress(n, len(todo), number)
    if not printables:
        return BatchPdf(None, 0, [], skipped)
    # One reportlab build for all of them (fonts embedded once), each document from a new page with
    # its own "Strona X z Y"; written next to the target and moved in place when complete.
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        try:
            with partial.open("wb") as f:
                pages = render_pdfs(printables, f)
            partial.replace(out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ValidationError(
                f"Cannot write {out}: {exc.strerror}.", code="cannot_write", params={"path": str(out)}
            ) from None
    else:
        pages = render_pdfs(printables, out)
    return BatchPdf(out if isinstance(out, Path) else None, pages, documents, skipped)


def _wz_batch(session: Session, numbers: list[str]) -> dict[str, list[PrintableDocument]]:
    """The WZ of many orders read set-based (a handful of queries for all of them, not five per order);
    orders without a WZ are left out (the caller reports them through ``build_order_documents``)."""
    orders = dict(session.execute(select(Order.id, Order.number).where(Order.number.in_(numbers))).all())
    if not orders:
        return {}
    docs = list(
        session.scalars(
            select(WarehouseDocument)
            .where(WarehouseDocument.order_id.in_(list(orders)), WarehouseDocument.type == "WZ")
            .options(selectinload(WarehouseDocument.items))
            .order_by(WarehouseDocument.id)
        )
    )
    if not docs:
        return {}
    ids = [d.id for d in docs]
    storno = dict(
        session.execute(
            select(WarehouseDocument.related_document_id, WarehouseDocument.number).where(
                WarehouseDocument.related_document_id.in_(ids), WarehouseDocument.type == "IN"
            )
        ).all()
    )
    related_ids = {d.related_document_id for d in docs if d.related_document_id}
    related = (
        dict(
            session.execute(
                select(WarehouseDocument.id, WarehouseDocument.number).where(
                    WarehouseDocument.id.in_(related_ids)
                )
            ).all()
        )
        if related_ids
        else {}
    )
    warehouses = {
        wid: (code, name)
        for wid, code, name in session.execute(
            select(Warehouse.id, Warehouse.code, Warehouse.name).where(
                Warehouse.id.in_({d.warehouse_id for d in docs})
            )
        )
    }
    settings = load_settings(session)
    names = user_names(session, {d.created_by for d in docs})
    out: dict[str, list[PrintableDocument]] = {}
    for d in docs:
        code, name = warehouses[d.warehouse_id]
        number = orders[d.order_id]  # type: ignore[index]
        dto = WarehouseDocumentDTO(
            id=d.id,
            type=d.type,
            number=d.number,
            status=d.status,
            warehouse_code=code,
            warehouse_name=name,
            order_number=number,
            issue_date=d.issue_date,
            release_date=d.release_date,
            recipient=dict(d.recipient or {}),
            related_number=related.get(d.related_document_id) if d.related_document_id else None,
            comment=d.comment,
            created_by=d.created_by,
            posted_at=d.posted_at,
            items=[
                DocumentItemDTO(i.line_no, i.sku, i.ean, i.name, i.unit, i.quantity, i.price_net, i.vat_rate)
                for i in d.items
            ],
        )
        out.setdefault(number, []).append(
            wz_document(dto, settings, storno_number=storno.get(d.id), issuer_name=names.get(d.created_by))
        )
    return out


@dataclass(frozen=True)
class ScanHit:
    kind: str
    """``order`` (number, WZ number or tracking number → the order) or ``product`` (EAN/SKU)."""
    order_number: str | None = None
    sku: str | None = None
    via: str = ""
    """What matched: ``number``, ``wz``, ``tracking``, ``ean``, ``sku``."""


def find_scanned(uow: UnitOfWork, actor: Actor, code: str) -> ScanHit | None:
    """What a barcode scanner typed: the exact order number, a WZ number (its order), a tracking
    number (its order), an EAN or an SKU (the product). Exact matches only — a scan is never a search."""
    actor.require(Permission.VIEW)
    value = code.strip()
    if not value or len(value) > 100:
        return None
    with uow:
        s = uow.session
        # Exact values first (unique indexes); scanners type what is printed, in upper case.
        number = s.scalar(select(Order.number).where(Order.number.in_({value, value.upper()})))
        if number:
            return ScanHit("order", order_number=number, via="number")
        number = s.scalar(
            select(Order.number)
            .join(WarehouseDocument, WarehouseDocument.order_id == Order.id)
            .where(WarehouseDocument.number.in_({value, value.upper()}))
        )
        if number:
            return ScanHit("order", order_number=number, via="wz")
        number = s.scalar(
            select(Order.number)
            .join(OrderShipment, OrderShipment.order_id == Order.id)
            .where(OrderShipment.tracking_number == value)
            .order_by(OrderShipment.id.desc())
            .limit(1)
        )
        if number:
            return ScanHit("order", order_number=number, via="tracking")
        sku = s.scalar(select(Product.sku).where(Product.ean == value).limit(1)) if value.isdigit() else None
        if sku:
            return ScanHit("product", sku=sku, via="ean")
        sku = s.scalar(select(Product.sku).where(func.upper(func.btrim(Product.sku)) == value.upper()))
        if sku:
            return ScanHit("product", sku=sku, via="sku")
    return None


def order_numbers(
    uow: UnitOfWork,
    actor: Actor,
    *,
    filters: Any = None,
    sort: Any = None,
    limit: int = MAX_BATCH,
) -> list[str]:
    """The numbers of the orders that match the list's filter, in its order (*select all in filter*)."""
    from rexbit_desktop.services.orders.queries import list_orders

    page = list_orders(uow, actor, filters=filters, sort=sort, limit=limit)
    return [r.number for r in page.rows]
