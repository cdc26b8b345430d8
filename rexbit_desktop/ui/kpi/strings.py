"""The Pulpit's words in Polish (English is the source language; see ``ui/i18n.py``)."""

from __future__ import annotations

from rexbit_desktop.domain.kpi import DEFINITIONS
from rexbit_desktop.ui.i18n import register, register_plurals

register_plurals(
    {
        "{n} open order": (
            "{n} open orders",
            "{n} otwarte zamówienie",
            "{n} otwarte zamówienia",
            "{n} otwartych zamówień",
        ),
        "{n} working day": ("{n} working days", "{n} dzień roboczy", "{n} dni robocze", "{n} dni roboczych"),
    }
)

register(
    {
        "Dashboard": "Pulpit",
        "Period:": "Okres:",
        "Today": "Dziś",
        "Last 7 days": "Ostatnie 7 dni",
        "Last 30 days": "Ostatnie 30 dni",
        "This month": "Ten miesiąc",
        "Last month": "Poprzedni miesiąc",
        "Custom": "Własny",
        "Source:": "Źródło:",
        "Warehouse:": "Magazyn:",
        "All": "Wszystkie",
        "Typed in by hand": "Wprowadzone ręcznie",
        "Refresh": "Odśwież",
        "Export PDF…": "Eksport PDF…",
        "Export CSV…": "Eksport CSV…",
        "Save chart as PNG…": "Zapisz wykres jako PNG…",
        "Orders": "Zamówienia",
        "Gross value": "Wartość brutto",
        "Average order": "Średnie zamówienie",
        "Returns": "Zwroty",
        "Fulfilment (median / p90)": "Realizacja (mediana / p90)",
        "Late": "Spóźnione",
        "Late now": "Spóźnione teraz",
        "Reservation level": "Poziom rezerwacji",
        "previous: {value}": "poprzednio: {value}",
        "{n} of {total} shipped": "{n} z {total} wysłanych",
        "{done} of {total} lines": "{done} z {total} pozycji",
        "{median} h / {p90} h": "{median} h / {p90} h",
        "working hours": "godziny robocze",
        "Orders per day": "Zamówienia dziennie",
        "Gross value per day": "Wartość brutto dziennie",
        "Backlog by age (working days)": "Zaległości wg wieku (dni robocze)",
        "Status": "Status",
        "This period": "Ten okres",
        "Previous period": "Poprzedni okres",
        "Top products by units": "Najlepsze produkty wg sztuk",
        "Top products by value": "Najlepsze produkty wg wartości",
        "Units short by product": "Brakujące sztuki wg produktu",
        "Stock value by warehouse": "Wartość magazynu",
        "Shop sync and feeds": "Synchronizacja sklepu i feedy",
        "SKU": "SKU",
        "Product": "Produkt",
        "Units": "Sztuki",
        "Value": "Wartość",
        "Warehouse": "Magazyn",
        "Without price": "Bez ceny",
        "Integration": "Integracja",
        "Kind": "Rodzaj",
        "Last run": "Ostatnie uruchomienie",
        "Result": "Wynik",
        "Failures": "Błędy",
        "shop sync": "synchronizacja sklepu",
        "feed import": "import feedu",
        "never": "nigdy",
        "succeeded (run)": "udany",
        "failed (run)": "nieudany",
        "running (run)": "w toku",
        "queued (run)": "w kolejce",
        "cancelled (run)": "anulowany",
        "Late now: {n}": "Spóźnione teraz: {n}",
        "Dashboard: late now ({n})": "Z pulpitu: spóźnione teraz ({n})",
        "Dashboard: {status}, {bucket} working days ({n})": "Z pulpitu: {status}, {bucket} dni roboczych ({n})",
        "My day": "Mój dzień",
        "What you did today ({day})": "Co zrobiłeś dziś ({day})",
        "WZ issued": "Wystawione WZ",
        "Moved to: {status}": "Przeniesione do: {status}",
        "Nothing yet today.": "Dziś jeszcze nic.",
        "Computed {when}": "Obliczono {when}",
        "Export the dashboard": "Eksport pulpitu",
        "PDF files (*.pdf)": "Pliki PDF (*.pdf)",
        "CSV files (*.csv)": "Pliki CSV (*.csv)",
        "PNG images (*.png)": "Obrazy PNG (*.png)",
        "Saved: {path}": "Zapisano: {path}",
        "Export": "Eksport",
        "Orders list": "Lista zamówień",
        "Computing…": "Obliczanie…",
        "From": "Od",
        "To": "Do",
        # the settings editor
        "KPI settings…": "Ustawienia KPI…",
        "KPI settings": "Ustawienia KPI",
        "Mon": "Pn",
        "Tue": "Wt",
        "Wed": "Śr",
        "Thu": "Cz",
        "Fri": "Pt",
        "Sat": "So",
        "Sun": "Nd",
        "Working days": "Dni pracy",
        "Working hours": "Godziny pracy",
        "Polish public holidays are days off": "Święta państwowe w Polsce są dniami wolnymi",
        "Extra days off": "Dodatkowe dni wolne",
        "One date a line, e.g. 2026-12-31": "Jedna data w wierszu, np. 2026-12-31",
        "Handling days (ready → ship-by date)": "Dni obsługi (gotowe → termin wysyłki)",
        "Per carrier": "Wg przewoźnika",
        "Carrier or delivery method": "Przewoźnik lub sposób dostawy",
        "Handling days": "Dni obsługi",
        "Add carrier": "Dodaj przewoźnika",
        "Remove selected": "Usuń zaznaczone",
        "Time zone": "Strefa czasowa",
        "Save": "Zapisz",
        "Cancel": "Anuluj",
        "KPI settings saved.": "Zapisano ustawienia KPI.",
        "„{value}” is not a time of day (HH:MM).": "„{value}” to nie jest godzina (GG:MM).",
        "Unknown time zone „{value}”.": "Nieznana strefa czasowa „{value}”.",
        "Tick at least one working day.": "Zaznacz co najmniej jeden dzień pracy.",
        "The working day must end after it starts ({start}–{end}).": (
            "Dzień pracy musi kończyć się później, niż się zaczyna ({start}–{end})."
        ),
        "„{value}” is not a date (YYYY-MM-DD).": "„{value}” to nie jest data (RRRR-MM-DD).",
        "Handling days of „{carrier}” must be a whole number from 0 to 60, not „{value}”.": (
            "Dni obsługi dla „{carrier}” muszą być liczbą całkowitą od 0 do 60, a nie „{value}”."
        ),
        "Handling days must be a whole number from 0 to 60.": (
            "Dni obsługi muszą być liczbą całkowitą od 0 do 60."
        ),
        # definitions (hover texts)
        DEFINITIONS["orders"]: "Zamówienia utworzone w okresie, bez anulowanych i zwróconych.",
        DEFINITIONS["gross"]: (
            "Wartość brutto (PLN) tych zamówień; zamówienia w innych walutach są liczone, ale nie sumowane."
        ),
        DEFINITIONS["average"]: "Wartość brutto ÷ liczba zamówień.",
        DEFINITIONS["returns"]: "Zamówienia utworzone w okresie, które są teraz zwrócone.",
        DEFINITIONS["fulfilment"]: (
            "Godziny robocze od gotowości (opłacenie, a przy pobraniu – przekazanie do magazynu) do wysyłki, "
            "dla zamówień wysłanych w okresie: mediana i 90. percentyl. Noce, weekendy i święta się nie liczą."
        ),
        DEFINITIONS["late"]: (
            "Zamówienia wysłane w okresie po terminie wysyłki ÷ zamówienia wysłane w okresie. Termin = koniec "
            "dnia roboczego przypadającego po dniach obsługi od dnia gotowości zamówienia."
        ),
        DEFINITIONS[
            "late_now"
        ]: "Otwarte zamówienia (opłacone … gotowe do wysyłki), których termin wysyłki minął.",
        DEFINITIONS["backlog"]: (
            "Otwarte zamówienia wg statusu i dni roboczych od gotowości (lub utworzenia)."
        ),
        DEFINITIONS["reservation"]: (
            "Pozycje zamówień przekazanych do magazynu, zarezerwowane w całości ÷ wszystkie takie pozycje."
        ),
        DEFINITIONS["short"]: "Brakujące sztuki otwartych braków wg produktu (20 największych).",
        DEFINITIONS["stock_value"]: (
            "Sztuki na stanie × cena zakupu: cena netto z ostatniego zatwierdzonego PZ, inaczej najtańsza "
            "oferta dostawcy; produkty bez ceny są liczone bez wartości."
        ),
        DEFINITIONS["top_products"]: (
            "Produkty sprzedane w okresie (zamówienia nie anulowane i nie zwrócone) wg sztuk i wartości brutto."
        ),
        DEFINITIONS["health"]: (
            "Ostatnia synchronizacja sklepu i import feedu każdej integracji oraz ich błędy w okresie."
        ),
    }
)
