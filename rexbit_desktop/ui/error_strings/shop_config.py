"""The GUI's words for a PrestaShop connection's settings that are refused (the connection editor, the
stock-sync settings, the availability texts). The CLI names the JSON keys; here the fields are named as
the connection editor names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase, tr
from rexbit_desktop.ui.i18n import register, t

register(
    {
        # the connection editor's fields (the same words as ui/integrations/dialogs.py)
        "Host": "Host",
        "Port": "Port",
        "Database name": "Nazwa bazy",
        "User": "Użytkownik",
        "Password": "Hasło",
        "Table prefix": "Prefiks tabel",
        "Shop id": "Id sklepu",
        "Minimum stock": "Minimalny stan",
        "Default delivery days": "Domyślny czas dostawy (dni)",
        "Write availability into the shop": "Zapisuj dostępność w sklepie",
        "Connection timeout (s)": "Limit czasu połączenia (s)",
        "Only changed products": "Tylko zmienione produkty",
        "Stock buffer": "Bufor stanu",
        "Availability text when in stock": "Tekst dostępności, gdy towar jest",
        "Availability text when out of stock": "Tekst dostępności, gdy towaru brak",
        # the refusals
        "Fill in: {field}.": "Uzupełnij pole: {field}.",
        "{field}: enter a whole number.": "{field}: wpisz liczbę całkowitą.",
        "{field}: enter a whole number between {low} and {high}.": "{field}: wpisz liczbę całkowitą od {low} do {high}.",
        "{field}: choose yes or no.": "{field}: wybierz tak lub nie.",
        "{field} ({iso}): enter a text.": "{field} ({iso}): wpisz tekst.",
        "{field} ({iso}) is longer than {max} characters, which the shop cannot store.": (
            "{field} ({iso}) ma więcej niż {max} znaków, a sklep tyle nie zapisze."
        ),
        "{field} ({iso}) is not a valid text: {reason}.": "{field} ({iso}) nie jest poprawnym tekstem: {reason}.",
        "Write braces as {{{{ and }}}}.": "Nawiasy klamrowe zapisz jako {{{{ i }}}}.",
        "{field} ({iso}) uses unknown placeholders: {placeholders}.": (
            "{field} ({iso}) używa nieznanych pól: {placeholders}."
        ),
        "Only the text for „out of stock” may use {{delivery_days}}.": (
            "Tylko tekst „gdy towaru brak” może używać {{delivery_days}}."
        ),
        "The availability texts are not set up correctly.": "Teksty dostępności są źle ustawione.",
        "„{iso}” is not a two-letter language code.": "„{iso}” to nie dwuliterowy kod języka.",
        "The availability texts for „{iso}” are not set up correctly.": (
            "Teksty dostępności dla „{iso}” są źle ustawione."
        ),
        "The availability texts for „{iso}” have unknown entries: {unknown}.": (
            "Teksty dostępności dla „{iso}” mają nieznane pozycje: {unknown}."
        ),
        "The connection's settings are not readable.": "Ustawień połączenia nie da się odczytać.",
        "The connection has unknown settings: {unknown}.": "Połączenie ma nieznane ustawienia: {unknown}.",
        "The password's environment variable must be a name such as REXBIT_SHOP_PASSWORD.": (
            "Zmienna środowiskowa z hasłem musi być nazwą, np. REXBIT_SHOP_PASSWORD."
        ),
        "Give either the password or its environment variable, not both.": (
            "Podaj hasło albo zmienną środowiskową z hasłem, nie oba."
        ),
        "The password must be a text.": "Hasło musi być tekstem.",
        "„{prefix}” is not a table prefix.": "„{prefix}” to nie prefiks tabel.",
        "Up to 32 letters, digits or underscores, e.g. ps_.": "Do 32 liter, cyfr lub podkreśleń, np. ps_.",
        "Choose at least one shop language, or all active ones.": (
            "Wybierz co najmniej jeden język sklepu albo wszystkie aktywne."
        ),
        "„{value}” is not a shop language id.": "„{value}” to nie id języka sklepu.",
        "The minimum stock must be a number, 0 or more.": "Minimalny stan musi być liczbą, 0 lub więcej.",
        "Stock sync is either on or off (not „{value}”).": "Synchronizacja stanów jest włączona albo wyłączona (nie „{value}”).",
        "Choose at least one warehouse, or none for the default one.": (
            "Wybierz co najmniej jeden magazyn albo żaden (wtedy domyślny)."
        ),
        "„{value}” is not a warehouse code.": "„{value}” to nie kod magazynu.",
        "The shop password's environment variable {env} is not set.": (
            "Zmienna środowiskowa z hasłem do sklepu {env} nie jest ustawiona."
        ),
        "Set it for the program that syncs the shop (the worker), or type the password in the connection.": (
            "Ustaw ją dla programu, który synchronizuje sklep (procesu kolejki), albo wpisz hasło w połączeniu."
        ),
    }
)

# The config's keys as the connection editor names them; a key the editor does not show keeps its name.
FIELDS = {
    "host": "Host",
    "port": "Port",
    "database": "Database name",
    "user": "User",
    "password": "Password",
    "prefix": "Table prefix",
    "id_shop": "Shop id",
    "min_stock_threshold": "Minimum stock",
    "default_delivery_days": "Default delivery days",
    "product_listing_enabled": "Write availability into the shop",
    "connect_timeout": "Connection timeout (s)",
    "sync_only_changed": "Only changed products",
    "stock_buffer": "Stock buffer",
    "available_now": "Availability text when in stock",
    "available_later": "Availability text when out of stock",
}


def _on_key(message: str, hint: str = "") -> Callable[[dict[str, Any]], tuple[str, str]]:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        key = str(p.get("key", ""))
        named = {**p, "field": t(FIELDS[key]) if key in FIELDS else key}
        return tr(message, named), tr(hint, named)

    return phrase


PHRASES: dict[str, Phrase] = {
    "shop_config_required": _on_key("Fill in: {field}."),
    "shop_config_not_whole": _on_key("{field}: enter a whole number."),
    "shop_config_out_of_range": _on_key("{field}: enter a whole number between {low} and {high}."),
    "shop_config_not_bool": _on_key("{field}: choose yes or no."),
    "shop_text_not_text": _on_key("{field} ({iso}): enter a text."),
    "shop_text_too_long": _on_key(
        "{field} ({iso}) is longer than {max} characters, which the shop cannot store."
    ),
    "shop_text_bad_template": _on_key(
        "{field} ({iso}) is not a valid text: {reason}.", "Write braces as {{{{ and }}}}."
    ),
    "shop_text_unknown_placeholder": _on_key(
        "{field} ({iso}) uses unknown placeholders: {placeholders}.",
        "Only the text for „out of stock” may use {{delivery_days}}.",
    ),
    "shop_texts_not_object": ("The availability texts are not set up correctly.", ""),
    "shop_texts_bad_iso": ("„{iso}” is not a two-letter language code.", ""),
    "shop_texts_iso_not_object": ("The availability texts for „{iso}” are not set up correctly.", ""),
    "shop_texts_unknown_keys": ("The availability texts for „{iso}” have unknown entries: {unknown}.", ""),
    "shop_config_not_object": ("The connection's settings are not readable.", ""),
    "shop_config_unknown_keys": ("The connection has unknown settings: {unknown}.", ""),
    "shop_password_env_invalid": (
        "The password's environment variable must be a name such as REXBIT_SHOP_PASSWORD.",
        "",
    ),
    "shop_password_twice": ("Give either the password or its environment variable, not both.", ""),
    "shop_password_not_text": ("The password must be a text.", ""),
    "shop_prefix_invalid": (
        "„{prefix}” is not a table prefix.",
        "Up to 32 letters, digits or underscores, e.g. ps_.",
    ),
    "shop_languages_empty": ("Choose at least one shop language, or all active ones.", ""),
    "shop_languages_not_ids": ("„{value}” is not a shop language id.", ""),
    "shop_threshold_invalid": ("The minimum stock must be a number, 0 or more.", ""),
    "shop_stock_sync_invalid": ("Stock sync is either on or off (not „{value}”).", ""),
    "shop_stock_warehouses_empty": ("Choose at least one warehouse, or none for the default one.", ""),
    "shop_stock_warehouse_invalid": ("„{value}” is not a warehouse code.", ""),
    "shop_password_env_missing": (
        "The shop password's environment variable {env} is not set.",
        "Set it for the program that syncs the shop (the worker), or type the password in the connection.",
    ),
}
