"""Composing an outbox e-mail: an order's template (in the order's language) rendered for the order,
the recipient, the attachments to make and the ``Message-ID``; nothing is stored here (see outbox.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.mail.config import sender
from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.db.models.mail import MailTemplate
from rexbit_desktop.db.models.orders import Order, OrderAddress, OrderItem, OrderShipment
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.messages.accounts import load_account
from rexbit_desktop.services.messages.templates import RenderedMail, TemplateSource, order_context, render
from rexbit_desktop.services.orders.dto import AddressDTO, OrderDetailDTO, OrderItemDTO, ShipmentDTO
from rexbit_desktop.services.orders.payload import ADDRESS_FIELDS, ADDRESS_TYPES
from rexbit_desktop.services.orders.settings import load_settings

ZERO = Decimal(0)
ATTACHMENT_NAMES = {
    "confirmation": "potwierdzenie-zamowienia",
    "packing": "lista-pakowania",
    "reservation": "rezerwacja",
    "wz": "wz",
}


@dataclass(frozen=True)
class OutgoingMessage:
    id: int | None
    """None for a dry run (nothing stored)."""
    order_number: str
    template_code: str | None
    to_address: str
    from_address: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list[str]
    message_id: str | None
    state: str
    created: bool
    """False when the same (order, template, trigger) was enqueued before: nothing new was added."""


def load_template(session: Session, code: str, language: str = "pl") -> TemplateSource:
    rows = {
        r.language: r for r in session.scalars(select(MailTemplate).where(MailTemplate.code == code.strip()))
    }
    row = rows.get(language) or rows.get("pl") or next(iter(rows.values()), None)
    if row is None:
        known = session.scalars(select(MailTemplate.code).distinct().order_by(MailTemplate.code)).all()
        raise NotFound(
            f"There is no mail template '{code}'.",
            hint="Templates: " + ", ".join(known),
            code="mail_template_not_found",
            params={"code": code, "known": list(known)},
        )
    return TemplateSource(
        row.code,
        row.language,
        row.name,
        row.subject,
        row.body_text,
        row.body_html,
        list(row.attachments or []),
    )


def mail_details(session: Session, orders: list[Order]) -> dict[int, OrderDetailDTO]:
    """What a template needs of each order (items with units, addresses, shipments): three queries for
    any number of orders (the full ``order_detail`` reads a dozen per order)."""
    settings = load_settings(session)
    ids = [o.id for o in orders]
    items: dict[int, list[OrderItemDTO]] = {i: [] for i in ids}
    for i, unit in session.execute(
        select(OrderItem, Product.unit)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id.in_(ids))
        .order_by(OrderItem.id)
    ):
        items[i.order_id].append(
            OrderItemDTO(
                i.id, i.sku, i.ean, i.name, i.quantity, unit or "szt.", i.price_gross, i.price_net, i.vat_rate,
                (i.price_gross * i.quantity).quantize(Decimal("0.01")), None, ZERO, ZERO, ZERO,
                i.product_id is not None,
            )
        )  # fmt: skip
    addresses: dict[int, list[OrderAddress]] = {i: [] for i in ids}
    for a in session.scalars(select(OrderAddress).where(OrderAddress.order_id.in_(ids))):
        addresses[a.order_id].append(a)
    shipments: dict[int, list[ShipmentDTO]] = {i: [] for i in ids}
    for sh in session.scalars(
        select(OrderShipment).where(OrderShipment.order_id.in_(ids)).order_by(OrderShipment.id)
    ):
        carrier = settings.carrier(sh.carrier)
        link = carrier.tracking_link(sh.tracking_number or "") if carrier and sh.tracking_number else ""
        shipments[sh.order_id].append(
            ShipmentDTO(sh.carrier, sh.tracking_number, link, sh.status, sh.shipped_at)
        )
    return {
        o.id: OrderDetailDTO(
            id=o.id,
            number=o.number,
            status=o.status,
            status_label=settings.label(o.status),
            status_colour="",
            payment_status=o.payment_status,
            fulfillment_status=o.fulfillment_status,
            source=o.source,
            external_order_id=o.external_order_id,
            currency=o.currency,
            total_net=o.total_net,
            total_gross=o.total_gross,
            total_paid=o.total_paid,
            shipping_gross=o.shipping_gross,
            delivery_method=o.delivery_method,
            warehouse_code=None,
            customer_name=o.customer_name,
            customer_email=o.customer_email,
            created_at=o.created_at,
            updated_at=o.updated_at,
            items=items[o.id],
            addresses=[
                AddressDTO(a.type, *(getattr(a, f) for f in ADDRESS_FIELDS))
                for a in sorted(addresses[o.id], key=lambda a: ADDRESS_TYPES.index(a.type))
            ],
            payments=[],
            shipments=shipments[o.id],
            history=[],
            reservations=[],
            shortages=[],
            documents=[],
            notes=[],
            allowed_transitions=[],
        )
        for o in orders
    }


def order_language(session: Session, order: Order) -> str:
    """The language of the order's e-mails: the order's own (a shop order's, from its ``id_lang``), else
    the default of the mail settings (orders typed in), else Polish; a template missing in that language
    falls back to Polish (``load_template``)."""
    from rexbit_desktop.services.messages.automation import default_language

    return str((order.meta or {}).get("language") or default_language(session))


def _recipient(order: Order, detail: Any) -> str:
    email = (order.customer_email or "").strip()
    if not email:
        email = next((a.email for a in detail.addresses if a.email), "") or ""
    if not email or "@" not in email:
        raise ValidationError(
            f"Order {order.number} has no customer e-mail address.",
            hint="Add the e-mail to the customer's address, then send again.",
            code="mail_no_address",
            params={"number": order.number},
        )
    return email


def message_id_for(from_address: str) -> str:
    domain = from_address.rsplit("@", 1)[-1] or "rexbit.local"
    return f"<rexbit.{uuid.uuid4().hex}@{domain}>"


def prepare(
    session: Session,
    actor: Actor,
    order: Order,
    detail: OrderDetailDTO,
    template_code: str,
    trigger: str,
    *,
    account: str | None = None,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Render a template for an order: (the outbox row's values, what the caller is shown)."""
    cache: dict[Any, Any] = session.info.setdefault("rexbit.mail.compose", {})
    if ("account", account) not in cache:
        row, config = load_account(session, account)
        cache["account", account] = (row.id, config)
    account_id, cfg = cache["account", account]
    language = order_language(session, order)
    if ("template", template_code, language) not in cache:
        cache["template", template_code, language] = load_template(session, template_code, language)
    template: TemplateSource = cache["template", template_code, language]
    context = order_context(detail, load_settings(session), documents_url=cfg.get("documents_url") or "")
    rendered = render(template, context)
    if subject is not None or body_text is not None or body_html is not None:  # edited before sending
        rendered = RenderedMail(
            " ".join((subject if subject is not None else rendered.subject).split()),
            body_text if body_text is not None else rendered.body_text,
            body_html if body_html is not None else rendered.body_html,
        )
    if not rendered.subject.strip() or not rendered.body_text.strip():
        raise ValidationError("The message needs a subject and a body.", code="mail_empty_message")
    to = _recipient(order, detail)
    attachments = [
        {"kind": kind, "filename": f"{ATTACHMENT_NAMES[kind]}-{_safe(order.number)}.pdf"}
        for kind in template.attachments
    ]
    values = {
        "order_id": order.id,
        "account_id": account_id,
        "template_code": template.code,
        "trigger": trigger[:200],
        "idempotency_key": f"order:{order.id}:{template.code}:{trigger}"[:400],
        "message_id": message_id_for(cfg["from_address"]),
        "from_address": sender(cfg),
        "to_address": to,
        "reply_to": cfg.get("reply_to"),
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "attachments": attachments,
        "created_by": actor.login,
    }
    shown = {
        "order_number": order.number,
        "template_code": template.code,
        "to_address": to,
        "from_address": values["from_address"],
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "attachments": [a["filename"] for a in attachments],
    }
    return values, shown


def _safe(number: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in number)
