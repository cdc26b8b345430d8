"""Words for the codes of orders (payment, fulfilment): the English text goes through ``t()``."""

from __future__ import annotations

from rexbit_desktop.ui.i18n import register, t

PAYMENT_LABELS = {
    "pending": "Unpaid",
    "partially_paid": "Partially paid",
    "paid": "Paid",
    "refunded": "Refunded",
}
FULFILLMENT_LABELS = {
    "unassigned": "Not reserved",
    "reserved": "Reserved",
    "picking": "Picking",
    "packed": "Packed",
    "shipped": "Shipped",
}

SOURCE_LABELS = {
    "manual": "Typed in by hand",
    "phone": "Phone",
    "email": "E-mail",
    "prestashop": "PrestaShop",
    "shop": "Shop",
    "import": "Import",
    "marketplace": "Marketplace",
    "api": "API",
}

register(
    {
        "Typed in by hand": "Wprowadzone ręcznie",
        "Phone": "Telefon",
        "E-mail": "E-mail",
        "PrestaShop": "PrestaShop",
        "Shop": "Sklep",
        "Import": "Import",
        "Marketplace": "Marketplace",
        "API": "API",
        "Partly reserved": "Częściowo zarezerwowane",
        "Partly reserved ({short})": "Częściowo zarezerwowane ({short})",
        "Partly ({short})": "Częściowo ({short})",
        "Unpaid": "Nieopłacone",
        "Partially paid": "Częściowo opłacone",
        "Paid": "Opłacone",
        "Refunded": "Zwrócono płatność",
        "Not reserved": "Niezarezerwowane",
        "Reserved": "Zarezerwowane",
        "Picking": "Kompletowanie",
        "Packed": "Spakowane",
        "Shipped": "Wysłane",
    }
)


def payment_label(code: str) -> str:
    return t(PAYMENT_LABELS[code]) if code in PAYMENT_LABELS else code


def fulfillment_label(code: str) -> str:
    return t(FULFILLMENT_LABELS[code]) if code in FULFILLMENT_LABELS else code


def source_label(code: str) -> str:
    return t(SOURCE_LABELS[code]) if code in SOURCE_LABELS else code


def order_fulfillment_label(
    code: str, reserved: object = 0, missing: object = 0, *, short_form: bool = False
) -> str:
    """The fulfilment word; an order that is reserved only in part says so, with what it lacks.
    ``short_form`` is the list's cell ("Częściowo (brakuje 2 szt.)"); its tooltip has the full text."""
    from decimal import Decimal

    from rexbit_desktop.ui.i18n import format_quantity, tn

    if code == "unassigned" and Decimal(str(reserved or 0)) > 0:
        short = Decimal(str(missing or 0))
        if short > 0:
            n = int(short) if short == short.to_integral_value() else None
            text = tn("{n} unit short", n) if n is not None else format_quantity(short)
            return t("Partly ({short})" if short_form else "Partly reserved ({short})", short=text)
        return t("Partly reserved")
    return fulfillment_label(code)
