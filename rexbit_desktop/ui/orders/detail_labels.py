"""Words the order detail shows for codes (document types and statuses, reservation statuses, address
types) and an address as text."""

from __future__ import annotations

from rexbit_desktop.services.orders.dto import AddressDTO
from rexbit_desktop.ui.i18n import register, t

register({"Document posted": "zatwierdzony", "Document draft": "szkic"})

DOCUMENT_TYPES = {
    "issue_wz": "WZ (goods issue)",
    "storno": "Storno (goods back)",
    "reservation": "Reservation document",
    "packing_list": "Packing list",
}

DOCUMENT_STATUSES = {
    "active": "Document active",
    "posted": "Document posted",
    "draft": "Document draft",
    "cancelled": "Document cancelled",
}

RESERVATION_STATUSES = {
    "open": "Reservation open",
    "released": "Reservation released",
    "partially_released": "Reservation partly released",
}

ADDRESS_TYPES = {
    "customer": "Customer address",
    "billing": "Billing address",
    "shipping": "Shipping address",
    "pickup": "Pickup point",
}


def _word(words: dict[str, str], code: str) -> str:
    return t(words[code]) if code in words else code


def _address_text(a: AddressDTO) -> str:
    lines = [
        a.company or "",
        a.name or "",
        a.street or "",
        f"{a.postcode or ''} {a.city or ''}".strip()
        + (f" ({a.country})" if a.country and a.country != "PL" else ""),
        f"NIP: {a.vat_id}" if a.vat_id else "",
        a.phone or "",
        a.email or "",
    ]
    return "\n".join(line for line in lines if line)
