"""The GUI's words for the errors of shipping: carrier accounts, shipments, labels, DPD protocols."""

from __future__ import annotations

from rexbit_desktop.ui.error_strings.common import Phrase
from rexbit_desktop.ui.i18n import register, t

register(
    {
        "A carrier account needs a code (the carrier code of the order settings).": (
            "Konto przewoźnika potrzebuje kodu (kodu przewoźnika z ustawień zamówień)."
        ),
        "Unknown carrier service „{service}”.": "Nieznana usługa przewoźnika „{service}”.",
        "Choose InPost, DPD or manual.": "Wybierz InPost, DPD albo ręczną.",
        "There is no carrier account {code}.": "Nie ma konta przewoźnika {code}.",
        "Ask an administrator to set up the carrier account.": "Poproś administratora o skonfigurowanie konta przewoźnika.",
        "The carrier account {code} is switched off.": "Konto przewoźnika {code} jest wyłączone.",
        "Type at least {min} characters of a locker code or a postcode.": (
            "Wpisz co najmniej {min} znaki kodu paczkomatu lub kodu pocztowego."
        ),
        "Order {number} has no shipping or customer address.": (
            "Zamówienie {number} nie ma adresu dostawy ani adresu klienta."
        ),
        "Shipment {shipment} has no carrier account.": "Przesyłka {shipment} nie ma konta przewoźnika.",
        "Shipment {shipment} is being created right now on another workstation or worker.": (
            "Przesyłka {shipment} jest właśnie tworzona na innym stanowisku lub przez proces w tle."
        ),
        "Wait a moment and look at the order again.": "Poczekaj chwilę i zajrzyj do zamówienia ponownie.",
        "The package number starts at 1.": "Numer paczki zaczyna się od 1.",
        "Order {number} is „{status}”: no shipment can be created.": (
            "Zamówienie {number} ma status „{status}”: nie można utworzyć przesyłki."
        ),
        "{carrier} has not confirmed shipment {shipment} yet.": (
            "{carrier} jeszcze nie potwierdził przesyłki {shipment}."
        ),
        "It is kept: create the shipment again later and it is picked up where it stopped.": (
            "Nic nie przepadło: utwórz przesyłkę ponownie później, a zostanie podjęta tam, gdzie stanęła."
        ),
        "Shipment {shipment} was cancelled.": "Przesyłka {shipment} została anulowana.",
        "Create the next package (number {next_package}).": "Utwórz kolejną paczkę (numer {next_package}).",
        "The carrier account of shipment {shipment} no longer exists.": (
            "Konto przewoźnika przesyłki {shipment} już nie istnieje."
        ),
        "A manual carrier creates no shipments.": "Przewoźnik ręczny nie tworzy przesyłek.",
        "Record the parcel with its tracking number in the order's Ship dialog.": (
            "Zapisz paczkę z numerem przesyłki w oknie wysyłki zamówienia."
        ),
        "Which carrier should take order {number}?": "Który przewoźnik ma zabrać zamówienie {number}?",
        "Choose the carrier account.": "Wybierz konto przewoźnika.",
        "None of the chosen orders has a label.": "Żadne z wybranych zamówień nie ma etykiety.",
        "Create their shipments first.": "Najpierw utwórz ich przesyłki.",
        "Shipment {shipment} has no label: it is {status}.": "Przesyłka {shipment} nie ma etykiety (stan: {status}).",
        "Order {number} has no carrier shipment.": "Zamówienie {number} nie ma przesyłki u przewoźnika.",
        "Create the shipment first.": "Najpierw utwórz przesyłkę.",
        "{code} is not a DPD account: only DPD has handover protocols.": (
            "{code} nie jest kontem DPD: protokoły przekazania ma tylko DPD."
        ),
        "No DPD parcels of {day} wait for a protocol.": "Żadne paczki DPD z dnia {day} nie czekają na protokół.",
        "The weight must be more than 0 and at most {max} kg.": "Waga musi być większa od 0 i wynosić najwyżej {max} kg.",
        "The cash on delivery amount cannot be negative.": "Kwota pobrania nie może być ujemna.",
        "The insurance amount cannot be negative.": "Kwota ubezpieczenia nie może być ujemna.",
        "A package has 1 to {max} parcels.": "Przesyłka ma od 1 do {max} paczek.",
        "Dimensions must be more than 0 mm.": "Wymiary muszą być większe od 0 mm.",
        "InPost size „{size}” is not one of A, B, C.": "Gabaryt InPost „{size}” nie jest jednym z A, B, C.",
        "A parcel locker shipment needs a size: A, B or C.": "Przesyłka do paczkomatu potrzebuje gabarytu: A, B lub C.",
        "Give a size (A, B, C) or all three dimensions.": "Podaj gabaryt (A, B, C) albo wszystkie trzy wymiary.",
        "InPost takes one parcel per shipment.": "InPost przyjmuje jedną paczkę na przesyłkę.",
    }
)

PHRASES: dict[str, Phrase] = {
    "parcel_weight_invalid": ("The weight must be more than 0 and at most {max} kg.", ""),
    "parcel_amount_negative": lambda p: (
        t(
            "The insurance amount cannot be negative."
            if p.get("amount") == "insurance"
            else "The cash on delivery amount cannot be negative."
        ),
        "",
    ),
    "parcel_count_invalid": ("A package has 1 to {max} parcels.", ""),
    "parcel_dimensions_invalid": ("Dimensions must be more than 0 mm.", ""),
    "inpost_size_unknown": ("InPost size „{size}” is not one of A, B, C.", ""),
    "locker_needs_size": ("A parcel locker shipment needs a size: A, B or C.", ""),
    "parcel_size_missing": ("Give a size (A, B, C) or all three dimensions.", ""),
    "inpost_one_parcel": ("InPost takes one parcel per shipment.", ""),
    "carrier_account_code_missing": (
        "A carrier account needs a code (the carrier code of the order settings).",
        "",
    ),
    "unknown_carrier_service": ("Unknown carrier service „{service}”.", "Choose InPost, DPD or manual."),
    "carrier_account_not_found": (
        "There is no carrier account {code}.",
        "Ask an administrator to set up the carrier account.",
    ),
    "carrier_account_off": ("The carrier account {code} is switched off.", ""),
    "point_search_too_short": ("Type at least {min} characters of a locker code or a postcode.", ""),
    "order_without_address": ("Order {number} has no shipping or customer address.", ""),
    "shipment_without_account": ("Shipment {shipment} has no carrier account.", ""),
    "shipment_in_progress": (
        "Shipment {shipment} is being created right now on another workstation or worker.",
        "Wait a moment and look at the order again.",
    ),
    "package_number_too_small": ("The package number starts at 1.", ""),
    "shipment_not_allowed": ("Order {number} is „{status}”: no shipment can be created.", ""),
    "carrier_not_confirmed": (
        "{carrier} has not confirmed shipment {shipment} yet.",
        "It is kept: create the shipment again later and it is picked up where it stopped.",
    ),
    "shipment_cancelled": (
        "Shipment {shipment} was cancelled.",
        "Create the next package (number {next_package}).",
    ),
    "shipment_account_gone": ("The carrier account of shipment {shipment} no longer exists.", ""),
    "manual_carrier": (
        "A manual carrier creates no shipments.",
        "Record the parcel with its tracking number in the order's Ship dialog.",
    ),
    "carrier_not_chosen": ("Which carrier should take order {number}?", "Choose the carrier account."),
    "no_labels": ("None of the chosen orders has a label.", "Create their shipments first."),
    "label_missing": ("Shipment {shipment} has no label: it is {status}.", ""),
    "no_shipment": ("Order {number} has no carrier shipment.", "Create the shipment first."),
    "not_dpd_account": ("{code} is not a DPD account: only DPD has handover protocols.", ""),
    "no_parcels_for_protocol": ("No DPD parcels of {day} wait for a protocol.", ""),
}
