"""Polish by default, English selectable: ``t("English text")`` returns the text in the chosen language.

Source strings are English; ``POLISH`` holds their translations. ``tests/unit/test_ui_i18n.py`` checks that
every ``t("…")`` literal under ``ui/`` has a Polish entry. Numbers and dates follow the language too.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

_language = "pl"

POLISH: dict[str, str] = {
    # main window / navigation
    "rexbit desktop": "rexbit desktop",
    "Orders": "Zamówienia",
    "Order list": "Lista zamówień",
    "Settings": "Ustawienia",
    "Products": "Produkty",
    "Integrations": "Integracje",
    "Queues": "Kolejki",
    "Schedule": "Harmonogram",
    "Database": "Baza danych",
    "embedded": "wbudowana",
    "server": "serwer",
    "embedded PostgreSQL on this computer": "wbudowana PostgreSQL na tym komputerze",
    "server on this computer (socket {dir}), database {name}": "serwer na tym komputerze (gniazdo {dir}), baza {name}",
    "default": "domyślne",
    "The database schema is at {current}, newer than this program knows (it needs {needed}).": (
        "Schemat bazy danych jest w wersji {current}, nowszej niż zna ten program (potrzebuje {needed})."
    ),
    "The database schema is at {current}, this program needs {needed}.": (
        "Schemat bazy danych jest w wersji {current}, a ten program potrzebuje wersji {needed}."
    ),
    "Install the newer rexbit version the other workstations use. Nothing was changed.": (
        "Zainstaluj nowszą wersję rexbit, której używają pozostałe stanowiska. Niczego nie zmieniono."
    ),
    "Ask the administrator to upgrade the database (the command: rexbit db upgrade). Nothing was changed.": (
        "Poproś administratora o aktualizację bazy danych (polecenie: rexbit db upgrade). Niczego nie zmieniono."
    ),
    "User": "Użytkownik",
    "Background tasks: {n}": "Zadania w tle: {n}",
    "Refresh": "Odśwież",
    "Search": "Szukaj",
    "Log out": "Wyloguj",
    "Quit": "Zakończ",
    "File": "Plik",
    "View": "Widok",
    "Help": "Pomoc",
    "Language": "Język",
    "Polish": "Polski",
    "English": "Angielski",
    "The language changes after a restart.": "Język zmieni się po ponownym uruchomieniu.",
    # roles
    "operator": "operator",
    "manager": "kierownik",
    "admin": "administrator",
    # login
    "Log in": "Logowanie",
    "Login": "Login",
    "Password": "Hasło",
    "OK": "OK",
    "Cancel": "Anuluj",
    "Close": "Zamknij",
    "Connecting to the database…": "Łączenie z bazą danych…",
    "Wrong login or password.": "Nieprawidłowy login lub hasło.",
    # errors
    "Error": "Błąd",
    "Something went wrong": "Coś poszło nie tak",
    "Details": "Szczegóły",
    "What to do": "Co zrobić",
    "The operation failed unexpectedly. Try again; if it keeps failing, send the details to the administrator.": (
        "Operacja nie powiodła się. Spróbuj ponownie; jeśli błąd się powtarza, przekaż szczegóły administratorowi."
    ),
    "Cannot open the database": "Nie można otworzyć bazy danych",
    "Loading…": "Wczytywanie…",
    "No data": "Brak danych",
}


def set_language(language: str) -> None:
    global _language
    _language = language if language in ("pl", "en") else "pl"


def language() -> str:
    return _language


def t(text: str, **kwargs: object) -> str:
    out = POLISH.get(text, text) if _language == "pl" else text
    return out.format(**kwargs) if kwargs else out


# (English, Polish already registered, Polish registered again) — one English text must read the same
# everywhere; tests/unit/test_ui_i18n.py keeps this empty.
CONFLICTS: list[tuple[str, str, str]] = []


def register(translations: dict[str, str]) -> None:
    """Views add their own Polish strings (keeps each view's texts next to it)."""
    for english, polish in translations.items():
        known = POLISH.get(english)
        if known is not None and known != polish:
            CONFLICTS.append((english, known, polish))
    POLISH.update(translations)


def _group(int_part: str, sep: str) -> str:
    neg = int_part.startswith("-")
    digits = int_part.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if neg else "") + sep.join(groups or ["0"])


def format_decimal(value: Decimal | float | int | None, places: int = 2) -> str:
    if value is None:
        return ""
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-places)) if places else Decimal(int(value))
    text = f"{q:f}"
    int_part, _, frac = text.partition(".")
    if _language == "pl":
        out = _group(int_part, "\u00a0")
        return out + ("," + frac if frac else "")
    out = _group(int_part, ",")
    return out + ("." + frac if frac else "")


def format_quantity(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    d = Decimal(str(value))
    places = 0 if d == d.to_integral_value() else 3
    text = format_decimal(d, places)
    return text.rstrip("0").rstrip(",.") if places else text


def format_money(value: Decimal | float | int | None, currency: str = "PLN") -> str:
    if value is None:
        return ""
    amount = format_decimal(value, 2)
    if currency == "PLN" and _language == "pl":
        return f"{amount}\u00a0zł"
    return f"{amount}\u00a0{currency}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone() if value.tzinfo else value
    return local.strftime("%d.%m.%Y %H:%M") if _language == "pl" else local.strftime("%Y-%m-%d %H:%M")


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y") if _language == "pl" else value.isoformat()


def polish_plural_form(n: int) -> int:
    """0 = one (1 dzień), 1 = few (2–4, 22–24 … dni/zamówienia), 2 = many (0, 5–21, 25 … zamówień)."""
    n = abs(int(n))
    if n == 1:
        return 0
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return 1
    return 2


# English singular text -> (English plural, Polish one, Polish few, Polish many); ``{n}`` is the count.
PLURALS: dict[str, tuple[str, str, str, str]] = {}


def register_plurals(forms: dict[str, tuple[str, str, str, str]]) -> None:
    PLURALS.update(forms)


def tn(singular: str, n: int, **kwargs: object) -> str:
    """A counted phrase in the user's language with its plural form: ``tn("{n} day", 5)`` → "5 dni"."""
    plural, pl_one, pl_few, pl_many = PLURALS[singular]
    if _language == "pl":
        text = (pl_one, pl_few, pl_many)[polish_plural_form(n)]
    else:
        text = singular if abs(int(n)) == 1 else plural
    shown = format_decimal(n, 0) if isinstance(n, int) and abs(n) >= 10000 else str(n)
    return text.format(n=shown, **kwargs)


register_plurals(
    {
        "{n} day": ("{n} days", "{n} dzień", "{n} dni", "{n} dni"),
        "{n} order": ("{n} orders", "{n} zamówienie", "{n} zamówienia", "{n} zamówień"),
        "{n} item": ("{n} items", "{n} pozycja", "{n} pozycje", "{n} pozycji"),
        "{n} document": ("{n} documents", "{n} dokument", "{n} dokumenty", "{n} dokumentów"),
        "{n} unit short": ("{n} units short", "brakuje {n} szt.", "brakuje {n} szt.", "brakuje {n} szt."),
    }
)
