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

register(
    {
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
