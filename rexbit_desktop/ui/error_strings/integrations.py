"""The GUI's words for the errors of integrations: supplier feeds, import profiles, the PrestaShop shop,
the catalog."""

from __future__ import annotations

from rexbit_desktop.ui.error_strings.common import Phrase
from rexbit_desktop.ui.i18n import register

register(
    {
        "There is no integration {integration}.": "Nie ma integracji {integration}.",
        "Refresh the list: someone may have deleted it.": "Odśwież listę: ktoś mógł ją usunąć.",
        "Integration {name} has no enabled import profile.": "Integracja {name} nie ma włączonego profilu importu.",
        "Add a profile on the integration's Import profiles tab.": (
            "Dodaj profil na karcie integracji „Profile importu”."
        ),
        "Integration {integration} has no import profile {profile}.": (
            "Integracja {integration} nie ma profilu importu {profile}."
        ),
        "The shop database {target} lacks {missing}.": "W bazie sklepu {target} brakuje: {missing}.",
        "Check the table prefix and the database name of the integration.": (
            "Sprawdź prefiks tabel i nazwę bazy danych integracji."
        ),
        "No product with SKU {skus} is linked to the shop.": "Żaden produkt o SKU {skus} nie jest połączony ze sklepem.",
        "Pull the catalog from the shop first.": "Najpierw pobierz katalog ze sklepu.",
    }
)

PHRASES: dict[str, Phrase] = {
    "integration_not_found": (
        "There is no integration {integration}.",
        "Refresh the list: someone may have deleted it.",
    ),
    "no_import_profile": (
        "Integration {name} has no enabled import profile.",
        "Add a profile on the integration's Import profiles tab.",
    ),
    "import_profile_not_found": ("Integration {integration} has no import profile {profile}.", ""),
    "shop_schema_incomplete": (
        "The shop database {target} lacks {missing}.",
        "Check the table prefix and the database name of the integration.",
    ),
    "skus_not_linked": (
        "No product with SKU {skus} is linked to the shop.",
        "Pull the catalog from the shop first.",
    ),
}
