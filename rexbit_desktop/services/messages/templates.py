"""Message templates: Jinja2 in a sandbox with strict undefined variables, checked when saved.

A template may use only the variables of ``VARIABLES`` (the context ``order_context`` builds). Saving
renders it against a complete sample context, so an unknown variable, a syntax error or an attempt to
reach Python internals is refused then, with its line — not when a customer should get the message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.services.orders.dto import AddressDTO, OrderDetailDTO, OrderItemDTO, ShipmentDTO

TEMPLATE_NAME = "<template>"
ATTACHMENT_KINDS = ("confirmation", "packing", "reservation", "wz")
FIELDS = ("subject", "body_text", "body_html")
FIELD_LABELS = {"subject": "subject", "body_text": "plain-text body", "body_html": "HTML body"}

_PAYMENT_PL = {
    "pending": "oczekuje",
    "partially_paid": "częściowo opłacone",
    "paid": "opłacone",
    "refunded": "zwrócone",
}

VARIABLES: list[tuple[str, str]] = [
    ("order.number", "numer zamówienia"),
    ("order.date", "data zamówienia (RRRR-MM-DD)"),
    ("order.datetime", "data i godzina zamówienia"),
    ("order.status", "kod statusu (np. shipped)"),
    ("order.status_label", "nazwa statusu"),
    ("order.payment_status", "status płatności"),
    ("order.delivery_method", "sposób dostawy"),
    ("order.currency", "waluta"),
    ("order.source", "źródło (manual, prestashop …)"),
    ("order.external_id", "numer zamówienia w sklepie"),
    ("customer.name / .company / .email / .phone", "klient"),
    ("customer.street / .postcode / .city / .country / .vat_id", "adres klienta"),
    ("billing_address.*, shipping_address.*", "adres do faktury / wysyłki (jak customer)"),
    ("items", "pozycje: item.name, .sku, .ean, .quantity, .unit, .price_gross, .total_gross, .vat_rate"),
    ("totals.net / .vat / .gross / .shipping / .paid", "kwoty (sformatowane, z walutą)"),
    ("totals.items_count", "liczba pozycji"),
    ("shipment.carrier / .carrier_name", "przewoźnik (kod / nazwa)"),
    ("shipment.tracking_number / .tracking_url", "numer przesyłki i link do śledzenia"),
    ("company.name / .street / .postcode / .city / .vat_id / .phone / .email / .bank_account", "dane firmy"),
    ("links.documents", "link do dokumentów zamówienia (z ustawień konta)"),
]


def _money(value: Decimal, currency: str) -> str:
    text = f"{value.quantize(Decimal('0.01')):,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} {currency}".strip()


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _address(a: AddressDTO | None, fallback_email: str | None = None) -> dict[str, str]:
    keys = ("name", "company", "street", "postcode", "city", "country", "email", "phone", "vat_id")
    values = {k: (getattr(a, k) or "") if a is not None else "" for k in keys}
    if not values["email"] and fallback_email:
        values["email"] = fallback_email
    return values


def _item(i: OrderItemDTO, currency: str) -> dict[str, str]:
    return {
        "name": i.name,
        "sku": i.sku or "",
        "ean": i.ean or "",
        "quantity": _qty(i.quantity),
        "unit": i.unit,
        "price_gross": _money(i.price_gross, currency),
        "total_gross": _money(i.total_gross, currency),
        "vat_rate": f"{_qty(i.vat_rate)}%",
    }


def order_context(
    order: OrderDetailDTO, settings: OrderSettings, *, documents_url: str = ""
) -> dict[str, Any]:
    """What a template sees for one order: plain texts, lists and dicts (formatted the Polish way)."""
    by_type = {a.type: a for a in order.addresses}
    customer = by_type.get("customer") or by_type.get("billing") or by_type.get("shipping")
    cur = order.currency
    net = sum((i.price_net * i.quantity for i in order.items), Decimal(0)).quantize(Decimal("0.01"))
    gross_items = sum((i.total_gross for i in order.items), Decimal(0))
    shipment: ShipmentDTO | None = order.shipments[-1] if order.shipments else None
    carrier = settings.carrier(shipment.carrier) if shipment is not None else None
    c = settings.company
    return {
        "order": {
            "number": order.number,
            "date": order.created_at.date().isoformat(),
            "datetime": order.created_at.strftime("%Y-%m-%d %H:%M"),
            "status": order.status,
            "status_label": settings.label(order.status),
            "payment_status": _PAYMENT_PL.get(order.payment_status, order.payment_status),
            "delivery_method": order.delivery_method or "",
            "currency": cur,
            "source": order.source,
            "external_id": order.external_order_id or "",
        },
        "customer": _address(customer, order.customer_email),
        "billing_address": _address(by_type.get("billing") or customer),
        "shipping_address": _address(by_type.get("shipping") or by_type.get("pickup") or customer),
        "items": [_item(i, cur) for i in order.items],
        "totals": {
            "net": _money(net, cur),
            "vat": _money(gross_items - net, cur),
            "gross": _money(order.total_gross, cur),
            "shipping": _money(order.shipping_gross, cur),
            "paid": _money(order.total_paid, cur),
            "items_count": str(len(order.items)),
        },
        "shipment": {
            "carrier": shipment.carrier if shipment else "",
            "carrier_name": (carrier.name if carrier else shipment.carrier) if shipment else "",
            "tracking_number": (shipment.tracking_number or "") if shipment else "",
            "tracking_url": shipment.tracking_url if shipment else "",
        },
        "company": {
            "name": c.name,
            "street": c.street,
            "postcode": c.postcode,
            "city": c.city,
            "country": c.country,
            "vat_id": c.vat_id,
            "phone": c.phone,
            "email": c.email,
            "bank_account": c.bank_account,
        },
        "links": {"documents": documents_url.replace("{number}", order.number) if documents_url else ""},
    }


def sample_order() -> OrderDetailDTO:
    """A made-up order with every part filled in: what a template is checked against when saved."""
    now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    address = AddressDTO(
        "customer", "Jan Kowalski", "Firma Sp. z o.o.", "ul. Długa 1", "00-001", "Warszawa", "PL",
        "jan@example.pl", "600100200", "5260250274",
    )  # fmt: skip
    item = OrderItemDTO(
        1, "HX-1001", "5901234123457", "Produkt przykładowy", Decimal(2), "szt.", Decimal("123.00"),
        Decimal("100.00"), Decimal(23), Decimal("246.00"), "MAG", Decimal(2), Decimal(0), Decimal(0), True,
    )  # fmt: skip
    return OrderDetailDTO(
        id=0, number="ZAM/2026/01/00001", status="shipped", status_label="Wysłane", status_colour="#000000",
        payment_status="paid", fulfillment_status="shipped", source="prestashop", external_order_id="123",
        currency="PLN", total_net=Decimal("200.00"), total_gross=Decimal("261.00"), total_paid=Decimal("261.00"),
        shipping_gross=Decimal("15.00"), delivery_method="Kurier InPost", warehouse_code="MAG",
        customer_name="Jan Kowalski", customer_email="jan@example.pl", created_at=now, updated_at=now,
        items=[item], addresses=[address, replace(address, type="billing"), replace(address, type="shipping")],
        payments=[], shipments=[ShipmentDTO("inpost", "620000000000000000000000", "https://inpost.pl/sledzenie-przesylek?number=620000000000000000000000", "created", now)],
        history=[], reservations=[], shortages=[], documents=[], notes=[], allowed_transitions=[],
    )  # fmt: skip


def sample_context() -> dict[str, Any]:
    return order_context(
        sample_order(), OrderSettings(), documents_url="https://sklep.example.pl/zamowienie/{number}"
    )


# ---------------------------------------------------------------- rendering


def _environment(html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=html, trim_blocks=True, lstrip_blocks=True
    )
    env.globals.clear()  # no range(), lipsum(), dict(), cycler … — only the order's data
    return env


_TEXT = _environment(False)
_HTML = _environment(True)


class TemplateRefused(ValidationError):
    """The template cannot be used."""

    def __init__(self, field_name: str, line: int | None, reason: str, kind: str = "error") -> None:
        where = FIELD_LABELS.get(field_name, field_name) + (f", line {line}" if line else "")
        super().__init__(
            f"The template's {where}: {reason}",
            hint="Use only the variables listed beside the editor, e.g. {{ order.number }}.",
            code="mail_template_refused",
            # kind: syntax, unknown (variable), forbidden (the sandbox), error (e.g. {{ 1/0 }})
            params={"field": field_name, "line": line, "kind": kind, "reason": reason},
        )
        self.field = field_name
        self.line = line
        self.reason = reason


def _template_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@functools.lru_cache(maxsize=256)
def _compiled(html: bool, source: str) -> Template:
    """Compiling costs milliseconds; a template is compiled once per process and text."""
    return (_HTML if html else _TEXT).from_string(source)


def render_field(field_name: str, source: str, context: dict[str, Any]) -> str:
    try:
        template = _compiled(field_name == "body_html", source)
    except TemplateSyntaxError as exc:
        raise TemplateRefused(field_name, exc.lineno, exc.message or str(exc), "syntax") from None
    try:
        text = template.render(context)
    except TemplateError as exc:  # undefined variable, sandbox refusal
        reason = exc.message or str(exc)
        if "is unsafe" in reason or "SecurityError" in type(exc).__name__:
            reason, kind = f"not allowed ({reason})", "forbidden"
        else:
            reason, kind = f"unknown variable ({reason})", "unknown"
        raise TemplateRefused(field_name, _template_line(exc.__traceback__), reason, kind) from None
    except Exception as exc:  # e.g. {{ 1/0 }}, a wrong filter argument
        raise TemplateRefused(
            field_name, _template_line(exc.__traceback__), f"{type(exc).__name__}: {exc}"
        ) from None
    if field_name == "subject":
        text = " ".join(text.split())
    return text


@dataclass(frozen=True)
class TemplateSource:
    code: str
    language: str
    name: str
    subject: str
    body_text: str
    body_html: str | None = None
    attachments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body_text: str
    body_html: str | None


def render(source: TemplateSource, context: dict[str, Any]) -> RenderedMail:
    return RenderedMail(
        render_field("subject", source.subject, context),
        render_field("body_text", source.body_text, context),
        render_field("body_html", source.body_html, context) if source.body_html else None,
    )


def check_template(source: TemplateSource) -> None:
    """Refuse a template that would fail or misbehave at send time (raises ``TemplateRefused``)."""
    code = source.code.strip()
    if not code or not all(ch.isalnum() or ch in "_-" for ch in code) or len(code) > 64:
        raise ValidationError(
            "A template's code is letters, digits, '-' or '_' (up to 64), e.g. order_shipped.",
            code="mail_template_bad_code",
            params={"code": code},
        )
    if not source.subject.strip():
        raise ValidationError("The template needs a subject.", code="mail_template_no_subject")
    if not source.body_text.strip():
        raise ValidationError("The template needs a plain-text body.", code="mail_template_no_body")
    unknown = [a for a in source.attachments if a not in ATTACHMENT_KINDS]
    if unknown:
        raise ValidationError(
            f"Unknown attachment(s): {', '.join(unknown)}.",
            hint="Attach any of: " + ", ".join(ATTACHMENT_KINDS),
            code="mail_template_bad_attachment",
            params={"unknown": unknown, "kinds": list(ATTACHMENT_KINDS)},
        )
    render(source, sample_context())
