"""The GUI's words for the errors of stock: warehouses, products, quantities, WZ."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase, tr
from rexbit_desktop.ui.i18n import format_quantity, register, t

register(
    {
        "Cannot issue the WZ for order {order}: not enough stock.": (
            "Nie można wystawić WZ dla zamówienia {order}: za mało towaru."
        ),
        "{sku}: {qty} missing in {warehouse}": "{sku}: brakuje {qty} w {warehouse}",
        "Receive the goods (Products → Receive stock (PZ)…) or reserve them first.": (
            "Przyjmij towar (Produkty → Przyjęcie (PZ)…) albo najpierw go zarezerwuj."
        ),
        "There is no warehouse {code}.": "Nie ma magazynu {code}.",
        "Known warehouses: {known}.": "Znane magazyny: {known}.",
        "Ask an administrator to add the warehouse.": "Poproś administratora o dodanie magazynu.",
        "There is no default warehouse to reserve from.": "Nie ma domyślnego magazynu, z którego można rezerwować.",
        "Choose the default warehouse in the order settings (Reservations and warehouse).": (
            "Wybierz magazyn domyślny w ustawieniach zamówień (Rezerwacje i magazyn)."
        ),
        "There is no product with SKU {sku}.": "Nie ma produktu o SKU {sku}.",
        "Check the SKU in the product list.": "Sprawdź SKU na liście produktów.",
        "The quantity „{value}” is not a number.": "Ilość „{value}” nie jest liczbą.",
        "The quantity must be greater than zero, not „{value}”.": "Ilość musi być większa od zera, a nie „{value}”.",
        "The quantity „{value}” has more than {places} decimal places.": (
            "Ilość „{value}” ma więcej niż {places} miejsca po przecinku."
        ),
        "A warehouse code must have 1 to {max} characters.": "Kod magazynu musi mieć od 1 do {max} znaków.",
        "Give the warehouse a name.": "Podaj nazwę magazynu.",
        "Warehouse {code} already exists.": "Magazyn {code} już istnieje.",
        "The price „{value}” is not a number.": "Cena „{value}” nie jest liczbą.",
        "The price cannot be negative („{value}”).": "Cena nie może być ujemna („{value}”).",
        "The price „{value}” has more than two decimal places.": "Cena „{value}” ma więcej niż dwa miejsca po przecinku.",
        "The price „{value}” is too large.": "Cena „{value}” jest za duża.",
        "Type the gross price, e.g. 129,99.": "Wpisz cenę brutto, np. 129,99.",
    }
)


def _not_enough_stock(p: dict[str, Any]) -> tuple[str, str]:
    lines = [
        t(
            "{sku}: {qty} missing in {warehouse}",
            sku=i["sku"],
            qty=format_quantity(i["qty"]),
            warehouse=i["warehouse"],
        )
        for i in p.get("items", [])
    ]
    message = t("Cannot issue the WZ for order {order}: not enough stock.", order=p.get("order", ""))
    if lines:
        message += "\n" + "\n".join(lines)
    return message, t("Receive the goods (Products → Receive stock (PZ)…) or reserve them first.")


def _warehouse_not_found(p: dict[str, Any]) -> tuple[str, str]:
    hint = "Known warehouses: {known}." if p.get("known") else "Ask an administrator to add the warehouse."
    return tr("There is no warehouse {code}.", p), tr(hint, p)


PHRASES: dict[str, Phrase] = {
    "wz_not_enough_stock": _not_enough_stock,
    "warehouse_not_found": _warehouse_not_found,
    "no_default_warehouse": (
        "There is no default warehouse to reserve from.",
        "Choose the default warehouse in the order settings (Reservations and warehouse).",
    ),
    "product_not_found": ("There is no product with SKU {sku}.", "Check the SKU in the product list."),
    "quantity_not_a_number": ("The quantity „{value}” is not a number.", ""),
    "quantity_not_positive": ("The quantity must be greater than zero, not „{value}”.", ""),
    "quantity_too_precise": ("The quantity „{value}” has more than {places} decimal places.", ""),
    "warehouse_code_invalid": ("A warehouse code must have 1 to {max} characters.", ""),
    "warehouse_name_missing": ("Give the warehouse a name.", ""),
    "warehouse_exists": ("Warehouse {code} already exists.", ""),
    "price_not_a_number": ("The price „{value}” is not a number.", "Type the gross price, e.g. 129,99."),
    "price_negative": ("The price cannot be negative („{value}”).", ""),
    "price_too_precise": ("The price „{value}” has more than two decimal places.", ""),
    "price_too_large": ("The price „{value}” is too large.", ""),
}
