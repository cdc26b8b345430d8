"""``products pull``: our catalog from the shop, idempotent."""

from __future__ import annotations

from sqlalchemy import select

from rexbit_desktop.db.models import IntegrationProductLink, Product
from rexbit_desktop.services.shop.catalog import pull_products
from tests.support.shop import add_shop_product, create_shop_integration, shop_execute


def _catalog(db, integration):  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        rows = uow.session.execute(
            select(IntegrationProductLink.external_id, Product.sku, Product.ean, Product.name)
            .join(Product, Product.id == IntegrationProductLink.product_id)
            .where(IntegrationProductLink.integration_id == integration)
            .order_by(IntegrationProductLink.external_id)
        ).all()
        return {r[0]: tuple(r[1:]) for r in rows}


def test_pull_products_and_combinations_then_again_without_duplicates(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop)
    add_shop_product(shop, 1, reference="KUB-01", ean13="5901234123457", name="Kubek")
    add_shop_product(
        shop, 2, reference="KOSZ", name="Koszulka",
        combinations=[(21, "KOSZ-M", "5901234123464"), (22, None, None)],
    )  # fmt: skip
    add_shop_product(shop, 3, reference=None, name="Bez kodu")
    with db.uow() as uow:  # an existing product of ours with the same SKU is reused, not duplicated
        uow.session.add(Product(sku="KUB-01", name="Stara nazwa"))
        uow.commit()

    first = pull_products(db.uow(), system_actor, integration_id=integration)

    assert (first.shop_products, first.items, first.products_created, first.links_created) == (3, 4, 3, 4)
    assert first.products_updated == 1  # KUB-01: name and EAN from the shop
    assert _catalog(db, integration) == {
        "1:0": ("KUB-01", "5901234123457", "Kubek"),
        "2:21": ("KOSZ-M", "5901234123464", "Koszulka"),
        "2:22": ("KOSZ-22", None, "Koszulka"),
        "3:0": ("PS-3-0", None, "Bez kodu"),
    }

    shop_execute(
        shop, f"UPDATE {shop.t('product_lang')} SET name = 'Kubek duży' WHERE id_product = 1 AND id_lang = 1"
    )
    second = pull_products(db.uow(), system_actor, integration_id=integration)
    assert (second.products_created, second.links_created, second.products_updated) == (0, 0, 1)
    assert _catalog(db, integration)["1:0"][2] == "Kubek duży"
    with db.uow() as uow:
        assert uow.session.query(Product).count() == 4
        assert uow.session.query(IntegrationProductLink).count() == 4
    third = pull_products(db.uow(), system_actor, integration_id=integration)
    assert (third.products_created, third.products_updated, third.links_created, third.links_updated) == (
        0,
        0,
        0,
        0,
    )


def test_two_shop_items_with_one_reference_share_one_product(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop)
    add_shop_product(shop, 1, reference="DUP")
    add_shop_product(shop, 2, reference="dup ")
    result = pull_products(db.uow(), system_actor, integration_id=integration)
    assert result.products_created == 1 and result.links_created == 2
    assert result.duplicate_skus == ["DUP"] or result.duplicate_skus == ["dup"]
