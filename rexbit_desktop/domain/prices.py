"""A sale price as a person types it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rexbit_desktop.domain.errors import ValidationError

MAX_PRICE = Decimal("9999999999.99")  # Numeric(14, 4) holds it


def parse_sale_price(value: str | Decimal | None) -> Decimal | None:
    """A gross price as typed ("12,50", "1 234.5", "12"): non-negative, at most two decimals. Blank is
    no price (the order form then takes the last sold price)."""
    if value is None:
        return None
    typed = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not typed:
        return None
    try:
        price = Decimal(typed)
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite():
        raise ValidationError(
            f"'{value}' is not a price.", code="price_not_a_number", params={"value": str(value)}
        )
    if price < 0:
        raise ValidationError(
            f"The price {value} is negative.", code="price_negative", params={"value": str(value)}
        )
    if price != price.quantize(Decimal("0.01")):
        raise ValidationError(
            f"The price {value} has more than two decimals.",
            code="price_too_precise",
            params={"value": str(value)},
        )
    if price > MAX_PRICE:
        raise ValidationError(
            f"The price {value} is too large.", code="price_too_large", params={"value": str(value)}
        )
    return price.quantize(Decimal("0.01"))
