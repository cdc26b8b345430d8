"""The GUI's words for the errors of users and logging in."""

from __future__ import annotations

from rexbit_desktop.ui.error_strings.common import Phrase
from rexbit_desktop.ui.i18n import register

register(
    {
        "There is no user {login}.": "Nie ma użytkownika {login}.",
        "User {login} has no password yet.": "Użytkownik {login} nie ma jeszcze hasła.",
        "Ask an administrator to set it.": "Poproś administratora o ustawienie hasła.",
        "User {login} is deactivated.": "Użytkownik {login} jest dezaktywowany.",
        "Wrong login or password.": "Nieprawidłowy login lub hasło.",
    }
)

PHRASES: dict[str, Phrase] = {
    "user_not_found": ("There is no user {login}.", ""),
    "user_without_password": ("User {login} has no password yet.", "Ask an administrator to set it."),
    "user_deactivated": ("User {login} is deactivated.", ""),
    "wrong_login": ("Wrong login or password.", ""),
}
