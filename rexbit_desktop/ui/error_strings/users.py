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
        "A password must have at least {min} characters.": "Hasło musi mieć co najmniej {min} znaków.",
        "Choose a longer password (a short sentence is easy to remember).": (
            "Wybierz dłuższe hasło (krótkie zdanie łatwo zapamiętać)."
        ),
        "„{login}” is not a valid login.": "„{login}” nie jest prawidłowym loginem.",
        "Use 1 to 64 letters, digits, dots, dashes, underscores or @, without spaces.": (
            "Użyj od 1 do 64 liter, cyfr, kropek, myślników, podkreśleń lub @, bez spacji."
        ),
        "„{login}” is reserved for the built-in account.": "„{login}” jest zarezerwowany dla konta wbudowanego.",
        "You cannot deactivate yourself.": "Nie możesz dezaktywować samego siebie.",
        "Unknown role „{role}”.": "Nieznana rola „{role}”.",
        "User {login} already exists.": "Użytkownik {login} już istnieje.",
    }
)

PHRASES: dict[str, Phrase] = {
    "user_not_found": ("There is no user {login}.", ""),
    "user_without_password": ("User {login} has no password yet.", "Ask an administrator to set it."),
    "user_deactivated": ("User {login} is deactivated.", ""),
    "wrong_login": ("Wrong login or password.", ""),
    "password_too_short": (
        "A password must have at least {min} characters.",
        "Choose a longer password (a short sentence is easy to remember).",
    ),
    "login_invalid": (
        "„{login}” is not a valid login.",
        "Use 1 to 64 letters, digits, dots, dashes, underscores or @, without spaces.",
    ),
    "login_reserved": ("„{login}” is reserved for the built-in account.", ""),
    "cannot_deactivate_self": ("You cannot deactivate yourself.", ""),
    "role_unknown": ("Unknown role „{role}”.", ""),
    "user_exists": ("User {login} already exists.", ""),
}
