"""What the GUI's error phrases share: the phrase type and how values read in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rexbit_desktop.domain.orders import DEFAULT_LABELS, OrderStatus
from rexbit_desktop.domain.phrasing import fill
from rexbit_desktop.ui.i18n import format_quantity, language, t

# (English message, English hint) templates — their Polish is registered with ``register`` next to them —
# or a function of the params that returns the (message, hint) already in the user's language.
Phrase = tuple[str, str] | Callable[[dict[str, Any]], tuple[str, str]]


def status_label(code: str) -> str:
    """The default label of a status code (the settings may rename it; errors use the defaults)."""
    try:
        pl, en, _colour = DEFAULT_LABELS[OrderStatus(code)]
    except (ValueError, KeyError):
        return code
    return pl if language() == "pl" else en


def shown(value: object) -> object:
    """A value as the GUI shows it: quantities in the language's format, lists joined."""
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return format_quantity(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(shown(v)) for v in value)
    return value


def tr(template: str, params: dict[str, Any]) -> str:
    """The template in the user's language with the params in it."""
    return fill(t(template), params, shown) if template else ""
