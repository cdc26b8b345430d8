"""Errors phrased by the GUI: the services' errors carry a ``code`` and ``params``; here they become text
in the user's language. The services' own ``message``/``hint`` are written for ``rexbit`` on the command
line (``--tracking=…``, ``rexbit stock receive``): they are shown only when no phrase exists here, and
never with a command-line hint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rexbit_desktop.domain.errors import PermissionDenied, RexbitError
from rexbit_desktop.domain.orders import DEFAULT_LABELS, OrderStatus
from rexbit_desktop.ui.i18n import format_quantity, language, register, t

register(
    {
        "Enter the tracking number.": "Wpisz numer przesyłki.",
        "The carrier {carrier} needs a tracking number for every parcel.": (
            "Przewoźnik {carrier} wymaga numeru przesyłki dla każdej paczki."
        ),
        "Choose the carrier.": "Wybierz przewoźnika.",
        "Cannot issue the WZ for order {order}: not enough stock.": (
            "Nie można wystawić WZ dla zamówienia {order}: za mało towaru."
        ),
        "{sku}: {qty} missing in {warehouse}": "{sku}: brakuje {qty} w {warehouse}",
        "Receive the goods (Products → Receive stock (PZ)…) or reserve them first.": (
            "Przyjmij towar (Produkty → Przyjęcie (PZ)…) albo najpierw go zarezerwuj."
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
        "You are not allowed to do this.": "Nie masz uprawnień do tej czynności.",
        "Ask a manager or an administrator.": "Poproś kierownika lub administratora.",
        "Order {number} has no reservation yet.": "Zamówienie {number} nie ma jeszcze rezerwacji.",
        "Reserve the stock first (Reserve stock).": "Najpierw zarezerwuj towar (Rezerwuj towar).",
        "Order {number} has no WZ yet.": "Zamówienie {number} nie ma jeszcze WZ.",
        "The WZ is issued when the order enters „{status}”.": "WZ jest wystawiane przy przejściu do „{status}”.",
    }
)


def status_label(code: str) -> str:
    """The default label of a status code (the settings may rename it; errors use the defaults)."""
    try:
        pl, en, _colour = DEFAULT_LABELS[OrderStatus(code)]
    except (ValueError, KeyError):
        return code
    return pl if language() == "pl" else en


def _not_enough_stock(p: dict[str, Any]) -> tuple[str, str]:
    lines = [
        t(
            "{sku}: {qty} missing in {warehouse}",
            sku=i["sku"],
            qty=format_quantity(i["qty"]),
            warehouse=i["warehouse"],
        )
        for i in p.get("items", [])
    ]
    message = t("Cannot issue the WZ for order {order}: not enough stock.", order=p.get("order", ""))
    if lines:
        message += "\n" + "\n".join(lines)
    return message, t("Receive the goods (Products → Receive stock (PZ)…) or reserve them first.")


def _transition_refused(p: dict[str, Any]) -> tuple[str, str]:
    from_, to = status_label(str(p.get("from", ""))), status_label(str(p.get("to", "")))
    allowed = [status_label(a) for a in p.get("allowed", [])]
    hint = (
        t("Allowed from here: {allowed}.", allowed=", ".join(allowed))
        if allowed
        else t("„{from_}” is final: no further status change is possible.", from_=from_)
    )
    return t("An order in status „{from_}” cannot go to „{to}”.", from_=from_, to=to), hint


PHRASES: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "tracking_required": lambda p: (
        t("Enter the tracking number."),
        t("The carrier {carrier} needs a tracking number for every parcel.", carrier=p["carrier"])
        if p.get("carrier")
        else "",
    ),
    "carrier_required": lambda p: (t("Choose the carrier."), ""),
    "wz_not_enough_stock": _not_enough_stock,
    "order_not_found": lambda p: (
        t("There is no order {number}.", number=p.get("number", "")),
        t("Check the number, or clear the filters of the list."),
    ),
    "transition_refused": _transition_refused,
    "no_reservation": lambda p: (
        t("Order {number} has no reservation yet.", number=p.get("number", "")),
        t("Reserve the stock first (Reserve stock)."),
    ),
    "no_wz": lambda p: (
        t("Order {number} has no WZ yet.", number=p.get("number", "")),
        t(
            "The WZ is issued when the order enters „{status}”.",
            status=status_label(str(p.get("status", ""))),
        ),
    ),
}

# A command-line fragment: "(--tracking=...)", "(rexbit stock receive)", "rexbit orders list".
_CLI = re.compile(r"\s*\([^()]*(?:--|rexbit )[^()]*\)|\s*(?:--[a-z][\w-]*(?:=\S*)?|rexbit \w[\w -]*)")


def without_cli(text: str) -> str:
    """The text without command-line fragments (flags, ``rexbit …`` commands)."""
    return _CLI.sub("", text).strip()


def looks_like_cli(text: str) -> bool:
    return bool(re.search(r"--[a-z]|\brexbit [a-z]", text))


def phrase_error(exc: RexbitError) -> tuple[str, str]:
    """(message, hint) for a service error, in the user's language, without command-line text."""
    if exc.code in PHRASES:
        return PHRASES[exc.code](exc.params)
    if isinstance(exc, PermissionDenied):
        return t("You are not allowed to do this."), t("Ask a manager or an administrator.")
    message = t(exc.message)
    if looks_like_cli(message):
        message = without_cli(message)
    hint = t(exc.hint) if exc.hint else ""
    if looks_like_cli(hint):
        hint = ""  # a command to type is no help in the window
    return message, hint
