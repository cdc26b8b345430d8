"""A product's sale price with VAT: set by managers (service, CLI), from the catalog CSV, checked as typed."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rexbit_desktop.domain.errors import PermissionDenied, ValidationError
from rexbit_desktop.domain.prices import parse_sale_price
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.catalog import prices
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.orders.product_lookup import find_products_for_order

MANAGER = Actor(login="kierownik", role=Role.MANAGER)
OPERATOR = Actor(login="op", role=Role.OPERATOR)


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("typed", "price"),
    [("129,99", "129.99"), ("1 234.5", "1234.50"), ("0", "0.00"), ("12", "12.00"), ("", None), ("  ", None)],
)
def test_a_price_as_typed(typed: str, price: str | None) -> None:
    assert parse_sale_price(typed) == (Decimal(price) if price else None)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-1", "price_negative"),
        ("1,234", "price_too_precise"),
        ("abc", "price_not_a_number"),
        ("NaN", "price_not_a_number"),
    ],
)
def test_a_bad_price_is_refused_with_a_code(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_sale_price(typed)
    assert info.value.code == code and info.value.params == {"value": typed}


def test_manager_sets_and_clears_the_price_and_the_order_form_sees_it(
    db: Any, system_actor: Actor, tmp_path: Path
) -> None:
    catalog.import_products(
        db.uow(), system_actor, file=write(tmp_path / "p.csv", "sku,name\nHX-1,Wkrętarka\n")
    )
    assert catalog.show_product(db.uow(), system_actor, sku="HX-1").price_gross is None
    shown = prices.set_sale_price(db.uow(), MANAGER, sku="HX-1", price_gross="349,90")
    assert shown.price_gross == Decimal("349.90")
    assert find_products_for_order(db.uow(), OPERATOR, "HX-1")[0].price_gross == Decimal("349.90")
    assert catalog.list_products(db.uow(), OPERATOR).rows[0].price_gross == Decimal("349.90")
    with pytest.raises(PermissionDenied):
        prices.set_sale_price(db.uow(), OPERATOR, sku="HX-1", price_gross="1")
    with pytest.raises(ValidationError):
        prices.set_sale_price(db.uow(), MANAGER, sku="HX-1", price_gross="-5")
    assert catalog.show_product(db.uow(), system_actor, sku="HX-1").price_gross == Decimal("349.90")  # kept
    assert prices.set_sale_price(db.uow(), MANAGER, sku="HX-1", price_gross="").price_gross is None


def test_catalog_csv_sets_prices_from_price_gross_or_cena_brutto(
    db: Any, system_actor: Actor, tmp_path: Path
) -> None:
    path = write(tmp_path / "p.csv", "sku,name,price_gross\nA-1,Młotek,49.99\nB-2,Piła,\n")
    assert catalog.import_products(db.uow(), system_actor, file=path) == catalog.CatalogImportDTO(2, 2, 0, 0)
    assert catalog.show_product(db.uow(), system_actor, sku="A-1").price_gross == Decimal("49.99")
    assert catalog.show_product(db.uow(), system_actor, sku="B-2").price_gross is None
    write(path, "sku;name;cena_brutto\nA-1;Młotek;59,90\nB-2;Piła;120\n")
    assert catalog.import_products(db.uow(), system_actor, file=path) == catalog.CatalogImportDTO(2, 0, 2, 0)
    assert catalog.show_product(db.uow(), system_actor, sku="A-1").price_gross == Decimal("59.90")
    write(path, "sku,name\nA-1,Młotek\n")  # no price column: the price stays
    assert catalog.import_products(db.uow(), system_actor, file=path).unchanged == 1
    assert catalog.show_product(db.uow(), system_actor, sku="A-1").price_gross == Decimal("59.90")
    write(path, "sku,name,price_gross\nA-1,Młotek,-3\nB-2,Piła,1.999\n")
    with pytest.raises(ValidationError) as info:
        catalog.import_products(db.uow(), system_actor, file=path)
    assert (
        "line 2: price_gross '-3'" in info.value.message
        and "line 3: price_gross '1.999'" in info.value.message
    )
    assert catalog.show_product(db.uow(), system_actor, sku="B-2").price_gross == Decimal(
        "120"
    )  # nothing changed


@pytest.mark.slow
def test_products_price_from_the_command_line(
    db: Any, db_url: str, system_actor: Actor, tmp_path: Path
) -> None:
    catalog.import_products(
        db.uow(), system_actor, file=write(tmp_path / "p.csv", "sku,name\nHX-1,Wkrętarka\n")
    )
    rexbit = [str(Path(sys.executable).with_name("rexbit")), "--database-url", db_url]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*rexbit, *args], capture_output=True, text=True, timeout=120)

    done = run("products", "price", "--sku=HX-1", "--gross=129,99", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["price_gross"] == "129.99"
    shown = run("products", "show", "--sku=HX-1", "--json")
    assert json.loads(shown.stdout)["price_gross"] == "129.99"
    listed = run("products", "list", "--json")
    assert json.loads(listed.stdout)["rows"][0]["price_gross"] == "129.99"
    assert "price 129.99 gross" in run("products", "show", "--sku=HX-1").stdout
    refused = run("products", "price", "--sku=HX-1", "--gross=-1")
    assert refused.returncode != 0 and "negative" in refused.stderr and "Traceback" not in refused.stderr
    cleared = run("products", "price", "--sku=HX-1", "--clear")
    assert cleared.returncode == 0 and "HX-1: no price" in cleared.stdout
