"""Realistic sample feeds (the demo's wholesaler CSV, benchmark feeds).

Deterministic: the same arguments give the same bytes. The committed
``resources/feeds/hurtownia-demo.csv`` is the demo catalog's feed (its names, VAT, units and purchase
prices below the demo's sale prices): regenerate it with ``python -m rexbit_desktop.services.demo_data``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from stdnum import ean as stdnum_ean

FEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "feeds"

DEMO_FEED = "hurtownia-demo.csv"
DEMO_PROFILE = "hurtownia-demo.profile.json"

_NAMES = [
    "Wkrętarka akumulatorowa 18V; zestaw",
    "Akumulator 18V 4,0Ah",
    "Ładowarka szybka",
    "Śruby M6 (paczka 100 szt.)",
    "Żarówka LED E27 źródło światła",
    "Wiertło do betonu 8 mm",
    "Młotek ciesielski 600 g",
    "Poziomica aluminiowa 60 cm",
    "Taśma izolacyjna czarna",
    'Klucz nasadowy 1/2" zestaw',
    "Piła ręczna do drewna",
    "Szczypce uniwersalne 180 mm",
    "Przedłużacz bębnowy 25 m",
    "Rękawice robocze powlekane",
    "Kołki rozporowe 8×40 (50 szt.)",
    "Farba emulsyjna biała 10 l",
    "Pędzel płaski 50 mm",
    "Silikon sanitarny bezbarwny",
    "Gwoździe budowlane 100 mm (1 kg)",
    "Latarka czołowa LED",
]
_UNITS = ["szt.", "szt.", "szt.", "opak.", "kpl.", "kg"]
_DELIVERY = ["24h", "24h", "48h", "3-5 dni", "14 dni", "", "7 dni"]


def demo_ean(number: int) -> str:
    """The EAN-13 of demo product ``HX-<number>`` (GS1 Poland prefix 590, valid check digit)."""
    body = f"59012340{number:04d}"
    return body + stdnum_ean.calc_check_digit(body)


def demo_sku(number: int) -> str:
    return f"HX-{number:04d}"


def _pl_price(value: float, rng: random.Random) -> str:
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
    # Wholesalers' spreadsheets write thousands with a no-break space.
    if " " in text and rng.random() < 0.5:
        text = text.replace(" ", "\u00a0")
    return text


def _stock_text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.12:
        return "brak"
    if r < 0.25:
        return ">10"
    if r < 0.35:
        return "0"
    return str(rng.randint(1, 60))


def wholesaler_csv(
    numbers: list[int],
    *,
    seed: int = 4,
    unknown: int = 0,
    encoding: str = "cp1250",
    with_ean: bool = True,
    catalog: Mapping[int, tuple[str, Decimal, str, str]] | None = None,
) -> bytes:
    """A Polish wholesaler CSV: ``;``, decimal comma, CRLF, ``>10``/``brak``, quoted ``;``, cp1250.

    ``catalog``: per product number its (name, net purchase price, VAT, unit), for a feed that agrees
    with a catalog (the demo's); otherwise names, prices, VAT and units are made up."""
    rng = random.Random(seed)
    lines = ["Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka"]
    rows = [(demo_sku(n), demo_ean(n) if with_ean else "", n) for n in numbers]
    rows += [(f"ZZ-{9000 + i}", "", 9000 + i) for i in range(unknown)]
    for sku, ean, n in rows:
        known = catalog.get(n) if catalog is not None and sku.startswith("HX-") else None
        name = known[0] if known else _NAMES[n % len(_NAMES)]
        if ";" in name or '"' in name:
            name = '"' + name.replace('"', '""') + '"'
        # Some wholesalers drop the EAN of a few items.
        shown_ean = "" if with_ean and n % 17 == 0 else ean
        price = _pl_price(float(known[1]) if known else rng.uniform(1.5, 2500), rng)
        vat = rng.choice(["23", "23", "8"])
        delivery = rng.choice(_DELIVERY)
        unit = rng.choice(_UNITS)
        if known:
            vat, unit = known[2], known[3]
        lines.append(";".join([sku, shown_ean, name, _stock_text(rng), price, vat, delivery, unit]))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def demo_profile(source_location: str = DEMO_FEED) -> dict[str, object]:
    """The import profile matching ``hurtownia-demo.csv`` (what ``integration task-create`` reads)."""
    return {
        "name": "Hurtownia Demo – stany i ceny",
        "source_location": source_location,
        "format": "csv",
        "options": {"delimiter": ";", "encoding": "cp1250", "decimal": ",", "zero_missing": True},
        "mappings": {
            "sku": "Indeks",
            "ean": "EAN",
            "stock_quantity": "Stan",
            "delivery_days": "Termin dostawy",
            "purchase_price": "Cena netto",
        },
    }


def demo_feed_numbers() -> list[int]:
    """The demo products present in the demo feed: most of HX-0001…HX-0300, not all."""
    return [n for n in range(1, 301) if n % 11 != 0]


def write_demo_files(feed: bytes, directory: Path = FEEDS_DIR) -> None:
    """Write the demo feed (``services.demo_data.demo_feed_csv``) and its profile."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DEMO_FEED).write_bytes(feed)
    (directory / DEMO_PROFILE).write_text(
        json.dumps(demo_profile(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def demo_feed_path() -> Path:
    return FEEDS_DIR / DEMO_FEED


def demo_profile_path() -> Path:
    return FEEDS_DIR / DEMO_PROFILE
