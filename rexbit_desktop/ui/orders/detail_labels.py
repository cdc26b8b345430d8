"""Words the order detail shows for codes (document types and statuses, reservation statuses, address
types), an address as text, and the order window's strings in Polish."""

from __future__ import annotations

from rexbit_desktop.services.orders.dto import AddressDTO
from rexbit_desktop.ui.i18n import register, t

register({"Document posted": "zatwierdzony", "Document draft": "szkic"})
# The order window's words (detail.py, detail_actions.py, detail_tabs.py).
register(
    {
        "Order {number}": "Zamówienie {number}",
        "Items": "Pozycje",
        "Gross total": "Wartość brutto",
        "Payment": "Płatność",
        "Fulfilment": "Realizacja",
        "Warehouse": "Magazyn",
        "Status": "Status",
        "Reserved": "Zarezerwowane",
        "Addresses": "Adresy",
        "WZ documents": "Dokumenty WZ",
        "Status history": "Historia statusów",
        "Automated": "Automat",
        "stopped, a loop of rules": "zatrzymany, pętla reguł",
        "Set status": "Ustaw status",
        "Send e-mail template": "Wyślij szablon e-mail",
        "Print documents": "Drukuj dokumenty",
        "Call webhook": "Wywołaj webhook",
        "Set tag": "Ustaw znacznik",
        "Assign warehouse": "Przypisz magazyn",
        "Reservations": "Rezerwacje",
        "Notes": "Notatki",
        "Name": "Nazwa",
        "SKU": "SKU",
        "Quantity": "Ilość",
        "Unit price": "Cena jedn.",
        "VAT": "VAT",
        "Gross": "Brutto",
        "Missing": "Brakuje",
        "Issued": "Wydano",
        "Net total": "Wartość netto",
        "Amount paid": "Zapłacono",
        "Shipping": "Wysyłka",
        "Delivery": "Dostawa",
        "Source": "Źródło",
        "Created": "Utworzono",
        "Provider": "Operator płatności",
        "Amount": "Kwota",
        "Paid at": "Zapłacono dnia",
        "No address": "Brak adresu",
        "Document": "Dokument",
        "Type": "Typ",
        "When": "Kiedy",
        "From": "Od",
        "To": "Do",
        "By": "Kto",
        "Expires": "Wygasa",
        "Released": "Zwolniono",
        "Add note": "Dodaj notatkę",
        "Write a note…": "Wpisz notatkę…",
        "Change status to…": "Zmień status na…",
        "Change status": "Zmień status",
        "Reserve stock": "Rezerwuj towar",
        "Issue WZ": "Wystaw WZ",
        "Cancel order": "Anuluj zamówienie",
        "Ship…": "Wyślij…",
        "Print order confirmation": "Drukuj potwierdzenie zamówienia",
        "Order {number} is reserved only in part ({short}). Start picking anyway?": (
            "Zamówienie {number} jest zarezerwowane tylko częściowo ({short}). Rozpocząć kompletowanie mimo to?"
        ),
        "Scan every item first (Pick check). Not scanned yet: {missing}.": (
            "Najpierw zeskanuj wszystkie pozycje (Kompletacja). Niezeskanowane: {missing}."
        ),
        "Confirm order {number} as packed although {missing} was not scanned?": (
            "Zatwierdzić zamówienie {number} jako spakowane, choć nie zeskanowano: {missing}?"
        ),
        "Ctrl+→ next status · Ctrl+P print WZ · Ctrl+S ship · Alt+↓/↑ next/previous order": (
            "Ctrl+→ następny status · Ctrl+P drukuj WZ · Ctrl+S wyślij · Alt+↓/↑ następne/poprzednie zamówienie"
        ),
        "Print packing list": "Drukuj listę kompletacyjną",
        "Open PDF": "Otwórz PDF",
        "Cancel order {number}? Reservations are released and issued goods go back with a storno.": (
            "Anulować zamówienie {number}? Rezerwacje zostaną zwolnione, a wydany towar wróci dokumentem storna."
        ),
        "Ship order {number}": "Wysyłka zamówienia {number}",
        "Carrier": "Przewoźnik",
        "Tracking number": "Numer przesyłki",
        "Only a manager may cancel orders.": "Tylko kierownik może anulować zamówienia.",
        "The WZ is issued when the order enters '{status}'.": "WZ jest wystawiane przy przejściu do „{status}”.",
        "No further status change is possible.": "Dalsza zmiana statusu nie jest możliwa.",
        "Reserved {n} item(s); missing {m}.": "Zarezerwowano pozycji: {n}; brakuje: {m}.",
        "Reservation": "Rezerwacja",
        "Status changed": "Status zmieniony",
        "Order {number}: {status}.": "Zamówienie {number}: {status}.",
        "Documents issued: {docs}.": "Wystawione dokumenty: {docs}.",
        "Tracking": "Śledzenie",
        "WZ (goods issue)": "WZ (wydanie zewnętrzne)",
        "Storno (goods back)": "Storno (zwrot na magazyn)",
        "Reservation document": "Dokument rezerwacji",
        "Packing list": "Lista kompletacyjna",
        "Reservation open": "otwarta",
        "Reservation released": "zwolniona",
        "Reservation partly released": "częściowo zwolniona",
        "Document active": "aktywny",
        "Document cancelled": "anulowany",
        "Status comment": "Komentarz",
        "Order created": "Utworzono zamówienie",
        "Customer address": "Adres klienta",
        "Billing address": "Adres do faktury",
        "Shipping address": "Adres wysyłki",
        "Pickup point": "Punkt odbioru",
        "Shop order": "Zamówienie w sklepie",
        "#{id} (ref.\u00a0{reference})": "#{id} (ref.\u00a0{reference})",
    }
)


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
