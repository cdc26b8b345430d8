"""The GUI's words for the errors of orders: finding, changing, shipping, printing, exporting."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase, status_label, tr
from rexbit_desktop.ui.i18n import register, t

register(
    {
        "Enter the tracking number.": "Wpisz numer przesyłki.",
        "The carrier {carrier} needs a tracking number for every parcel.": (
            "Przewoźnik {carrier} wymaga numeru przesyłki dla każdej paczki."
        ),
        "Choose the carrier.": "Wybierz przewoźnika.",
        "Shipping records the carrier, and the tracking number when the carrier needs one.": (
            "Wysyłka zapisuje przewoźnika oraz numer przesyłki, jeśli przewoźnik go wymaga."
        ),
        "There is no order {number}.": "Nie ma zamówienia {number}.",
        "Check the number, or clear the filters of the list.": "Sprawdź numer albo wyczyść filtry listy.",
        "An order in status „{from_}” cannot go to „{to}”.": (
            "Zamówienie w statusie „{from_}” nie może przejść do „{to}”."
        ),
        "Allowed from here: {allowed}.": "Dozwolone stąd: {allowed}.",
        "„{from_}” is final: no further status change is possible.": (
            "„{from_}” to status końcowy: dalsza zmiana nie jest możliwa."
        ),
        "Order {number} has no reservation yet.": "Zamówienie {number} nie ma jeszcze rezerwacji.",
        "Reserve the stock first (Reserve stock).": "Najpierw zarezerwuj towar (Rezerwuj towar).",
        "Order {number} has no WZ yet.": "Zamówienie {number} nie ma jeszcze WZ.",
        "The WZ is issued when the order enters „{status}”.": "WZ jest wystawiane przy przejściu do „{status}”.",
        "Order {number} is „{status}”: there is nothing to reserve.": (
            "Zamówienie {number} ma status „{status}”: nie ma czego rezerwować."
        ),
        "Order {number} is „{status}”: no WZ can be issued.": (
            "Zamówienie {number} ma status „{status}”: nie można wystawić WZ."
        ),
        "Order {external_id} from {source} was already taken in as {existing}.": (
            "Zamówienie {external_id} ze źródła {source} zostało już przyjęte jako {existing}."
        ),
        "Open order {existing} from the list.": "Otwórz zamówienie {existing} z listy.",
        "At most {max} orders at once.": "Najwyżej {max} zamówień naraz.",
        "Select fewer orders and repeat for the rest.": "Zaznacz mniej zamówień i powtórz dla pozostałych.",
        "The printing was cancelled.": "Drukowanie przerwano.",
        "Cannot write {path}.": "Nie można zapisać pliku {path}.",
        "Check that the folder exists and that you may write to it.": (
            "Sprawdź, czy folder istnieje i czy masz prawo w nim zapisywać."
        ),
        "Unknown document type „{kind}”.": "Nieznany rodzaj dokumentu „{kind}”.",
        "Known types: {kinds}.": "Znane rodzaje: {kinds}.",
        "There is no warehouse document {number}.": "Nie ma dokumentu magazynowego {number}.",
        "The search text is too long (at most {max} characters).": (
            "Szukany tekst jest za długi (najwyżej {max} znaków)."
        ),
        "The date range is empty: the start date is after the end date.": (
            "Zakres dat jest pusty: data początkowa jest późniejsza niż końcowa."
        ),
        "The export needs {count} column titles.": "Eksport potrzebuje {count} nagłówków kolumn.",
        "The export was cancelled; the file is incomplete.": "Eksport przerwano; plik nie został zapisany.",
        "The number of rows must be at least {min}.": "Liczba wierszy musi wynosić co najmniej {min}.",
        "The number of days must be at least {min}.": "Liczba dni musi wynosić co najmniej {min}.",
        "The number of rows and of hours must be at least 1.": (
            "Liczba wierszy i liczba godzin muszą wynosić co najmniej 1."
        ),
        "The maximum must be 0 or more.": "Maksimum musi wynosić 0 lub więcej.",
        "The number of hours must be 0 or more.": "Liczba godzin musi wynosić 0 lub więcej.",
        "The offset must not be negative.": "Przesunięcie nie może być ujemne.",
        "A note cannot be empty.": "Notatka nie może być pusta.",
        "Name the setting to change.": "Wskaż ustawienie do zmiany.",
        "VAT rate": "Stawka VAT",
        "Quantity": "Ilość",
        "Price": "Cena",
        "Payment amount": "Kwota płatności",
        "Shipping cost": "Koszt wysyłki",
        "{field} of item {item} ({sku})": "{field} pozycji {item} ({sku})",
        "{field}: „{value}” is not a number.": "{field}: „{value}” nie jest liczbą.",
        "{field} must be zero or more, not „{value}”.": "{field} musi wynosić zero lub więcej, a nie „{value}”.",
        "{field} must be more than zero, not „{value}”.": "{field} musi być większa od zera, a nie „{value}”.",
        "{field}: „{value}” has more than {places} decimal places.": (
            "{field}: „{value}” ma więcej niż {places} miejsc po przecinku."
        ),
        "The order data is not valid.": "Dane zamówienia są nieprawidłowe.",
        "Unknown placeholder {{{placeholder}}} in the numbering pattern {pattern}.": (
            "Nieznany znacznik {{{placeholder}}} we wzorze numeracji {pattern}."
        ),
        "Use {{yyyy}}, {{yy}}, {{mm}}, {{dd}} and {{n}} or {{nnnn}} (zero-padded to 4 digits).": (
            "Użyj {{yyyy}}, {{yy}}, {{mm}}, {{dd}} oraz {{n}} lub {{nnnn}} (uzupełniane zerami do 4 cyfr)."
        ),
        "The numbering pattern {pattern} must contain the sequence exactly once.": (
            "Wzór numeracji {pattern} musi zawierać numer kolejny dokładnie raz."
        ),
        "Add {{n}} or {{nnnn}}, e.g. WZ/{{yyyy}}/{{mm}}/{{nnnn}}.": "Dodaj {{n}} lub {{nnnn}}, np. WZ/{{yyyy}}/{{mm}}/{{nnnn}}.",
        "A yearly reset needs the year in the pattern {pattern}, else numbers repeat.": (
            "Zerowanie co rok wymaga roku we wzorze {pattern}, inaczej numery się powtórzą."
        ),
        "Add {{yyyy}} or {{yy}}.": "Dodaj {{yyyy}} lub {{yy}}.",
        "A monthly reset needs the year and the month in the pattern {pattern}, else numbers repeat.": (
            "Zerowanie co miesiąc wymaga roku i miesiąca we wzorze {pattern}, inaczej numery się powtórzą."
        ),
        "Add {{yyyy}} and {{mm}}.": "Dodaj {{yyyy}} i {{mm}}.",
        "Number padding must be between 0 and {max} digits.": "Dopełnienie numeru musi mieć od 0 do {max} cyfr.",
        "Unknown numbering reset „{reset}”.": "Nieznany sposób zerowania numeracji „{reset}”.",
        "Unknown WZ automation „{value}”.": "Nieznana automatyzacja WZ „{value}”.",
        "Reservation expiry must be 0 (never) or a number of hours.": (
            "Wygaśnięcie rezerwacji to 0 (nigdy) albo liczba godzin."
        ),
        "Carrier codes must be unique and not empty.": "Kody przewoźników muszą być niepuste i niepowtarzalne.",
        "The colour of status „{status}” must look like #1e88e5, not „{colour}”.": (
            "Kolor statusu „{status}” musi mieć postać #1e88e5, a nie „{colour}”."
        ),
        "Unknown order status „{status}”.": "Nieznany status zamówienia „{status}”.",
        "Send the details to the administrator.": "Przekaż szczegóły administratorowi.",
        "An order needs at least one item.": "Zamówienie potrzebuje co najmniej jednej pozycji.",
        "Currency „{currency}” is not a 3-letter code such as PLN.": (
            "Waluta „{currency}” nie jest trzyliterowym kodem, takim jak PLN."
        ),
        "Item {item} has no SKU.": "Pozycja {item} nie ma SKU.",
        "Item {item} ({sku}) has no price.": "Pozycja {item} ({sku}) nie ma ceny.",
        "The VAT rate of item {item} ({sku}) is more than 100%.": (
            "Stawka VAT pozycji {item} ({sku}) przekracza 100%."
        ),
        "Country „{country}” is not a 2-letter code such as PL.": (
            "Kraj „{country}” nie jest dwuliterowym kodem, takim jak PL."
        ),
    }
)


def _transition_refused(p: dict[str, Any]) -> tuple[str, str]:
    from_, to = status_label(str(p.get("from", ""))), status_label(str(p.get("to", "")))
    allowed = [status_label(a) for a in p.get("allowed", [])]
    hint = (
        t("Allowed from here: {allowed}.", allowed=", ".join(allowed))
        if allowed
        else t("„{from_}” is final: no further status change is possible.", from_=from_)
    )
    return t("An order in status „{from_}” cannot go to „{to}”.", from_=from_, to=to), hint


def _with_status(template: str) -> Phrase:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        return tr(template, {**p, "status": status_label(str(p.get("status", "")))}), ""

    return phrase


def _tracking_required(p: dict[str, Any]) -> tuple[str, str]:
    hint = "The carrier {carrier} needs a tracking number for every parcel." if p.get("carrier") else ""
    return t("Enter the tracking number."), tr(hint, p)


def _no_wz(p: dict[str, Any]) -> tuple[str, str]:
    return (
        tr("Order {number} has no WZ yet.", p),
        tr(
            "The WZ is issued when the order enters „{status}”.",
            {"status": status_label(str(p.get("status", "")))},
        ),
    )


_NUMBER_FIELDS = {
    "vat_rate": "VAT rate",
    "quantity": "Quantity",
    "price_gross": "Price",
    "payment_amount": "Payment amount",
    "shipping_gross": "Shipping cost",
}


def _order_number(template: str) -> Phrase:
    """A number field of a new order (price, quantity …) refused: the field named in the language."""

    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        field = t(_NUMBER_FIELDS.get(str(p.get("field")), str(p.get("field", ""))))
        if p.get("item"):
            field = t("{field} of item {item} ({sku})", field=field, item=p["item"], sku=p.get("sku", ""))
        return tr(template, {**p, "field": field}), ""

    return phrase


PHRASES: dict[str, Phrase] = {
    "order_number_invalid": _order_number("{field}: „{value}” is not a number."),
    "order_number_negative": _order_number("{field} must be zero or more, not „{value}”."),
    "order_number_not_positive": _order_number("{field} must be more than zero, not „{value}”."),
    "order_number_too_precise": _order_number("{field}: „{value}” has more than {places} decimal places."),
    "numbering_placeholder_unknown": (
        "Unknown placeholder {{{placeholder}}} in the numbering pattern {pattern}.",
        "Use {{yyyy}}, {{yy}}, {{mm}}, {{dd}} and {{n}} or {{nnnn}} (zero-padded to 4 digits).",
    ),
    "numbering_sequence_missing": (
        "The numbering pattern {pattern} must contain the sequence exactly once.",
        "Add {{n}} or {{nnnn}}, e.g. WZ/{{yyyy}}/{{mm}}/{{nnnn}}.",
    ),
    "numbering_year_missing": (
        "A yearly reset needs the year in the pattern {pattern}, else numbers repeat.",
        "Add {{yyyy}} or {{yy}}.",
    ),
    "numbering_month_missing": (
        "A monthly reset needs the year and the month in the pattern {pattern}, else numbers repeat.",
        "Add {{yyyy}} and {{mm}}.",
    ),
    "numbering_padding": ("Number padding must be between 0 and {max} digits.", ""),
    "numbering_reset_unknown": ("Unknown numbering reset „{reset}”.", ""),
    "wz_automation_unknown": ("Unknown WZ automation „{value}”.", ""),
    "reservation_expiry_invalid": ("Reservation expiry must be 0 (never) or a number of hours.", ""),
    "carrier_codes_invalid": ("Carrier codes must be unique and not empty.", ""),
    "status_colour_invalid": lambda p: (
        tr(
            "The colour of status „{status}” must look like #1e88e5, not „{colour}”.",
            {**p, "status": status_label(str(p.get("status", "")))},
        ),
        "",
    ),
    "status_unknown": ("Unknown order status „{status}”.", ""),
    "order_data_invalid": ("The order data is not valid.", "Send the details to the administrator."),
    "order_without_items": ("An order needs at least one item.", ""),
    "currency_invalid": ("Currency „{currency}” is not a 3-letter code such as PLN.", ""),
    "item_without_sku": ("Item {item} has no SKU.", ""),
    "item_without_price": ("Item {item} ({sku}) has no price.", ""),
    "vat_rate_over_100": ("The VAT rate of item {item} ({sku}) is more than 100%.", ""),
    "country_invalid": ("Country „{country}” is not a 2-letter code such as PL.", ""),
    "tracking_required": _tracking_required,
    "carrier_required": (
        "Choose the carrier.",
        "Shipping records the carrier, and the tracking number when the carrier needs one.",
    ),
    "order_not_found": ("There is no order {number}.", "Check the number, or clear the filters of the list."),
    "transition_refused": _transition_refused,
    "no_reservation": ("Order {number} has no reservation yet.", "Reserve the stock first (Reserve stock)."),
    "no_wz": _no_wz,
    "nothing_to_reserve": _with_status("Order {number} is „{status}”: there is nothing to reserve."),
    "wz_not_allowed": _with_status("Order {number} is „{status}”: no WZ can be issued."),
    "order_already_imported": (
        "Order {external_id} from {source} was already taken in as {existing}.",
        "Open order {existing} from the list.",
    ),
    "batch_too_big": ("At most {max} orders at once.", "Select fewer orders and repeat for the rest."),
    "cancelled": ("The printing was cancelled.", ""),
    "cannot_write": ("Cannot write {path}.", "Check that the folder exists and that you may write to it."),
    "unknown_document_kind": ("Unknown document type „{kind}”.", "Known types: {kinds}."),
    "document_not_found": ("There is no warehouse document {number}.", ""),
    "search_too_long": ("The search text is too long (at most {max} characters).", ""),
    "date_range_empty": ("The date range is empty: the start date is after the end date.", ""),
    "export_titles": ("The export needs {count} column titles.", ""),
    "export_cancelled": ("The export was cancelled; the file is incomplete.", ""),
    "limit_too_small": lambda p: (
        tr(
            "The number of days must be at least {min}."
            if p.get("option") == "days"
            else "The number of rows must be at least {min}.",
            p,
        ),
        "",
    ),
    "limit_and_hours_too_small": ("The number of rows and of hours must be at least 1.", ""),
    "value_negative": lambda p: (
        tr(
            "The maximum must be 0 or more."
            if p.get("option") == "max"
            else "The number of hours must be 0 or more.",
            p,
        ),
        "",
    ),
    "offset_negative": ("The offset must not be negative.", ""),
    "note_empty": ("A note cannot be empty.", ""),
    "setting_name_missing": ("Name the setting to change.", ""),
}
