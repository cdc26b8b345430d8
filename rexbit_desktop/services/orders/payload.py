"""An order as the shop, the CLI's JSON or the order dialog describe it: parsed and checked before anything
is written (parse_order_payload)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.orders import (
    PaymentStatus,
)

ZERO = Decimal(0)


ADDRESS_TYPES = ("customer", "billing", "shipping", "pickup")

ADDRESS_FIELDS = ("name", "company", "street", "postcode", "city", "country", "email", "phone", "vat_id")


@dataclass(frozen=True)
class NewOrderItem:
    sku: str
    quantity: Decimal
    price_gross: Decimal
    vat_rate: Decimal
    name: str | None = None
    ean: str | None = None
    warehouse: str | None = None
    link_id: int | None = None
    """The integration's product link the line was matched by (shop imports)."""


@dataclass(frozen=True)
class NewOrder:
    items: list[NewOrderItem]
    source: str = "manual"
    currency: str = "PLN"
    delivery_method: str | None = None
    addresses: dict[str, dict[str, str | None]] = field(default_factory=dict)
    payment: dict[str, Any] | None = None
    shipping_gross: Decimal = ZERO
    warehouse: str | None = None
    external_order_id: str | None = None
    integration_id: int | None = None
    note: str | None = None
    created_at: datetime | None = None
    initial_status: str | None = None
    """None: the settings' initial status. A shop import gives the status the shop's state maps to."""
    metadata: dict[str, Any] | None = None


# The order's number fields by their key (the key goes with the error: the GUI names the field itself).
_FIELDS = {
    "vat_rate": "VAT rate",
    "quantity": "Quantity",
    "price_gross": "Price",
    "payment_amount": "Payment amount",
    "shipping_gross": "Shipping cost",
}


def _decimal(
    value: Any,
    field: str,
    *,
    item: int | None = None,
    sku: str = "",
    places: int = 4,
    allow_zero: bool = True,
) -> Decimal:
    what = _FIELDS[field] + (f" of item {item} ({sku})" if item else "")
    params: dict[str, object] = {"field": field, "item": item, "sku": sku, "value": str(value)}
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            f"{what} '{value}' is not a number.",
            hint='Write prices as decimal strings: "12.50".',
            code="order_number_invalid",
            params=params,
        ) from None
    if not number.is_finite() or number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(
            f"{what} must be {'zero or more' if allow_zero else 'more than zero'}, not '{value}'.",
            code="order_number_negative" if allow_zero else "order_number_not_positive",
            params=params,
        )
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            f"{what} '{value}' has more than {places} decimal places.",
            code="order_number_too_precise",
            params={**params, "places": places},
        )
    return number


def parse_order_payload(data: Mapping[str, Any]) -> NewOrder:
    """Validate the JSON shape of ``rexbit orders create --file`` (and of shop imports)."""
    if not isinstance(data, Mapping):
        raise ValidationError("An order must be a JSON object.", code="order_data_invalid")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ValidationError(
            'An order needs "items": a list with at least one line.', code="order_without_items"
        )
    items: list[NewOrderItem] = []
    for n, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, Mapping):
            raise ValidationError(f"Item {n} must be a JSON object.", code="order_data_invalid")
        sku = str(raw.get("sku") or "").strip()
        if not sku:
            raise ValidationError(f'Item {n} has no "sku".', code="item_without_sku", params={"item": n})
        if "price_gross" not in raw:
            raise ValidationError(
                f'Item {n} ({sku}) has no "price_gross".',
                code="item_without_price",
                params={"item": n, "sku": sku},
            )
        vat = _decimal(raw.get("vat_rate", "23"), "vat_rate", item=n, sku=sku, places=2)
        if vat > 100:
            raise ValidationError(
                f"VAT rate of item {n} ({sku}) is more than 100%.",
                code="vat_rate_over_100",
                params={"item": n, "sku": sku},
            )
        items.append(
            NewOrderItem(
                sku=sku,
                quantity=_decimal(
                    raw.get("quantity", 1), "quantity", item=n, sku=sku, places=3, allow_zero=False
                ),
                price_gross=_decimal(raw["price_gross"], "price_gross", item=n, sku=sku),
                vat_rate=vat,
                name=(str(raw["name"]) if raw.get("name") else None),
                ean=(str(raw["ean"]).strip() if raw.get("ean") else None),
                warehouse=(str(raw["warehouse"]).strip() if raw.get("warehouse") else None),
            )
        )
    addresses: dict[str, dict[str, str | None]] = {}
    raw_addresses = data.get("addresses") or {}
    if not isinstance(raw_addresses, Mapping):
        raise ValidationError(
            '"addresses" must be an object: {"customer": {...}, "shipping": {...}}.',
            code="order_data_invalid",
        )
    for kind, raw in raw_addresses.items():
        if kind not in ADDRESS_TYPES:
            raise ValidationError(
                f"Unknown address type '{kind}'.",
                hint="Use: " + ", ".join(ADDRESS_TYPES),
                code="order_data_invalid",
            )
        if not isinstance(raw, Mapping):
            raise ValidationError(f"Address '{kind}' must be a JSON object.", code="order_data_invalid")
        unknown = set(raw) - set(ADDRESS_FIELDS)
        if unknown:
            raise ValidationError(
                f"Unknown field '{sorted(unknown)[0]}' in address '{kind}'.",
                hint="Use: " + ", ".join(ADDRESS_FIELDS),
                code="order_data_invalid",
            )
        address = {k: (str(raw[k]).strip() if raw.get(k) not in (None, "") else None) for k in ADDRESS_FIELDS}
        if address["country"] and len(address["country"]) != 2:
            raise ValidationError(
                f"Country of address '{kind}' must be a 2-letter code such as PL.",
                code="country_invalid",
                params={"country": address["country"]},
            )
        if address["country"]:
            address["country"] = address["country"].upper()
        addresses[kind] = address
    payment = data.get("payment")
    if payment is not None:
        if not isinstance(payment, Mapping):
            raise ValidationError(
                '"payment" must be an object: {"provider", "status", "amount"}.', code="order_data_invalid"
            )
        status = str(payment.get("status") or "pending")
        if status not in {s.value for s in PaymentStatus}:
            raise ValidationError(
                f"Unknown payment status '{status}'.",
                hint="Use: " + ", ".join(s.value for s in PaymentStatus),
                code="order_data_invalid",
            )
        payment = {
            "provider": str(payment.get("provider") or "manual"),
            "status": status,
            "amount": _decimal(payment.get("amount", "0"), "payment_amount"),
        }
    currency = str(data.get("currency") or "PLN").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError(
            f"Currency '{currency}' is not a 3-letter code such as PLN.",
            code="currency_invalid",
            params={"currency": currency},
        )
    created_at = None
    if data.get("created_at"):
        try:
            created_at = datetime.fromisoformat(str(data["created_at"]))
        except ValueError:
            raise ValidationError(
                f"created_at '{data['created_at']}' is not an ISO date-time.", code="order_data_invalid"
            ) from None
    return NewOrder(
        items=items,
        source=str(data.get("source") or "manual")[:32],
        currency=currency,
        delivery_method=(str(data["delivery_method"]) if data.get("delivery_method") else None),
        addresses=addresses,
        payment=payment,
        shipping_gross=_decimal(data.get("shipping_gross", "0"), "shipping_gross"),
        warehouse=(str(data["warehouse"]).strip() if data.get("warehouse") else None),
        external_order_id=(str(data["external_order_id"]) if data.get("external_order_id") else None),
        integration_id=(int(data["integration_id"]) if data.get("integration_id") else None),
        note=(str(data["note"]) if data.get("note") else None),
        created_at=created_at,
    )
