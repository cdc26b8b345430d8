"""The demo shop's data: a hardware wholesaler's catalog with a garden and a small grocery shelf, Polish
customers, companies and NIPs, payment and delivery methods, and the plan of its orders (how many end
in which status, the steps to get there) — all from a seeded random generator, so every run gives the
same shop."""

from __future__ import annotations

import random
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from stdnum import ean as ean_check
from stdnum.pl import nip as nip_check

from rexbit_desktop.domain.orders import OrderStatus

PRODUCT_COUNT = 300

DEMO_FEED = "hurtownia-demo.csv"

DEMO_PROFILE = "hurtownia-demo.profile.json"

_PRODUCT_LINES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    # (name, variants, unit, VAT) — a hardware wholesaler with a garden and a small grocery shelf; names
    # fit cp1250 (the wholesaler's feed repeats them): "mm2", '1/2"'.
    (
        "Wkrętarka akumulatorowa 18V",
        ("bez akumulatora", "z 2 akumulatorami", "w walizce", "zestaw z bitami"),
        "szt.",
        "23",
    ),
    ("Akumulator 18V", ("2,0Ah", "4,0Ah", "5,0Ah", "8,0Ah"), "szt.", "23"),
    ("Ładowarka szybka", ("do 18V", "dwuportowa", "samochodowa 12V"), "szt.", "23"),
    ("Śruby M6", ("(paczka 100 szt.)", "ocynkowane (50 szt.)", "nierdzewne (25 szt.)"), "opak.", "23"),
    (
        "Żarówka LED E27",
        ("ciepła 806 lm", "neutralna 1055 lm", "źródło światła 1521 lm", "ściemnialna"),
        "szt.",
        "23",
    ),
    ("Wiertło do betonu", ("6 mm", "8 mm", "10 mm", "12 mm", "zestaw 5 szt."), "szt.", "23"),
    ("Poziomica aluminiowa", ("40 cm", "60 cm", "100 cm", "magnetyczna 80 cm"), "szt.", "23"),
    ("Taśma izolacyjna", ("czarna", "biała", "żółto-zielona", "czerwona"), "szt.", "23"),
    ('Klucz nasadowy 1/2"', ("zestaw 24 el.", "zestaw 46 el.", "grzechotka"), "kpl.", "23"),
    ("Piła ręczna do drewna", ("400 mm", "500 mm", "płatnica 350 mm"), "szt.", "23"),
    ("Szczypce uniwersalne", ("160 mm", "180 mm", "izolowane 1000 V"), "szt.", "23"),
    ("Przedłużacz bębnowy", ("25 m", "40 m", "50 m z wyłącznikiem"), "szt.", "23"),
    ("Rękawice robocze powlekane", ("rozm. 8", "rozm. 9", "rozm. 10", "zimowe rozm. 10"), "para", "23"),
    ("Kołki rozporowe", ("6×30 (100 szt.)", "8×40 (50 szt.)", "10×50 (25 szt.)"), "opak.", "23"),
    ("Farba emulsyjna biała", ("2,5 l", "5 l", "10 l"), "szt.", "23"),
    ("Pędzel płaski", ("25 mm", "50 mm", "70 mm", "zestaw 3 szt."), "szt.", "23"),
    ("Gwoździe budowlane", ("70 mm (1 kg)", "100 mm (1 kg)", "papiakowe (0,5 kg)"), "kg", "23"),
    ("Latarka czołowa LED", ("200 lm", "450 lm", "z czujnikiem ruchu"), "szt.", "23"),
    ("Przewód elektryczny YDY", ("3×1,5 mm2", "3×2,5 mm2", "5×2,5 mm2"), "m", "23"),
    ("Gniazdo podwójne z uziemieniem", ("białe", "grafitowe", "hermetyczne IP44"), "szt.", "23"),
    ("Młotek ślusarski", ("300 g", "500 g", "1000 g"), "szt.", "23"),
    ("Sekator ogrodowy", ("nożycowy", "kowadełkowy", "z przekładnią"), "szt.", "23"),
    ('Wąż ogrodowy 1/2"', ("20 m", "30 m", "50 m"), "szt.", "23"),
    ("Ziemia uniwersalna", ("20 l", "50 l", "80 l"), "szt.", "8"),
    ("Nasiona trawy sportowej", ("1 kg", "5 kg", "regeneracyjnej 1 kg"), "opak.", "8"),
    ("Sadzonka borówki amerykańskiej", ("w doniczce 2 l", "dwuletnia", "odmiana Bluecrop"), "szt.", "8"),
    ("Nawóz do iglaków", ("1 kg", "3 kg", "długodziałający 5 kg"), "opak.", "8"),
    ("Kawa ziarnista", ("250 g", "1 kg", "bezkofeinowa 500 g"), "opak.", "5"),
    ("Herbata czarna liściasta", ("100 g", "250 g", "z różą 100 g"), "opak.", "5"),
    ("Miód wielokwiatowy", ("400 g", "1,2 kg", "gryczany 400 g"), "słoik", "5"),
    ("Olej rzepakowy tłoczony na zimno", ("0,5 l", "1 l"), "but.", "5"),
    ("Drabina aluminiowa", ("3 stopnie", "6 stopni", "wielofunkcyjna 4×4"), "szt.", "23"),
    ("Silikon sanitarny", ("biały 280 ml", "bezbarwny 280 ml", "szary 280 ml"), "szt.", "23"),
    ("Pianka montażowa", ("750 ml", "niskoprężna 750 ml", "zimowa 750 ml"), "szt.", "23"),
    ("Ćwieki tapicerskie", ("mosiężne (100 szt.)", "czarne (100 szt.)"), "opak.", "23"),
    ("Kabel zasilający do elektronarzędzi", ("2 m", "3 m", "5 m"), "szt.", "23"),
)

_FIRST_NAMES = (
    "Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Zofia", "Józefa", "Łucja", "Żaneta", "Ewa", "Beata",
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Łukasz", "Grzegorz", "Jędrzej", "Mikołaj",
)  # fmt: skip

_LAST_NAMES = (
    ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"), ("Mazur", "Mazur"), ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"), ("Pawłowski", "Pawłowska"), ("Michalski", "Michalska"), ("Król", "Król"),
    ("Wieczorek", "Wieczorek"), ("Jabłoński", "Jabłońska"), ("Gołębiowski", "Gołębiowska"),
)  # fmt: skip

_CITIES = (
    ("Warszawa", "00-", "ul. Marszałkowska"), ("Kraków", "30-", "ul. Długa"), ("Łódź", "90-", "ul. Piotrkowska"),
    ("Wrocław", "50-", "ul. Świdnicka"), ("Poznań", "60-", "ul. Półwiejska"), ("Gdańsk", "80-", "ul. Grunwaldzka"),
    ("Szczecin", "70-", "al. Wojska Polskiego"), ("Bydgoszcz", "85-", "ul. Gdańska"), ("Lublin", "20-", "ul. Źródlana"),
    ("Białystok", "15-", "ul. Lipowa"), ("Katowice", "40-", "ul. Mariacka"), ("Gdynia", "81-", "ul. Świętojańska"),
    ("Częstochowa", "42-", "al. Najświętszej Maryi Panny"), ("Radom", "26-", "ul. Żeromskiego"),
    ("Toruń", "87-", "ul. Szeroka"), ("Zielona Góra", "65-", "ul. Żeglarska"), ("Rzeszów", "35-", "ul. Słowackiego"),
    ("Kielce", "25-", "ul. Sienkiewicza"), ("Olsztyn", "10-", "ul. Pieniężnego"), ("Opole", "45-", "ul. Ozimska"),
)  # fmt: skip

_COMPANIES = (
    "Budmax Sp. z o.o.", "Ogrody Łąckie s.c.", "Przedsiębiorstwo Remontowe „Żuraw”", "Hurt-Bud Dąbrowski",
    "Kawiarnia Pod Złotą Różą", "Elektro-Świat Sp.j.", "Zakład Stolarski Gęślak",
)  # fmt: skip

_PAYMENTS = ("Przelewy24", "PayU", "BLIK", "przelew tradycyjny")

_DELIVERY = (
    ("InPost Paczkomat 24/7", "inpost", Decimal("13.99")),
    ("Kurier DPD", "dpd", Decimal("18.50")),
    ("Poczta Polska – paczka", "poczta", Decimal("16.00")),
    ("Odbiór osobisty – Warszawa", "pickup", Decimal("0.00")),
)


def demo_ean(n: int) -> str:
    """EAN-13 of demo product n: GS1 Poland prefix 590, company 1234, item n, check digit."""
    body = f"5901234{n:05d}"
    return body + ean_check.calc_check_digit(body)


def _nip(rng: random.Random) -> str:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [rng.randint(1, 9), *(rng.randint(0, 9) for _ in range(8))]
        check = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if check < 10:
            value = "".join(map(str, digits)) + str(check)
            assert nip_check.is_valid(value)
            return value


def demo_products() -> list[dict[str, Any]]:
    """HX-0001…HX-0300: SKUs and EANs are the ones of the demo wholesaler's feed."""
    rng = random.Random(300)
    variants = [(name, v, unit, vat) for name, vs, unit, vat in _PRODUCT_LINES for v in vs]
    rows = []
    for n in range(1, PRODUCT_COUNT + 1):
        name, variant, unit, vat = variants[(n - 1) % len(variants)]
        series = (n - 1) // len(variants)
        full = f"{name} {variant}" + (f" – seria {('Pro', 'Eko', 'Max')[series - 1]}" if series else "")
        rows.append(
            {
                "sku": f"HX-{n:04d}",
                "ean": demo_ean(n),
                "name": full,
                "unit": unit,
                "vat_rate": Decimal(vat),
                "weight": Decimal(rng.randint(50, 15000)) / 1000,
                "active": n % 97 != 0,  # a few discontinued items
            }
        )
    return rows


def _prices(products: list[dict[str, Any]]) -> dict[str, Decimal]:
    rng = random.Random(7)
    return {p["sku"]: Decimal(rng.randint(499, 89_999)) / 100 for p in products}


def demo_purchase_prices(products: list[dict[str, Any]]) -> dict[str, Decimal]:
    """The wholesaler's net price of each product: 55–80 % of the net sale price (a margin, never a
    loss: the demo's purchase prices stay below its sale prices)."""
    rng = random.Random(11)
    sale = _prices(products)
    return {
        p["sku"]: (sale[p["sku"]] / (1 + p["vat_rate"] / 100) * Decimal(rng.randint(55, 80)) / 100).quantize(
            Decimal("0.01")
        )
        for p in products
    }


def demo_feed_csv() -> bytes:
    """The demo wholesaler's feed (``resources/feeds/hurtownia-demo.csv``): the catalog's names, VAT and
    units for every HX product it lists, purchase prices below the sale prices, and 5 unknown items."""
    from rexbit_desktop.adapters.feeds.samples import demo_feed_numbers, wholesaler_csv

    products = demo_products()
    purchase = demo_purchase_prices(products)
    catalog = {
        n: (p["name"], purchase[p["sku"]], str(int(p["vat_rate"])), p["unit"])
        for n, p in enumerate(products, start=1)
    }
    return wholesaler_csv(demo_feed_numbers(), unknown=5, catalog=catalog)


def feeds_dir() -> Path:
    return Path(str(resources.files("rexbit_desktop") / "resources" / "feeds"))


def _customer(rng: random.Random, n: int) -> dict[str, dict[str, str | None]]:
    first = rng.choice(_FIRST_NAMES)
    last_m, last_f = rng.choice(_LAST_NAMES)
    last = last_f if first.endswith("a") else last_m
    city, postcode, street = rng.choice(_CITIES)
    name = f"{first} {last}"
    email_name = f"{first}.{last}".lower().translate(str.maketrans("ąćęłńóśźż", "acelnoszz")).replace(" ", "")
    address: dict[str, str | None] = {
        "name": name,
        "company": None,
        "street": f"{street} {rng.randint(1, 180)}"
        + (f"/{rng.randint(1, 60)}" if rng.random() < 0.6 else ""),
        "postcode": f"{postcode}{rng.randint(1, 999):03d}",
        "city": city,
        "country": "PL",
        "email": f"{email_name}{n}@example.pl",
        "phone": f"+48 {rng.randint(500, 899)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        "vat_id": None,
    }
    addresses = {"customer": address, "shipping": dict(address)}
    if rng.random() < 0.25:  # a business customer: invoice to the company, goods to the person
        billing = dict(address)
        billing["company"] = rng.choice(_COMPANIES)
        billing["vat_id"] = _nip(rng)
        addresses["billing"] = billing
    return addresses


# The status an order is in after each step on its way; cancelled orders stop at various points.
_MAIN_PATH = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.AWAITING_FULFILLMENT,
    OrderStatus.PICKING,
    OrderStatus.READY_FOR_SHIPMENT,
    OrderStatus.SHIPPED,
)

_CANCELLED_AFTER = (
    OrderStatus.DRAFT,
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.AWAITING_FULFILLMENT,  # reservations released
    OrderStatus.PICKING,
    OrderStatus.READY_FOR_SHIPMENT,  # the WZ was posted: a storno IN puts the goods back
)


def _plan(rng: random.Random) -> list[tuple[OrderStatus, int]]:
    """(final status, days ago) for every order: older orders are further along."""
    age = {
        OrderStatus.DRAFT: (0, 1),
        OrderStatus.AWAITING_PAYMENT: (0, 3),
        OrderStatus.PAID: (0, 2),
        OrderStatus.AWAITING_FULFILLMENT: (1, 3),
        OrderStatus.PICKING: (1, 3),
        OrderStatus.READY_FOR_SHIPMENT: (1, 4),
        OrderStatus.SHIPPED: (2, 6),
        OrderStatus.COMPLETED: (8, 40),
        OrderStatus.CANCELLED: (3, 30),
        OrderStatus.RETURN_REQUESTED: (10, 20),
        OrderStatus.RETURNED: (15, 35),
    }
    plan = [(status, rng.randint(*age[status])) for status, n in ORDERS_PER_STATUS.items() for _ in range(n)]
    plan.sort(key=lambda p: -p[1])  # numbers grow with the date
    return plan


def _steps_to(final: OrderStatus, k: int, cod: bool) -> list[OrderStatus]:
    """The status changes that lead an order to ``final`` (k picks where a cancelled one stops)."""
    if final is OrderStatus.DRAFT:
        return []
    if final is OrderStatus.CANCELLED:
        stop = _CANCELLED_AFTER[k % len(_CANCELLED_AFTER)]
        path = [] if stop is OrderStatus.DRAFT else list(_MAIN_PATH[: _MAIN_PATH.index(stop) + 1])
        return [*path, OrderStatus.CANCELLED]
    if final in _MAIN_PATH:
        path = list(_MAIN_PATH[: _MAIN_PATH.index(final) + 1])
    else:
        path = [*_MAIN_PATH, OrderStatus.COMPLETED]
        if final is not OrderStatus.COMPLETED:
            path.append(OrderStatus.RETURN_REQUESTED)
        if final is OrderStatus.RETURNED:
            path.append(OrderStatus.RETURNED)
    if cod and OrderStatus.PAID in path and final is not OrderStatus.PAID:
        path.remove(OrderStatus.PAID)  # cash on delivery: straight to the warehouse
    return path


# How many demo orders end in each status: every status of the workflow is present.
ORDERS_PER_STATUS: dict[OrderStatus, int] = {
    OrderStatus.DRAFT: 4,
    OrderStatus.AWAITING_PAYMENT: 6,
    OrderStatus.PAID: 5,
    OrderStatus.AWAITING_FULFILLMENT: 8,
    OrderStatus.PICKING: 5,
    OrderStatus.READY_FOR_SHIPMENT: 5,
    OrderStatus.SHIPPED: 6,
    OrderStatus.COMPLETED: 9,
    OrderStatus.CANCELLED: 6,
    OrderStatus.RETURN_REQUESTED: 3,
    OrderStatus.RETURNED: 3,
}


if __name__ == "__main__":
    from rexbit_desktop.adapters.feeds.samples import write_demo_files

    write_demo_files(demo_feed_csv(), feeds_dir())
