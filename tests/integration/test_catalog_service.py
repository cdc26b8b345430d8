"""Our catalog: CSV import by SKU, the product list (paged, filtered on the server) and detail."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.errors import NotFound, PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services import integrations
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def test_import_creates_then_updates_by_sku(db: Any, system_actor: Actor, tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        "sku,ean,name,unit,vat_rate\n007-A,0012345678905,Wkrętarka,szt.,23\nB-2,,Śruby,opak.,8\n",
    )
    assert catalog.import_products(db.uow(), system_actor, file=path) == catalog.CatalogImportDTO(2, 2, 0, 0)
    write(path, "sku;ean;name\n007-A;0012345678905;Wkrętarka 18V\nB-2;;Śruby\nC-3;96385074;Nowy\n")
    assert catalog.import_products(db.uow(), system_actor, file=path) == catalog.CatalogImportDTO(3, 1, 1, 1)
    p = catalog.show_product(db.uow(), system_actor, sku="007-A")
    assert (p.name, p.ean, p.unit, p.vat_rate) == ("Wkrętarka 18V", "0012345678905", "szt.", Decimal("23"))
    assert catalog.show_product(db.uow(), system_actor, sku="b-2").unit == "opak."  # no unit column: kept
    assert catalog.show_product(db.uow(), system_actor, sku="C-3").unit == "szt."  # new: the default


def test_one_bad_row_imports_nothing(db: Any, system_actor: Actor, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,name,vat_rate\nA,Dobry,23\nA,Powtórka,23\nB,Zły VAT,150\n")
    with pytest.raises(ValidationError) as info:
        catalog.import_products(db.uow(), system_actor, file=path)
    assert "line 3: sku A repeats line 2" in info.value.message
    assert "line 4: vat_rate '150'" in info.value.message
    assert catalog.list_products(db.uow(), system_actor).total == 0
    with pytest.raises(ValidationError, match="no column name"):
        catalog.import_products(db.uow(), system_actor, file=write(tmp_path / "q.csv", "sku,nazwa\nA,B\n"))
    bad = tmp_path / "cp.csv"
    bad.write_bytes("sku,name\nA,Żółw\n".encode("cp1250"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        catalog.import_products(db.uow(), system_actor, file=bad)
    with pytest.raises(PermissionDenied):
        catalog.import_products(db.uow(), Actor(login="op", role=Role.OPERATOR), file=path)


def test_list_pages_filters_and_shows_stock_and_best_offer(
    db: Any, system_actor: Actor, tmp_path: Path
) -> None:
    rows = "".join(f"P-{i:03d},,Produkt {i}{' wiertło' if i % 10 == 0 else ''}\n" for i in range(1, 51))
    catalog.import_products(db.uow(), system_actor, file=write(tmp_path / "p.csv", "sku,ean,name\n" + rows))
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO warehouses (code, name, is_default) VALUES ('MAG1', 'Główny', true), ('MAG2', 'Drugi', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO warehouse_stock_totals (product_id, warehouse_id, on_hand, reserved)"
                " SELECT p.id, w.id, 5, 2 FROM products p, warehouses w WHERE p.sku = 'P-010'"
            )
        )
    # Two suppliers offer P-010: the one in stock wins over the cheaper one without stock.
    for name, stock, price in (("Tani", "0", "1,00"), ("Szybki", "4", "9,00")):
        feed = write(tmp_path / f"{name}.csv", f"Indeks;Stan;Cena\nP-010;{stock};{price}\n")
        integration = integrations.create_integration(db.uow(), system_actor, type="supplier_feed", name=name)
        integrations.create_import_profile(
            db.uow(), system_actor, integration_id=integration.id, name="s", source_location=str(feed),
            format="csv", mappings={"sku": "Indeks", "stock_quantity": "Stan", "purchase_price": "Cena"},
        )  # fmt: skip
        imports.import_now(db.uow, system_actor, integration_id=integration.id)

    page = catalog.list_products(db.uow(), system_actor, offset=10, limit=5)
    assert page.total == 50 and [r.sku for r in page.rows] == ["P-011", "P-012", "P-013", "P-014", "P-015"]
    found = catalog.list_products(db.uow(), system_actor, search="wiertło")
    assert [r.sku for r in found.rows] == ["P-010", "P-020", "P-030", "P-040", "P-050"]
    assert catalog.list_products(db.uow(), system_actor, search="p-04").total == 10  # SKU prefix
    assert catalog.list_products(db.uow(), system_actor, search="50%").total == 0  # no wildcard injection
    row = found.rows[0]
    assert (row.on_hand, row.reserved) == (Decimal(10), Decimal(4))
    assert [(s.warehouse_code, s.on_hand) for s in row.stock] == [("MAG1", 5), ("MAG2", 5)]
    assert row.best_offer is not None and row.best_offer.supplier_name == "Szybki"
    detail = catalog.show_product(db.uow(), system_actor, product_id=row.id)
    assert [o.supplier_name for o in detail.offers] == ["Szybki", "Tani"]
    with pytest.raises(NotFound, match="no product with SKU 'NOPE'"):
        catalog.show_product(db.uow(), system_actor, sku="NOPE")


def test_detail_ranks_offers_as_the_shop_sync_does_and_lists_shop_links(
    db: Any, system_actor: Actor, tmp_path: Path
) -> None:
    """Best offer = highest stock, ties to the fewest delivery days (the rule of domain/availability.py),
    so the operator sees the same offer that the shop sync will publish."""
    catalog.import_products(
        db.uow(), system_actor, file=write(tmp_path / "p.csv", "sku,name\nW-1,Wiertarka\n")
    )
    pid = catalog.show_product(db.uow(), system_actor, sku="W-1").id
    fast = integrations.create_integration(db.uow(), system_actor, type="supplier_feed", name="Szybka")
    big = integrations.create_integration(db.uow(), system_actor, type="supplier_feed", name="Duża")
    tie = integrations.create_integration(db.uow(), system_actor, type="supplier_feed", name="Remis")
    shop = integrations.create_integration(
        db.uow(),
        system_actor,
        type="prestashop_db",
        name="Sklep",
        config={"host": "127.0.0.1", "database": "s", "user": "u", "password": "p"},
    )
    rows = [
        (fast.id, "F1", {"stock_quantity": 5, "delivery_days": 1}),
        (big.id, "B1", {"stock_quantity": 30, "delivery_days": 9}),
        (tie.id, "T1", {"stock_quantity": 30, "delivery_days": 4}),
        (shop.id, "12:0", None),
    ]
    with db.engine.begin() as conn:
        for integration_id, external_id, offer in rows:
            conn.execute(
                text(
                    "INSERT INTO integration_product_links (integration_id, product_id, external_id,"
                    " external_sku, supplier_availability, offer_stock, offer_delivery_days)"
                    " VALUES (:i, :p, :e, 'W-1', CAST(:a AS jsonb), rexbit_offer_stock(CAST(:a AS jsonb)),"
                    " rexbit_offer_delivery_days(CAST(:a AS jsonb)))"
                ),
                {
                    "i": integration_id,
                    "p": pid,
                    "e": external_id,
                    "a": None if offer is None else json.dumps(offer),
                },
            )
    detail = catalog.show_product(db.uow(), system_actor, sku="W-1")
    assert [o.integration_name for o in detail.offers] == ["Remis", "Duża", "Szybka"]
    assert [(s.integration_name, s.external_id) for s in detail.shop_links] == [("Sklep", "12:0")]
    page = catalog.list_products(db.uow(), system_actor, search="W-1")
    assert page.rows[0].best_offer is not None and page.rows[0].best_offer.integration_name == "Remis"
