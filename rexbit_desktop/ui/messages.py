"""Errors phrased by the GUI: the services' errors carry a ``code`` and ``params``; the phrases of each
area (``ui/error_strings/``) turn them into text in the user's language. The services' own
``message``/``hint`` are a fallback for errors without a code, shown without any command-line fragment.
"""

from __future__ import annotations

import re

from rexbit_desktop.domain.errors import PermissionDenied, RexbitError
from rexbit_desktop.ui.error_strings import PHRASES
from rexbit_desktop.ui.error_strings.common import status_label, tr
from rexbit_desktop.ui.i18n import register, t

register(
    {
        "You are not allowed to do this.": "Nie masz uprawnień do tej czynności.",
        "Ask a manager or an administrator.": "Poproś kierownika lub administratora.",
    }
)

# A command-line fragment: "(--tracking=...)", "(rexbit stock receive)", "rexbit orders list".
_CLI = re.compile(r"\s*\([^()]*(?:--|rexbit )[^()]*\)|\s*(?:--[a-z][\w-]*(?:=\S*)?|rexbit \w[\w -]*)")


def without_cli(text: str) -> str:
    """The text without command-line fragments (flags, ``rexbit …`` commands)."""
    return _CLI.sub("", text).strip()


def looks_like_cli(text: str) -> bool:
    return bool(re.search(r"--[a-z]|\brexbit [a-z]", text))


def phrase_error(exc: RexbitError) -> tuple[str, str]:
    """(message, hint) for a service error, in the user's language, without command-line text."""
    phrase = PHRASES.get(exc.code) if isinstance(exc.code, str) else None
    if callable(phrase):
        return phrase(exc.params)
    if phrase is not None:
        message, hint = phrase
        return tr(message, exc.params), tr(hint, exc.params)
    if isinstance(exc, PermissionDenied):
        return t("You are not allowed to do this."), t("Ask a manager or an administrator.")
    message = t(exc.message)
    if looks_like_cli(message):
        message = without_cli(message)
    hint = t(exc.hint) if exc.hint else ""
    if looks_like_cli(hint):
        hint = ""  # a command to type is no help in the window
    return message, hint


__all__ = ["looks_like_cli", "phrase_error", "status_label", "without_cli"]
