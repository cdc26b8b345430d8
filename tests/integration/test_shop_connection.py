"""``integration test``: what the connection check finds in real PrestaShop schemas on MariaDB."""

from __future__ import annotations

import pytest

from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.services.shop.availability import sync_availability
from rexbit_desktop.services.shop.connection import check_shop_connection
from tests.support.shop import (
    Offer,
    add_our_product,
    add_shop_product,
    create_shop_integration,
    create_supplier,
    product_texts,
    shop_execute,
    stock_rows,
)


def _check(db, actor, integration_id):  # type: ignore[no-untyped-def]
    return check_shop_connection(db.uow(), actor, integration_id=integration_id)


def test_fixture_shop_is_ok_with_unknown_version_per_shop_keying_and_two_languages(
    db, shop, system_actor
) -> None:  # type: ignore[no-untyped-def]
    report = _check(db, system_actor, create_shop_integration(db, shop))
    assert report.ok, report.problems
    assert report.connected and report.server_version
    assert report.prestashop_version == "unknown"  # the fixture stores no PS_VERSION_DB
    assert report.schema_line.startswith("8.1 or newer")
    assert (report.id_shop, report.id_shop_group, report.share_stock) == (1, 1, False)
    assert "id_shop=1, id_shop_group=0" in report.stock_keying
    assert [(lang.id_lang, lang.iso_code, lang.synced) for lang in report.languages] == [
        (1, "pl", True),
        (2, "en", True),
    ]
    assert report.default_language_id == 1
    assert report.combination_texts == ["available_now", "available_later"]
    assert shop.password not in str(report) or shop.password == ""


def test_reports_version_and_shared_stock(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    shop_execute(
        shop,
        f"INSERT INTO {shop.t('configuration')} (name, value, date_add, date_upd) VALUES ('PS_VERSION_DB', '9.0.1', NOW(), NOW())",
    )
    shop_execute(shop, f"UPDATE {shop.t('shop_group')} SET share_stock = 1")
    report = _check(db, system_actor, create_shop_integration(db, shop))
    assert report.ok
    assert report.prestashop_version == "9.0.1"
    assert report.share_stock is True and "id_shop=0, id_shop_group=1" in report.stock_keying


def test_wrong_prefix_is_a_problem(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    report = _check(db, system_actor, create_shop_integration(db, shop, prefix="ps_"))
    assert not report.ok
    assert any("prefix 'ps_'" in p for p in report.problems)
    assert any(p == "missing table ps_stock_available" for p in report.problems)


def test_missing_column_is_a_problem(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    shop_execute(shop, f"ALTER TABLE {shop.t('product_lang')} DROP COLUMN available_later")
    report = _check(db, system_actor, create_shop_integration(db, shop))
    assert not report.ok
    assert report.problems == [f"missing column {shop.prefix}product_lang.available_later"]


def test_missing_order_table_or_column_is_a_problem(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    # The availability sync would work; the orders import (every 10 minutes by schedule) would not.
    shop_execute(shop, f"ALTER TABLE {shop.t('order_carrier')} DROP COLUMN tracking_number")
    shop_execute(shop, f"DROP TABLE {shop.t('order_history')}")
    report = _check(db, system_actor, create_shop_integration(db, shop))
    assert not report.ok
    assert sorted(report.problems) == sorted(
        [
            f"orders import: missing table {shop.prefix}order_history",
            f"orders import: missing {shop.prefix}order_carrier.tracking_number",
        ]
    )


def test_unreachable_host_is_a_problem_not_a_traceback(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    report = _check(db, system_actor, create_shop_integration(db, shop, port=1, connect_timeout=2))
    assert not report.ok and not report.connected
    assert "Cannot connect to the shop database" in report.problems[0]


def test_language_not_in_the_shop_is_a_problem(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    report = _check(db, system_actor, create_shop_integration(db, shop, languages=[1, 7]))
    assert not report.ok
    assert "Language id(s) 7" in report.problems[0]


def test_old_17_schema_is_detected_and_synced_without_combination_texts(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    # PrestaShop 1.7.7: no product_attribute_lang (8.1) and no product.product_type (1.7.8).
    shop_execute(shop, f"DROP TABLE {shop.t('product_attribute_lang')}")
    shop_execute(shop, f"ALTER TABLE {shop.t('product')} DROP COLUMN product_type")
    integration = create_shop_integration(db, shop)
    report = _check(db, system_actor, integration)
    assert report.ok, report.problems
    assert report.schema_line.startswith("1.7.7 or older")
    assert report.combination_texts == []

    conn = shop.connect()
    with conn.cursor() as cur:  # the helper writes product_attribute_lang: build this product by hand
        cur.execute(
            f"INSERT INTO {shop.t('product')} (id_product, id_tax_rules_group, date_add, date_upd, date_novelty)"
            " VALUES (1, 1, NOW(), NOW(), NOW())"
        )
        cur.execute(
            f"INSERT INTO {shop.t('product_lang')} (id_product, id_shop, id_lang, link_rewrite, name) VALUES (1, 1, 1, 'p', 'P')"
        )
        cur.execute(
            f"INSERT INTO {shop.t('product_attribute')} (id_product_attribute, id_product) VALUES (11, 1)"
        )
        cur.execute(
            f"INSERT INTO {shop.t('stock_available')} (id_product, id_product_attribute, id_shop, id_shop_group)"
            " VALUES (1, 0, 1, 0), (1, 11, 1, 0)"
        )
    conn.close()
    supplier = create_supplier(db)
    add_our_product(
        db, sku="C-11", shop_integration=integration, external_id="1:11", offers={supplier: Offer(50, 2)}
    )
    result = sync_availability(db.uow(), system_actor, integration_id=integration)
    assert (result.status, result.written) == ("succeeded", 1)
    assert stock_rows(shop)[(1, 11, 1, 0)][0] == 1
    assert product_texts(shop)[(1, 1)][1].startswith("Dostępny u dostawcy")


def test_unknown_or_wrong_integration(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        _check(db, system_actor, 999)
    supplier, _ = create_supplier(db)
    with pytest.raises(ValidationError, match="not a PrestaShop database"):
        _check(db, system_actor, supplier)
    add_shop_product(shop, 1)  # keeps the fixture honest: a product can be added with this schema
