"""The GUI's words for the errors of integrations: supplier feeds, import profiles, the PrestaShop shop,
the catalog."""

from __future__ import annotations

from rexbit_desktop.ui.error_strings.common import Phrase, tr
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
        "There is no import run {run}.": "Nie ma przebiegu importu {run}.",
        "The feed location {location} is not supported.": "Lokalizacja pliku {location} nie jest obsługiwana.",
        "Use a local path, file://…, http://… or https://….": "Użyj ścieżki lokalnej, file://…, http://… lub https://….",
        "The feed location {path} is not a file.": "Lokalizacja pliku {path} nie jest plikiem.",
        "The feed {feed} is over the limit of {limit}.": "Plik {feed} przekracza limit {limit}.",
        "Raise the profile's size limit (max_bytes) if the file is right.": (
            "Jeśli plik jest prawidłowy, podnieś limit rozmiaru w profilu (max_bytes)."
        ),
        "The feed file {path} is not readable (permissions).": "Pliku {path} nie można odczytać (uprawnienia).",
        "The feed file {path} does not exist.": "Plik {path} nie istnieje.",
        "Check the profile's source.": "Sprawdź źródło w profilu.",
        "The feed server answered {status} for {url}.": "Serwer pliku odpowiedział {status} dla {url}.",
        "Check the user and password (or the HTTP headers).": "Sprawdź użytkownika i hasło (lub nagłówki HTTP).",
        "Cannot fetch the feed {url}.": "Nie można pobrać pliku {url}.",
        "Check the address and the network.": "Sprawdź adres i sieć.",
        "Cannot connect to the shop database {where}.": "Nie można połączyć się z bazą sklepu {where}.",
        "Check the user and password of the integration.": "Sprawdź użytkownika i hasło integracji.",
        "Check the database name of the integration.": "Sprawdź nazwę bazy danych integracji.",
        "Check the host and port, that the server runs and that it accepts remote connections.": (
            "Sprawdź host i port, czy serwer działa i czy przyjmuje połączenia zdalne."
        ),
        "The shop database {where} has no shop with id {id_shop}.": "Baza sklepu {where} nie ma sklepu o id {id_shop}.",
        "Set the shop id of the integration to an existing shop.": "Ustaw w integracji id istniejącego sklepu.",
        "The feed has no rows; nothing was changed.": "Plik nie ma wierszy; niczego nie zmieniono.",
        "An empty feed would zero every product's stock, so it is refused.": (
            "Pusty plik wyzerowałby stany wszystkich produktów, dlatego jest odrzucany."
        ),
        "None of the {rows} rows is valid; nothing was changed.": (
            "Żaden z {rows} wierszy nie jest poprawny; niczego nie zmieniono."
        ),
        "The run's errors list what is wrong with each row.": "Błędy przebiegu mówią, co jest nie tak z każdym wierszem.",
        "Integration {name} is not a supplier feed.": "Integracja {name} nie jest plikiem dostawcy.",
        "Import run {run} is „{status}”; only a queued run can start.": (
            "Przebieg importu {run} ma stan „{status}”; rozpocząć można tylko przebieg w kolejce."
        ),
        "The import profile of run {run} no longer exists.": "Profil importu przebiegu {run} już nie istnieje.",
        "No record of the feed has the mapped fields {fields}.": "Żaden rekord pliku nie ma mapowanych pól {fields}.",
        "The feed's records have: {headers}.": "Rekordy pliku mają: {headers}.",
        "The import was cancelled; nothing was applied.": "Import przerwano; niczego nie zastosowano.",
        "The shop's stock warehouses name unknown warehouses: {unknown}.": (
            "Magazyny stanów sklepu wskazują nieznane magazyny: {unknown}."
        ),
        "No warehouse is default and the shop's stock warehouses are not set.": (
            "Żaden magazyn nie jest domyślny, a magazyny stanów sklepu nie są ustawione."
        ),
        "Choose the warehouses whose stock the shop gets in the integration's settings.": (
            "Wybierz w ustawieniach integracji magazyny, których stan dostaje sklep."
        ),
        "Integration {name} is not a PrestaShop database.": "Integracja {name} nie jest bazą PrestaShop.",
        "The languages {languages} are not languages of the shop.": "Języki {languages} nie są językami sklepu.",
        "Shop languages: {known}.": "Języki sklepu: {known}.",
        "The batch size must be at least 1.": "Rozmiar paczki musi wynosić co najmniej 1.",
        "Product listing is off for integration {name}: the availability sync writes nothing to this shop.": (
            "Wystawianie produktów jest wyłączone dla integracji {name}: synchronizacja dostępności nic nie zapisuje."
        ),
        "Allow product listing in the integration's settings.": "Zezwól na wystawianie produktów w ustawieniach integracji.",
        "Integration {name} is switched off.": "Integracja {name} jest wyłączona.",
        "Switch it on first.": "Najpierw ją włącz.",
        "Integration {name} does not push stock.": "Integracja {name} nie wysyła stanów.",
        "Switch the stock sync on in the integration's settings.": "Włącz synchronizację stanów w ustawieniach integracji.",
        "A stock push to this shop is already running.": "Wysyłka stanów do tego sklepu już trwa.",
        "Wait for it to finish, then push again if needed.": "Poczekaj, aż się skończy, i w razie potrzeby wyślij ponownie.",
        "The integration settings must be a JSON object.": "Ustawienia integracji muszą być obiektem JSON.",
        "An integration needs a name of 1 to {max} characters.": "Integracja potrzebuje nazwy o długości od 1 do {max} znaków.",
        "An integration named „{name}” already exists.": "Integracja o nazwie „{name}” już istnieje.",
        "Unknown integration type „{type}”.": "Nieznany typ integracji „{type}”.",
        "Choose a supplier feed or a PrestaShop database.": "Wybierz plik dostawcy albo bazę PrestaShop.",
        "An import profile needs a name of 1 to {max} characters.": (
            "Profil importu potrzebuje nazwy o długości od 1 do {max} znaków."
        ),
        "An import profile needs a source: a file path or an http(s):// address.": (
            "Profil importu potrzebuje źródła: ścieżki pliku albo adresu http(s)://."
        ),
        "Unknown feed format „{format}”.": "Nieznany format pliku „{format}”.",
        "Choose CSV or XML.": "Wybierz CSV albo XML.",
        "The profile's options must be a JSON object.": "Opcje profilu muszą być obiektem JSON.",
        "Unknown options: {unknown}.": "Nieznane opcje: {unknown}.",
        "Known options: {known}.": "Znane opcje: {known}.",
        "The profile's mappings must be a JSON object.": "Mapowania profilu muszą być obiektem JSON.",
        "Unknown mapped fields: {unknown}.": "Nieznane mapowane pola: {unknown}.",
        "Known fields: {known}.": "Znane pola: {known}.",
        "Map SKU or EAN: rows are matched to products by them.": (
            "Zmapuj SKU lub EAN: po nich wiersze są łączone z produktami."
        ),
        "The HTTP headers must be header names with text values.": (
            "Nagłówki HTTP muszą być nazwami nagłówków z wartościami tekstowymi."
        ),
        "The option {option} must be a number above 0.": "Opcja {option} musi być liczbą większą od 0.",
        "Cannot change {fields} of an import profile.": "Nie można zmienić pól {fields} profilu importu.",
        "Integration {integration} is not a supplier feed: import profiles belong to supplier feeds.": (
            "Integracja {integration} nie jest plikiem dostawcy: profile importu należą do plików dostawców."
        ),
        "There is no import profile {profile}.": "Nie ma profilu importu {profile}.",
        "There is no contractor {contractor}.": "Nie ma kontrahenta {contractor}.",
        "Unknown contractor fields: {unknown}.": "Nieznane pola kontrahenta: {unknown}.",
        "{file} lacks the columns {missing}.": "W pliku {file} brakuje kolumn: {missing}.",
        "The header row needs sku, ean, name and optionally unit, vat_rate.": (
            "Wiersz nagłówka potrzebuje kolumn sku, ean, name i opcjonalnie unit, vat_rate."
        ),
        "{file} has no rows.": "Plik {file} nie ma wierszy.",
        "{file}: invalid rows; nothing was imported.": "{file}: błędne wiersze; niczego nie zaimportowano.",
        "Give a SKU.": "Podaj SKU.",
        "Cannot read {path}.": "Nie można odczytać pliku {path}.",
        "{file} is not UTF-8 text.": "Plik {file} nie jest tekstem UTF-8.",
        "Save the catalog as CSV UTF-8.": "Zapisz katalog jako CSV UTF-8.",
        "{file} is not a readable CSV file.": "Plik {file} nie jest czytelnym plikiem CSV.",
        "There is no product {product}.": "Nie ma produktu {product}.",
        "The feed of integration {integration} has no item {item}.": (
            "Plik integracji {integration} nie ma pozycji {item}."
        ),
        "Import the feed first: its items appear as unlinked offers.": (
            "Najpierw zaimportuj plik: jego pozycje pojawią się jako niepołączone oferty."
        ),
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
    "integration_config_not_object": ("The integration settings must be a JSON object.", ""),
    "integration_name_invalid": ("An integration needs a name of 1 to {max} characters.", ""),
    "integration_exists": ("An integration named „{name}” already exists.", ""),
    "integration_type_unknown": (
        "Unknown integration type „{type}”.",
        "Choose a supplier feed or a PrestaShop database.",
    ),
    "profile_name_invalid": ("An import profile needs a name of 1 to {max} characters.", ""),
    "profile_source_missing": ("An import profile needs a source: a file path or an http(s):// address.", ""),
    "feed_format_unknown": ("Unknown feed format „{format}”.", "Choose CSV or XML."),
    "profile_options_not_object": ("The profile's options must be a JSON object.", ""),
    "profile_options_unknown": ("Unknown options: {unknown}.", "Known options: {known}."),
    "profile_mappings_not_object": ("The profile's mappings must be a JSON object.", ""),
    "profile_fields_unknown": ("Unknown mapped fields: {unknown}.", "Known fields: {known}."),
    "profile_needs_sku_or_ean": ("Map SKU or EAN: rows are matched to products by them.", ""),
    "profile_headers_invalid": ("The HTTP headers must be header names with text values.", ""),
    "profile_option_not_positive": ("The option {option} must be a number above 0.", ""),
    "profile_fields_fixed": ("Cannot change {fields} of an import profile.", ""),
    "profile_on_wrong_integration": (
        "Integration {integration} is not a supplier feed: import profiles belong to supplier feeds.",
        "",
    ),
    "profile_not_found": (
        "There is no import profile {profile}.",
        "Refresh the list: someone may have deleted it.",
    ),
    "contractor_not_found": ("There is no contractor {contractor}.", ""),
    "contractor_fields_unknown": ("Unknown contractor fields: {unknown}.", ""),
    "catalog_columns_missing": (
        "{file} lacks the columns {missing}.",
        "The header row needs sku, ean, name and optionally unit, vat_rate.",
    ),
    "catalog_empty": ("{file} has no rows.", ""),
    "catalog_rows_invalid": lambda p: (
        tr("{file}: invalid rows; nothing was imported.", p),
        "\n".join(str(r) for r in p.get("rows", [])),
    ),
    "sku_missing": ("Give a SKU.", ""),
    "cannot_read": ("Cannot read {path}.", ""),
    "catalog_not_utf8": ("{file} is not UTF-8 text.", "Save the catalog as CSV UTF-8."),
    "catalog_not_csv": ("{file} is not a readable CSV file.", ""),
    "product_id_not_found": ("There is no product {product}.", ""),
    "feed_item_not_found": (
        "The feed of integration {integration} has no item {item}.",
        "Import the feed first: its items appear as unlinked offers.",
    ),
    "feed_location_unsupported": (
        "The feed location {location} is not supported.",
        "Use a local path, file://…, http://… or https://….",
    ),
    "feed_not_a_file": ("The feed location {path} is not a file.", ""),
    "feed_too_large": (
        "The feed {feed} is over the limit of {limit}.",
        "Raise the profile's size limit (max_bytes) if the file is right.",
    ),
    "feed_not_readable": ("The feed file {path} is not readable (permissions).", ""),
    "feed_missing": ("The feed file {path} does not exist.", "Check the profile's source."),
    "feed_http_error": lambda p: (
        tr("The feed server answered {status} for {url}.", p),
        tr("Check the user and password (or the HTTP headers).", p) if p.get("login") else "",
    ),
    "feed_fetch_failed": ("Cannot fetch the feed {url}.", "Check the address and the network."),
    "shop_unreachable": lambda p: (
        tr("Cannot connect to the shop database {where}.", p),
        tr(
            {
                1045: "Check the user and password of the integration.",
                1049: "Check the database name of the integration.",
            }.get(
                p.get("mysql_error"),  # type: ignore[arg-type]
                "Check the host and port, that the server runs and that it accepts remote connections.",
            ),
            p,
        ),
    ),
    "shop_id_unknown": (
        "The shop database {where} has no shop with id {id_shop}.",
        "Set the shop id of the integration to an existing shop.",
    ),
    "import_run_not_found": ("There is no import run {run}.", ""),
    "feed_empty": (
        "The feed has no rows; nothing was changed.",
        "An empty feed would zero every product's stock, so it is refused.",
    ),
    "feed_no_valid_rows": (
        "None of the {rows} rows is valid; nothing was changed.",
        "The run's errors list what is wrong with each row.",
    ),
    "not_a_supplier_feed": ("Integration {name} is not a supplier feed.", ""),
    "import_run_not_queued": lambda p: (
        tr("Import run {run} is „{status}”; only a queued run can start.", p),
        "",
    ),
    "import_run_profile_gone": ("The import profile of run {run} no longer exists.", ""),
    "feed_mapping_unseen": lambda p: (
        tr("No record of the feed has the mapped fields {fields}.", {"fields": list(p.get("fields") or {})}),
        tr("The feed's records have: {headers}.", p),
    ),
    "import_cancelled": ("The import was cancelled; nothing was applied.", ""),
    "stock_warehouses_unknown": (
        "The shop's stock warehouses name unknown warehouses: {unknown}.",
        "Known warehouses: {known}.",
    ),
    "stock_warehouses_missing": (
        "No warehouse is default and the shop's stock warehouses are not set.",
        "Choose the warehouses whose stock the shop gets in the integration's settings.",
    ),
    "not_a_shop": ("Integration {name} is not a PrestaShop database.", ""),
    "shop_languages_unknown": (
        "The languages {languages} are not languages of the shop.",
        "Shop languages: {known}.",
    ),
    "batch_size_too_small": ("The batch size must be at least 1.", ""),
    "product_listing_disabled": (
        "Product listing is off for integration {name}: the availability sync writes nothing to this shop.",
        "Allow product listing in the integration's settings.",
    ),
    "integration_disabled": ("Integration {name} is switched off.", "Switch it on first."),
    "stock_sync_off": (
        "Integration {name} does not push stock.",
        "Switch the stock sync on in the integration's settings.",
    ),
    "stock_push_running": (
        "A stock push to this shop is already running.",
        "Wait for it to finish, then push again if needed.",
    ),
    "skus_not_linked": (
        "No product with SKU {skus} is linked to the shop.",
        "Pull the catalog from the shop first.",
    ),
}
