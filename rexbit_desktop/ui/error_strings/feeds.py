"""The GUI's words for a supplier feed that cannot be read (the CSV and XML readers): what the profile's
Preview and a failed import run show. The service's hints name the profile's JSON options; here the
advice names the profile editor's fields."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase, tr
from rexbit_desktop.ui.i18n import register, t

register(
    {
        "Unknown encoding „{encoding}” in the import profile.": "Nieznane kodowanie „{encoding}” w profilu importu.",
        "Choose the encoding in the import profile: utf-8, utf-8-sig, cp1250 (windows-1250) or iso-8859-2.": (
            "Wybierz kodowanie w profilu importu: utf-8, utf-8-sig, cp1250 (windows-1250) lub iso-8859-2."
        ),
        "The feed {feed} looks binary (UTF-16 or a spreadsheet?), not a CSV text file.": (
            "Plik {feed} wygląda na binarny (UTF-16 albo arkusz kalkulacyjny?), a nie plik tekstowy CSV."
        ),
        "Export it as CSV (UTF-8 or windows-1250).": "Wyeksportuj go jako CSV (UTF-8 lub windows-1250).",
        "The delimiter must be one character, not „{delimiter}”.": (
            "Separator musi być jednym znakiem, a nie „{delimiter}”."
        ),
        "Choose the delimiter in the import profile.": "Wybierz separator w profilu importu.",
        "The decimal separator must be „,” or „.”, not „{decimal}”.": (
            "Separator dziesiętny musi być „,” lub „.”, a nie „{decimal}”."
        ),
        "Choose the decimal separator in the import profile.": "Wybierz separator dziesiętny w profilu importu.",
        "The feed has no column for {missing}.": "Plik nie ma kolumny dla: {missing}.",
        "Columns in the feed: {headers}.": "Kolumny w pliku: {headers}.",
        "The feed {feed} has one column only with the delimiter „{delimiter}”.": (
            "Plik {feed} ma tylko jedną kolumnę przy separatorze „{delimiter}”."
        ),
        "The feed {feed} is not valid {encoding} text.": "Plik {feed} nie jest poprawnym tekstem w kodowaniu {encoding}.",
        "Choose the encoding in the import profile (utf-8, cp1250 or iso-8859-2).": (
            "Wybierz kodowanie w profilu importu (utf-8, cp1250 lub iso-8859-2)."
        ),
        "The feed {feed} is empty.": "Plik {feed} jest pusty.",
        "The feed {feed} is not a readable CSV file: {reason}": "Plik {feed} nie jest czytelnym plikiem CSV: {reason}",
        "The XML feed {feed} declares entities or an external DTD; it is refused for safety.": (
            "Plik XML {feed} deklaruje encje lub zewnętrzny DTD; odrzucono go ze względów bezpieczeństwa."
        ),
        "Ask the supplier for a feed without a DOCTYPE.": "Poproś dostawcę o plik bez deklaracji DOCTYPE.",
        "Cannot tell which element is one record in {feed} (root element <{root}>).": (
            "Nie wiadomo, który element jest jednym rekordem w {feed} (element główny <{root}>)."
        ),
        "Enter the XML record element in the import profile, e.g. product.": (
            "Wpisz element rekordu XML w profilu importu, np. product."
        ),
        "Unknown XML preset „{preset}”.": "Nieznany szablon XML „{preset}”.",
        "Known presets: {known}.": "Znane szablony: {known}.",
        "The prefix „{prefix}:” in „{path}” has no namespace.": "Prefiks „{prefix}:” w „{path}” nie ma przestrzeni nazw.",
        "Add the namespace of the prefix to the profile's options.": "Dodaj przestrzeń nazw prefiksu do opcji profilu.",
        "The mapping path „{path}” is not valid XPath: {reason}.": (
            "Ścieżka mapowania „{path}” nie jest poprawnym XPath: {reason}."
        ),
        "The XML feed {feed} uses entities; it is refused: {reason}.": "Plik XML {feed} używa encji; odrzucono go: {reason}.",
        "The XML feed {feed} is malformed: {reason}.": "Plik XML {feed} jest uszkodzony: {reason}.",
        "Ask the supplier to fix the file; nothing was imported.": (
            "Poproś dostawcę o poprawienie pliku; niczego nie zaimportowano."
        ),
        "The feed file could not be read; nothing was changed.": (
            "Nie udało się odczytać pliku dostawcy; nic nie zmieniono."
        ),
        "Import runs that failed: {count}.": "Nieudane importy: {count}.",
        "Each run's row in the import history says why.": "Przyczynę podaje wiersz każdego importu w historii.",
        # the profile's fields (as in the profile editor)
        "Stock": "Stan magazynowy",
        "Supplier's item id": "Id pozycji u dostawcy",
        "Delivery time (days)": "Czas dostawy (dni)",
        "Purchase price": "Cena zakupu",
    }
)

# A profile's fields as the profile editor names them.
_FIELDS = {
    "sku": "SKU",
    "ean": "EAN",
    "stock_quantity": "Stock",
    "delivery_days": "Delivery time (days)",
    "purchase_price": "Purchase price",
    "external_id": "Supplier's item id",
}


def _columns_missing(p: dict[str, Any]) -> tuple[str, str]:
    missing = p.get("missing")
    if isinstance(missing, dict):
        named = ", ".join(f"{t(_FIELDS.get(f, f))} → „{c}”" for f, c in missing.items())
    else:
        named = str(missing or "")
    hint = tr("Columns in the feed: {headers}.", p) if p.get("headers") else ""
    return t("The feed has no column for {missing}.", missing=named), hint


PHRASES: dict[str, Phrase] = {
    "feed_encoding_unknown": (
        "Unknown encoding „{encoding}” in the import profile.",
        "Choose the encoding in the import profile: utf-8, utf-8-sig, cp1250 (windows-1250) or iso-8859-2.",
    ),
    "feed_binary": (
        "The feed {feed} looks binary (UTF-16 or a spreadsheet?), not a CSV text file.",
        "Export it as CSV (UTF-8 or windows-1250).",
    ),
    "feed_delimiter_invalid": (
        "The delimiter must be one character, not „{delimiter}”.",
        "Choose the delimiter in the import profile.",
    ),
    "feed_decimal_invalid": (
        "The decimal separator must be „,” or „.”, not „{decimal}”.",
        "Choose the decimal separator in the import profile.",
    ),
    "feed_columns_missing": _columns_missing,
    "feed_one_column": (
        "The feed {feed} has one column only with the delimiter „{delimiter}”.",
        "Choose the delimiter in the import profile.",
    ),
    "feed_not_text": (
        "The feed {feed} is not valid {encoding} text.",
        "Choose the encoding in the import profile (utf-8, cp1250 or iso-8859-2).",
    ),
    "feed_empty_file": ("The feed {feed} is empty.", ""),
    "feed_not_csv": ("The feed {feed} is not a readable CSV file: {reason}", ""),
    "feed_xml_unsafe": (
        "The XML feed {feed} declares entities or an external DTD; it is refused for safety.",
        "Ask the supplier for a feed without a DOCTYPE.",
    ),
    "feed_record_unknown": (
        "Cannot tell which element is one record in {feed} (root element <{root}>).",
        "Enter the XML record element in the import profile, e.g. product.",
    ),
    "feed_preset_unknown": ("Unknown XML preset „{preset}”.", "Known presets: {known}."),
    "feed_namespace_missing": (
        "The prefix „{prefix}:” in „{path}” has no namespace.",
        "Add the namespace of the prefix to the profile's options.",
    ),
    "feed_path_invalid": ("The mapping path „{path}” is not valid XPath: {reason}.", ""),
    "feed_xml_entities": ("The XML feed {feed} uses entities; it is refused: {reason}.", ""),
    "feed_cannot_read": ("The feed file could not be read; nothing was changed.", ""),
    "import_runs_failed": (
        "Import runs that failed: {count}.",
        "Each run's row in the import history says why.",
    ),
    "feed_xml_malformed": (
        "The XML feed {feed} is malformed: {reason}.",
        "Ask the supplier to fix the file; nothing was imported.",
    ),
}
