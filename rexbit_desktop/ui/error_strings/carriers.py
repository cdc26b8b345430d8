"""The GUI's words for what the carriers' services (InPost, DPD) answered or failed to answer: the
shipment dialog, labels, tracking and protocols. ``what`` names the carrier call in the adapter's words;
it is said here in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase, tr
from rexbit_desktop.ui.i18n import language, register

register(
    {
        "The login details of the {carrier} account are empty.": "Dane logowania konta {carrier} są puste.",
        "Enter them in the carrier account's settings.": "Wpisz je w ustawieniach konta przewoźnika.",
        "{carrier} did not answer in time.": "{carrier} nie odpowiedział na czas.",
        "Try again in a moment.": "Spróbuj ponownie za chwilę.",
        "{carrier} cannot be reached ({reason}).": "Nie można połączyć się z {carrier} ({reason}).",
        "Check the internet connection and try again.": "Sprawdź połączenie z internetem i spróbuj ponownie.",
        "{carrier}'s service has a fault (answer {status}).": "Usługa {carrier} ma awarię (odpowiedź {status}).",
        "{carrier} refused the login ({reason}).": "{carrier} odrzucił logowanie ({reason}).",
        "Check the login details of the carrier account.": "Sprawdź dane logowania konta przewoźnika.",
        "{carrier} refused {what}: {reason}": "{carrier} odrzucił {what}: {reason}",
        "{carrier}'s answer about {what} could not be read: {reason}": (
            "Nie udało się odczytać odpowiedzi {carrier} ({what}): {reason}"
        ),
        "{carrier} gave no {what}: {reason}": "{carrier} nie zwrócił dokumentu ({what}): {reason}",
        "{carrier} sent {what} that is not a PDF.": "{carrier} przysłał dokument ({what}), który nie jest PDF-em.",
        "{carrier} could not give {what} (answer {status}).": "{carrier} nie podał: {what} (odpowiedź {status}).",
        "{carrier} cannot read shipment {shipment}: {reason}": "{carrier} nie może odczytać przesyłki {shipment}: {reason}",
        "{carrier} has no label for shipment {shipment} yet ({reason}).": (
            "{carrier} nie ma jeszcze etykiety przesyłki {shipment} ({reason})."
        ),
        "Print the label again in a minute.": "Wydrukuj etykietę ponownie za minutę.",
        "{carrier} did not cancel shipment {shipment}: {reason}": "{carrier} nie anulował przesyłki {shipment}: {reason}",
        "{carrier} does not offer {what}.": "{carrier} nie oferuje {what}.",
        # a carrier account's settings (the keys are those of the account's JSON configuration)
        "{service} account: „{key}” must be the name of an environment variable.": (
            "Konto {service}: „{key}” musi być nazwą zmiennej środowiskowej."
        ),
        "{service} account: give either „{key}” or its environment variable, not both.": (
            "Konto {service}: podaj „{key}” albo zmienną środowiskową, nie oba."
        ),
        "{service} account: „{key}” is required.": "Konto {service}: „{key}” jest wymagane.",
        "A carrier account's settings are not readable.": "Ustawień konta przewoźnika nie da się odczytać.",
        "{service} account: unknown setting „{key}”.": "Konto {service}: nieznane ustawienie „{key}”.",
        "{service} account: „{key}” is one of {allowed}.": "Konto {service}: „{key}” to jedno z: {allowed}.",
        "DPD account: the customer number (FID) is required and is a number.": (
            "Konto DPD: numer klienta (FID) jest wymagany i jest liczbą."
        ),
        "DPD account: the sender needs a name, street, postcode and city (the pickup address).": (
            "Konto DPD: nadawca musi mieć nazwę, ulicę, kod pocztowy i miejscowość (adres odbioru)."
        ),
        "The {carrier} account's secret is to be read from the environment variable {env}, which is not set.": (
            "Sekret konta {carrier} ma być odczytany ze zmiennej środowiskowej {env}, która nie jest ustawiona."
        ),
        "Set it for the desktop app and the workers, or ask an administrator.": (
            "Ustaw ją dla aplikacji i procesów kolejki albo poproś administratora."
        ),
        "A confirmed InPost shipment is cancelled in the InPost manager.": (
            "Potwierdzoną przesyłkę InPost anuluje się w Menedżerze Paczek InPost."
        ),
    }
)


# The carrier calls as the adapters name them, in Polish (kept here, not registered: "label" or
# "tracking" alone would clash with the views' own words).
_WHAT_PL = {
    "the package": "paczkę",
    "the labels": "etykiety",
    "the tracking": "śledzenie",
    "the protocol": "protokół",
    "label": "etykieta",
    "protocol": "protokół",
    "shipments": "lista przesyłek",
    "tracking": "śledzenie przesyłki",
    "points": "wyszukiwanie paczkomatów",
    "a handover protocol": "protokołu przekazania",
    "reading a package back": "odczytu paczki",
    "a pickup point search here": "wyszukiwania punktów odbioru w tym miejscu",
    "reading a shipment": "odczytu przesyłki",
    "labels": "etykiet",
    "A manual carrier": "Przewoźnik ręczny",
}


def _with_what(message: str, hint: str = "") -> Callable[[dict[str, Any]], tuple[str, str]]:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        what = str(p.get("what", ""))
        carrier = str(p.get("carrier", ""))
        if language() == "pl":
            what, carrier = _WHAT_PL.get(what, what), _WHAT_PL.get(carrier, carrier)
        named = {**p, "what": what, "carrier": carrier}
        return tr(message, named), tr(hint, named)

    return phrase


PHRASES: dict[str, Phrase] = {
    "carrier_credentials_empty": (
        "The login details of the {carrier} account are empty.",
        "Enter them in the carrier account's settings.",
    ),
    "carrier_timeout": ("{carrier} did not answer in time.", "Try again in a moment."),
    "carrier_unreachable": (
        "{carrier} cannot be reached ({reason}).",
        "Check the internet connection and try again.",
    ),
    "carrier_server_error": ("{carrier}'s service has a fault (answer {status}).", "Try again in a moment."),
    "carrier_login_refused": (
        "{carrier} refused the login ({reason}).",
        "Check the login details of the carrier account.",
    ),
    "carrier_call_refused": _with_what("{carrier} refused {what}: {reason}"),
    "carrier_answer_unreadable": _with_what("{carrier}'s answer about {what} could not be read: {reason}"),
    "carrier_no_document": _with_what("{carrier} gave no {what}: {reason}"),
    "carrier_document_not_pdf": _with_what("{carrier} sent {what} that is not a PDF."),
    "carrier_unsupported": _with_what("{carrier} does not offer {what}."),
    "carrier_config_env_name": (
        "{service} account: „{key}” must be the name of an environment variable.",
        "",
    ),
    "carrier_config_secret_twice": (
        "{service} account: give either „{key}” or its environment variable, not both.",
        "",
    ),
    "carrier_config_required": ("{service} account: „{key}” is required.", ""),
    "carrier_config_not_object": ("A carrier account's settings are not readable.", ""),
    "carrier_config_unknown_key": ("{service} account: unknown setting „{key}”.", ""),
    "carrier_config_choice": ("{service} account: „{key}” is one of {allowed}.", ""),
    "carrier_config_fid": ("DPD account: the customer number (FID) is required and is a number.", ""),
    "carrier_config_sender_incomplete": (
        "DPD account: the sender needs a name, street, postcode and city (the pickup address).",
        "",
    ),
    "carrier_secret_env_missing": (
        "The {carrier} account's secret is to be read from the environment variable {env}, which is not set.",
        "Set it for the desktop app and the workers, or ask an administrator.",
    ),
    "carrier_request_failed": _with_what("{carrier} could not give {what} (answer {status})."),
    "carrier_shipment_unreadable": ("{carrier} cannot read shipment {shipment}: {reason}", ""),
    "carrier_label_not_ready": (
        "{carrier} has no label for shipment {shipment} yet ({reason}).",
        "Print the label again in a minute.",
    ),
    "carrier_cancel_refused": (
        "{carrier} did not cancel shipment {shipment}: {reason}",
        "A confirmed InPost shipment is cancelled in the InPost manager.",
    ),
}
