"""A shop order → our new order, without a database: lines matched to our products (by shop link, SKU,
then EAN), VAT rates, the discount line, addresses, payment, the shop's state mapped to ours, and the
problems worth reporting. tests/unit/test_shop_order_mapping.py checks it on plain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rexbit_desktop.adapters.prestashop.orders import ShopAddress, ShopOrder, ShopOrderLine
from rexbit_desktop.domain.shop_order_states import (
    ShopStateMapping,
)
from rexbit_desktop.services.orders.payload import NewOrder, NewOrderItem
from rexbit_desktop.services.shop.connection import ShopIntegration

SOURCE = "prestashop"

MAX_ERROR_DETAILS = 50

_CENT = Decimal("0.01")

_MONEY = Decimal("0.0001")


@dataclass
class RunTally:
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
class ShopContext:
    """What a run knows about the shop besides its orders."""

    integration: ShopIntegration
    mapping: ShopStateMapping
    state_names: dict[int, str]
    zone: ZoneInfo
    now: datetime  # the shop's clock

    def state_label(self, state_id: int) -> str:
        name = self.state_names.get(state_id)
        return f"{state_id} ({name})" if name else str(state_id)


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
class CatalogProduct:
    id: int
    sku: str
    link_id: int | None = None


@dataclass
class Catalog:
    """Our products for a page's lines: by shop link, by SKU (case-insensitive) and by EAN."""

    by_link: dict[str, CatalogProduct] = field(default_factory=dict)
    by_sku: dict[str, CatalogProduct] = field(default_factory=dict)
    by_ean: dict[str, CatalogProduct] = field(default_factory=dict)

    def find(self, line: ShopOrderLine) -> CatalogProduct | None:
        return (
            self.by_link.get(line.external_id)
            or (self.by_sku.get(line.reference.strip().upper()) if line.reference else None)
            or (self.by_ean.get(line.ean13) if line.ean13 else None)
        )


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


def map_shop_order(o: ShopOrder, shop: ShopContext, catalog: Catalog, run: RunTally) -> NewOrder | None:
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
        # The customer's language picks the language of the e-mails to them (services/messages).
        metadata={SOURCE: meta, **({"language": o.language} if o.language else {})},
    )
