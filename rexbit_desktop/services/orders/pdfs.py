"""The printed documents of an order: WZ, order confirmation, reservation, packing list."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.pdf.render import Column, Party, PrintableDocument, render_pdf
from rexbit_desktop.db.models.documents import WarehouseDocument
from rexbit_desktop.db.models.users import User
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.order_settings import Company, OrderSettings
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.detail import order_detail
from rexbit_desktop.services.orders.dto import AddressDTO, OrderDetailDTO
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import find_order
from rexbit_desktop.services.stock.documents import WarehouseDocumentDTO, document_dto

KINDS = ("wz", "confirmation", "reservation", "packing")
# The titles printed on the documents; the buttons that print them use the same words.
WZ_TITLE = "WZ – Wydanie zewnętrzne"
CONFIRMATION_TITLE = "Potwierdzenie zamówienia"
PACKING_TITLE = "Lista kompletacyjna"
PAYMENT_PL = {
    "pending": "oczekuje",
    "partially_paid": "częściowo opłacone",
    "paid": "opłacone",
    "refunded": "zwrócone",
}


def money(value: Decimal, currency: str = "") -> str:
    """Polish notation: 1 234,50 (a narrow no-break space would not survive every PDF viewer's copy)."""
    text = f"{value.quantize(Decimal('0.01')):,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} {currency}".rstrip()


def qty(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def _company_lines(company: Company) -> list[str]:
    lines = [
        company.name or "(uzupełnij dane firmy: Zamówienia → Ustawienia → Dane firmy)",
        company.street,
        f"{company.postcode} {company.city}".strip(),
        f"NIP: {company.vat_id}" if company.vat_id else "",
        " ".join(x for x in (company.phone, company.email) if x),
    ]
    return [line for line in lines if line]


def _address_lines(a: AddressDTO | dict[str, Any] | None) -> list[str]:
    if a is None:
        return ["—"]
    get = a.get if isinstance(a, dict) else (lambda k, _d=None: getattr(a, k))
    lines = [
        get("company") or "",
        get("name") or "",
        get("street") or "",
        f"{get('postcode') or ''} {get('city') or ''}".strip()
        + (f" ({get('country')})" if get("country") and get("country") != "PL" else ""),
        f"NIP: {get('vat_id')}" if get("vat_id") else "",
        " ".join(x for x in (get("phone") or "", get("email") or "") if x),
    ]
    return [line for line in lines if line] or ["—"]


def _address(order: OrderDetailDTO, *kinds: str) -> AddressDTO | None:
    by_type = {a.type: a for a in order.addresses}
    return next((by_type[k] for k in kinds if k in by_type), None)


def wz_document(
    doc: WarehouseDocumentDTO,
    settings: OrderSettings,
    *,
    storno_number: str | None = None,
    issuer_name: str | None = None,
) -> PrintableDocument:
    title = {
        "WZ": WZ_TITLE,
        "IN": "IN – Przyjęcie zwrotne (storno)",
        "PZ": "PZ – Przyjęcie zewnętrzne",
    }[doc.type]
    marker = "Oryginał"
    if doc.status == "cancelled":
        marker = "ANULOWANY" + (f" – storno {storno_number}" if storno_number else "")
    total = sum((i.quantity for i in doc.items), Decimal(0))
    meta = [
        ("Data wystawienia", doc.issue_date.isoformat()),
        (
            "Data wydania" if doc.type == "WZ" else "Data przyjęcia",
            (doc.release_date or doc.issue_date).isoformat(),
        ),
        ("Magazyn", f"{doc.warehouse_code} – {doc.warehouse_name}"),
    ]
    if doc.order_number:
        meta.append(("Zamówienie", doc.order_number))
    if doc.related_number:
        meta.append(("Dotyczy", doc.related_number))
    return PrintableDocument(
        title=title,
        number=doc.number or "",
        marker=marker,
        meta=meta,
        parties=[
            Party("Wystawca", _company_lines(settings.company)),
            Party("Odbiorca" if doc.type == "WZ" else "Od kogo", _address_lines(doc.recipient)),
        ],
        columns=[
            Column("Lp.", 6, "RIGHT"),
            Column("Kod (SKU / EAN)", 20, wrap=True),
            Column("Nazwa towaru", 50, wrap=True),
            Column("J.m.", 8),
            Column("Ilość", 12, "RIGHT"),
        ],
        rows=[
            [str(i.line_no), i.sku + (f"\n{i.ean}" if i.ean else ""), i.name, i.unit, qty(i.quantity)]
            for i in doc.items
        ],
        totals=[("Razem pozycji / ilość", f"{len(doc.items)} / {qty(total)}")],
        notes=[f"Uwagi: {doc.comment}"] if doc.comment else [],
        signatures=["Wystawił", "Wydał", "Odebrał", "Zatwierdził"]
        if doc.type == "WZ"
        else ["Wystawił", "Przyjął"],
        footer=f"{doc.number} · wystawił: {issuer_name or doc.created_by}",
    )


def confirmation_document(order: OrderDetailDTO, settings: OrderSettings) -> PrintableDocument:
    net = sum((i.price_net * i.quantity for i in order.items), Decimal(0)).quantize(Decimal("0.01"))
    gross_items = sum((i.total_gross for i in order.items), Decimal(0))
    parties = [
        Party("Sprzedawca", _company_lines(settings.company)),
        Party("Nabywca", _address_lines(_address(order, "billing", "customer", "shipping"))),
    ]
    shipping = _address(order, "shipping", "pickup")
    if shipping is not None:
        parties.append(
            Party(
                "Adres dostawy" if shipping.type == "shipping" else "Punkt odbioru", _address_lines(shipping)
            )
        )
    totals = [
        ("Wartość netto", money(net, order.currency)),
        ("VAT", money(gross_items - net, order.currency)),
    ]
    if order.shipping_gross:
        totals.append(("Dostawa", money(order.shipping_gross, order.currency)))
    totals += [
        ("Razem brutto", money(order.total_gross, order.currency)),
        ("Zapłacono", money(order.total_paid, order.currency)),
    ]
    return PrintableDocument(
        title=CONFIRMATION_TITLE,
        number=order.number,
        meta=[
            ("Data zamówienia", order.created_at.date().isoformat()),
            ("Płatność", PAYMENT_PL.get(order.payment_status, order.payment_status)),
            ("Dostawa", order.delivery_method or "—"),
        ],
        parties=parties,
        columns=[
            Column("Lp.", 6, "RIGHT"),
            Column("Kod", 12, wrap=True),
            Column("Nazwa towaru", 31, wrap=True),
            Column("J.m.", 8),
            Column("Ilość", 8, "RIGHT"),
            Column("Cena brutto", 15, "RIGHT"),
            Column("VAT", 7, "RIGHT"),
            Column("Wartość brutto", 19, "RIGHT"),
        ],
        rows=[
            [
                str(n),
                i.sku or "",
                i.name,
                i.unit,
                qty(i.quantity),
                money(i.price_gross),
                f"{qty(i.vat_rate)}%",
                money(i.total_gross),
            ]
            for n, i in enumerate(order.items, start=1)
        ],
        totals=totals,
        notes=["Dziękujemy za zamówienie."],
    )


def reservation_document(order: OrderDetailDTO, settings: OrderSettings) -> PrintableDocument:
    number = next((d.number for d in order.documents if d.type == "reservation"), None)
    if number is None:
        raise ValidationError(
            f"Order {order.number} has no reservation yet.",
            code="no_reservation",
            params={"number": order.number},
        )
    expiries = [r.expires_at for r in order.reservations if r.status != "released" and r.expires_at]
    meta = [("Zamówienie", order.number), ("Data", order.created_at.date().isoformat())]
    if expiries:
        meta.append(("Ważna do", min(expiries).strftime("%Y-%m-%d %H:%M")))
    missing_any = any(i.missing for i in order.items)
    issued_any = any(i.issued for i in order.items)
    wz_numbers = [
        d.number for d in order.documents if d.type == "issue_wz" and d.status != "cancelled" and d.number
    ]
    notes = []
    if issued_any:
        # After the WZ the reservation is consumed (reserved 0): the document says where the goods went.
        notes.append(
            "Towar wydano z magazynu"
            + (f" dokumentem {', '.join(wz_numbers)}" if wz_numbers else "")
            + " — rezerwacja została zamknięta wydaniem."
        )
    if missing_any:
        notes.append("Brakujące pozycje zostaną zarezerwowane automatycznie po przyjęciu dostawy.")
    return PrintableDocument(
        title="Rezerwacja towaru",
        marker="Towar wydany (WZ)" if issued_any else "",
        number=number,
        meta=meta,
        parties=[
            Party("Wystawca", _company_lines(settings.company)),
            Party("Klient", _address_lines(_address(order, "customer", "billing", "shipping"))),
        ],
        columns=[
            Column("Lp.", 6, "RIGHT"),
            Column("Kod", 12, wrap=True),
            Column("Nazwa towaru", 25, wrap=True),
            Column("Magazyn", 10),
            Column("J.m.", 6),
            Column("Zamówiono", 13, "RIGHT"),
            Column("Zarezerw.", 12, "RIGHT"),
            Column("Wydano", 10, "RIGHT"),
            Column("Brakuje", 10, "RIGHT"),
        ],
        rows=[
            [
                str(n),
                i.sku or "",
                i.name,
                i.warehouse_code or "",
                i.unit,
                qty(i.quantity),
                qty(i.reserved),
                qty(i.issued) if i.issued else "—",
                qty(i.missing) if i.missing else "—",
            ]
            for n, i in enumerate(order.items, start=1)
            if i.in_catalog
        ],
        notes=notes,
    )


def packing_document(order: OrderDetailDTO, settings: OrderSettings) -> PrintableDocument:
    total = sum((i.quantity for i in order.items), Decimal(0))
    notes = [f"Uwagi: {n.body}" for n in order.notes]
    return PrintableDocument(
        title=PACKING_TITLE,
        number=order.number,
        meta=[("Data", order.created_at.date().isoformat()), ("Dostawa", order.delivery_method or "—")],
        parties=[
            Party("Nadawca", _company_lines(settings.company)),
            Party("Odbiorca", _address_lines(_address(order, "shipping", "pickup", "customer"))),
        ],
        columns=[
            Column("Lp.", 5, "RIGHT"),
            Column("Kod", 15, wrap=True),
            # A 13-digit EAN at 8.5 pt is ~25 mm wide: the column leaves room for it and its padding.
            Column("EAN", 19),
            Column("Nazwa towaru", 35, wrap=True),
            Column("J.m.", 7),
            Column("Ilość", 8, "RIGHT"),
            Column("Spakowano", 11),
        ],
        rows=[
            [str(n), i.sku or "", i.ean or "", i.name, i.unit, qty(i.quantity), "☐"]
            for n, i in enumerate(order.items, start=1)
        ],
        totals=[("Pozycji / sztuk", f"{len(order.items)} / {qty(total)}")],
        notes=notes,
        signatures=["Spakował", "Sprawdził"],
    )


def user_names(session: Session, logins: set[str]) -> dict[str, str]:
    """The full names of users by login (documents print who issued them by name, not by login)."""
    if not logins:
        return {}
    rows = session.execute(select(User.login, User.display_name).where(User.login.in_(logins))).all()
    return {login: name for login, name in rows if name}


def _wz_documents(session: Session, order_id: int) -> list[tuple[WarehouseDocumentDTO, str | None]]:
    docs = list(
        session.scalars(
            select(WarehouseDocument)
            .where(WarehouseDocument.order_id == order_id, WarehouseDocument.type == "WZ")
            .order_by(WarehouseDocument.id)
        )
    )
    storno = dict(
        session.execute(
            select(WarehouseDocument.related_document_id, WarehouseDocument.number).where(
                WarehouseDocument.order_id == order_id, WarehouseDocument.type == "IN"
            )
        ).all()
    )
    return [(document_dto(session, d), storno.get(d.id)) for d in docs]


def build_order_documents(session: Session, number: str, kind: str) -> list[PrintableDocument]:
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValidationError(
            f"Unknown document type '{kind}'.",
            hint="Use one of: " + ", ".join(KINDS),
            code="unknown_document_kind",
            params={"kind": kind, "kinds": list(KINDS)},
        )
    order = find_order(session, number)
    settings = load_settings(session)
    if kind == "wz":
        wzs = _wz_documents(session, order.id)
        if not wzs:
            raise NotFound(
                f"Order {order.number} has no WZ yet.",
                code="no_wz",
                params={"number": order.number, "status": settings.automation.issue_wz_on},
            )
        names = user_names(session, {doc.created_by for doc, _s in wzs})
        return [
            wz_document(doc, settings, storno_number=storno, issuer_name=names.get(doc.created_by))
            for doc, storno in wzs
        ]
    return [DETAIL_BUILDERS[kind](order_detail(session, order), settings)]


def render_order_pdf(uow: UnitOfWork, actor: Actor, number: str, *, kind: str, out: Path) -> list[Path]:
    """Write the order's document(s) of ``kind``; several WZ (one per warehouse) get -2, -3 … names."""
    actor.require(Permission.VIEW)
    with uow:
        documents = build_order_documents(uow.session, number, kind)
    paths = []
    for n, doc in enumerate(documents, start=1):
        path = out if n == 1 else out.with_name(f"{out.stem}-{n}{out.suffix}")
        try:
            render_pdf(doc, path)
        except OSError as exc:
            raise ValidationError(
                f"Cannot write {path}: {exc.strerror}.", code="cannot_write", params={"path": str(path)}
            ) from None
        paths.append(path)
    return paths


DETAIL_BUILDERS = {
    "confirmation": confirmation_document,
    "reservation": reservation_document,
    "packing": packing_document,
}


def render_detail_pdf(order: OrderDetailDTO, settings: OrderSettings, *, kind: str, out: Path) -> Path:
    """A confirmation, reservation or packing list from a detail the caller already holds (the order
    window prints what it shows): no second read of the order."""
    builder = DETAIL_BUILDERS.get(kind.strip().lower())
    if builder is None:
        raise ValidationError(
            f"Unknown document type '{kind}'.",
            hint="Use one of: " + ", ".join(DETAIL_BUILDERS),
            code="unknown_document_kind",
            params={"kind": kind, "kinds": list(DETAIL_BUILDERS)},
        )
    try:
        render_pdf(builder(order, settings), out)
    except OSError as exc:
        raise ValidationError(
            f"Cannot write {out}: {exc.strerror}.", code="cannot_write", params={"path": str(out)}
        ) from None
    return out


def render_document_pdf(uow: UnitOfWork, actor: Actor, document_number: str, out: Path | BinaryIO) -> None:
    """One warehouse document (WZ, PZ, IN) by its number."""
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        doc = s.scalar(select(WarehouseDocument).where(WarehouseDocument.number == document_number.strip()))
        if doc is None:
            raise NotFound(
                f"There is no warehouse document '{document_number}'.",
                code="document_not_found",
                params={"number": document_number},
            )
        storno = (
            s.scalar(
                select(WarehouseDocument.number).where(
                    WarehouseDocument.related_document_id == doc.id, WarehouseDocument.type == "IN"
                )
            )
            if doc.status == "cancelled"
            else None
        )
        dto = document_dto(s, doc)
        printable = wz_document(
            dto,
            load_settings(s),
            storno_number=storno,
            issuer_name=user_names(s, {dto.created_by}).get(dto.created_by),
        )
    render_pdf(printable, out)
