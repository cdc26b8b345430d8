"""Issue 15 in the GUI (real widgets, real PostgreSQL, real MariaDB shop): the shop panel's stock tab
(settings, last push, *Wyślij stany*) and the product detail's shop stock next to what rexbit would write."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.stock import stock
from rexbit_desktop.ui.integrations.view import IntegrationsView
from rexbit_desktop.ui.products.view import ProductsView
from tests.support.shop import add_our_product, add_shop_product, create_shop_integration
from tests.support.ui import make_ctx

pytestmark = pytest.mark.mysql


def shop_quantity(shop, id_product: int) -> int:  # type: ignore[no-untyped-def]
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT quantity FROM {shop.t('stock_available')} WHERE id_product = %s AND id_product_attribute = 0",
            (id_product,),
        )
        (value,) = cur.fetchone()
    conn.close()
    return int(value)


@pytest.fixture
def linked(db, shop) -> int:  # type: ignore[no-untyped-def]
    system = Actor.system()
    stock.add_warehouse(db.uow(), system, code="MAG", name="Magazyn", default=True)
    integration = create_shop_integration(db, shop, stock_sync="on", stock_buffer=1)
    add_shop_product(shop, 5, reference="LAMPA")
    add_our_product(db, sku="LAMPA", shop_integration=integration, external_id="5:0")
    stock.receive_stock(db.uow(), system, sku="LAMPA", warehouse="MAG", qty="10")
    return integration


def test_shop_panel_shows_stock_settings_and_pushes_stock(qtbot, db, shop, linked) -> None:  # type: ignore[no-untyped-def]
    view = IntegrationsView(make_ctx(db, Role.MANAGER, sync=True))
    qtbot.addWidget(view)
    view.refresh()
    view.select_integration(linked)
    panel = view.stock_panel
    tabs = [view.shop_tabs.tabText(i) for i in range(view.shop_tabs.count())]
    assert "Stany w sklepie" in tabs
    settings = panel.settings_label.text()
    assert "Synchronizacja stanów: włączone" in settings and "MAG (magazyn domyślny)" in settings
    assert "Bufor na produkt: 1" in settings and "czekają na wysłanie: 1" in settings
    assert panel.last_label.text() == "Ostatnie wysłanie: jeszcze nie było"
    assert panel.push_button.text() == "Wyślij stany" and panel.push_button.isEnabled()

    panel.push_button.click()

    assert view.ctx.dialogs.errors == []
    assert view.message.startswith("Wysyłanie stanów: zakończone; sprawdzono 1, zapisano 1"), view.message
    assert shop_quantity(shop, 5) == 9
    last = panel.last_label.text()
    assert "zakończone, zapisano 1 z 1" in last and "Zamówienia sklepu jeszcze niepobrane: 0" in last
    assert "czekają na wysłanie: 0" in panel.settings_label.text()
    assert [r.kind for r in view.sync_model.rows()] == ["stock"]


def test_with_stock_sync_off_only_a_dry_run_may_be_started(qtbot, db, shop, linked) -> None:  # type: ignore[no-untyped-def]
    from tests.support.shop import set_shop_config

    set_shop_config(db, linked, stock_sync="off")
    view = IntegrationsView(make_ctx(db, Role.OPERATOR, sync=True))
    qtbot.addWidget(view)
    view.refresh()
    view.select_integration(linked)
    panel = view.stock_panel
    assert "Synchronizacja stanów: wyłączone" in panel.settings_label.text()
    assert not panel.push_button.isEnabled()
    assert "wyłączona" in panel.push_button.toolTip()
    panel.dry_run_check.setChecked(True)
    panel.update_button()
    assert panel.push_button.isEnabled()
    panel.push_button.click()
    assert view.ctx.dialogs.errors == []
    assert "sprawdzono 1, zapisano 0" in view.message and shop_quantity(shop, 5) == 7


def test_product_detail_shows_the_shop_value_next_to_ours(qtbot, db, shop, linked) -> None:  # type: ignore[no-untyped-def]
    view = ProductsView(make_ctx(db, Role.OPERATOR, sync=True))
    qtbot.addWidget(view)
    view.refresh()
    view.table.setCurrentIndex(view.model.index(0, 0))
    box = view.shop_stock
    m = box.model
    headers = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    assert "W sklepie teraz" in headers and "rexbit zapisze" in headers
    [line] = m.rows()
    assert (line.external_id, line.shop_quantity, line.rexbit_quantity) == ("5:0", 7, 9)
    assert shop_quantity(shop, 5) == 7  # showing it wrote nothing
