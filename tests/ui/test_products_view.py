"""Produkty: server-side search, stock per warehouse, best offer, detail with offers, link / unlink,
receive stock (PZ), roles, and a slow service call that does not block the window."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt, QThreadPool, QTimer

from rexbit_desktop.domain.errors import PermissionDenied
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services import integrations
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.stock import stock
from rexbit_desktop.ui.products.view import ProductsView
from tests.support.ui import make_ctx

CATALOG = (
    "sku;ean;name;unit\n"
    "HX-0001;5901234123457;Wiertarka udarowa 750 W;szt.\n"
    "HX-0002;;Śrubokręt krzyżakowy PH2;szt.\n"
    "HX-0003;;Młotek ślusarski 500 g;szt.\n"
    "ZZ-0100;;Taśma izolacyjna czarna;rol.\n"
)
FEED = (
    "Indeks;Stan;Dni;Cena\n"
    "HX-0001;12;2;199,90\n"
    "HX-0002;brak;5;9,50\n"
    "OBCY-77;>10;1;3,20\n"  # the supplier's own code: links only by hand
)


@pytest.fixture
def catalog_data(db, tmp_path):  # type: ignore[no-untyped-def]
    system = Actor.system()
    products = tmp_path / "produkty.csv"
    products.write_text(CATALOG, encoding="utf-8")
    catalog.import_products(db.uow(), system, file=products)
    stock.add_warehouse(db.uow(), system, code="MAG", name="Magazyn główny", default=True)
    stock.add_warehouse(db.uow(), system, code="SKL", name="Sklep")
    stock.receive_stock(db.uow(), system, sku="HX-0001", warehouse="MAG", qty=Decimal(10))
    stock.receive_stock(db.uow(), system, sku="HX-0001", warehouse="SKL", qty=Decimal(3))
    feed = tmp_path / "hurtownia.csv"
    feed.write_bytes(FEED.replace("\n", "\r\n").encode("cp1250"))
    integration = integrations.create_integration(
        db.uow(), system, type="supplier_feed", name="Hurtownia Kowalski"
    )
    integrations.create_import_profile(
        db.uow(),
        system,
        integration_id=integration.id,
        name="Stany",
        source_location=str(feed),
        format="csv",
        mappings={
            "sku": "Indeks",
            "stock_quantity": "Stan",
            "delivery_days": "Dni",
            "purchase_price": "Cena",
        },
    )
    runs = imports.import_now(db.uow, system, integration_id=integration.id)
    assert runs[0].status == "succeeded", runs[0]
    return integration


def _view(qtbot, db, role: Role = Role.OPERATOR, sync: bool = True) -> ProductsView:  # type: ignore[no-untyped-def]
    view = ProductsView(make_ctx(db, role, sync=sync))
    qtbot.addWidget(view)
    return view


def _texts(view: ProductsView, key: str) -> list[str]:
    col = view.model.column_index(key)
    return [view.model.index(r, col).data() for r in range(view.model.rowCount())]


def _select(view: ProductsView, sku: str) -> None:
    row = _texts(view, "sku").index(sku)
    view.table.setCurrentIndex(view.model.index(row, 0))


def test_list_shows_stock_per_warehouse_and_best_offer(qtbot, db, catalog_data, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db)
    view.refresh()
    qtmodeltester.check(view.model)
    assert _texts(view, "sku") == ["HX-0001", "HX-0002", "HX-0003", "ZZ-0100"]
    assert view.count_label.text() == "Produkty: 4"
    row = _texts(view, "sku").index("HX-0001")
    assert _texts(view, "on_hand")[row] == "13"
    assert _texts(view, "available")[row] == "13"
    assert _texts(view, "per_warehouse")[row] == "MAG: 10/0/10 · SKL: 3/0/3"
    best = _texts(view, "best_offer")[row]
    assert "Hurtownia Kowalski" in best and "12" in best and "2 dni" in best and "199,90\u00a0zł" in best
    assert _texts(view, "best_offer")[_texts(view, "sku").index("HX-0003")] == ""
    headers = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert headers == ["SKU", "EAN", "Nazwa"]


def test_search_runs_on_the_server_and_is_remembered(qtbot, db, catalog_data) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db)
    view.show()
    view.refresh()
    view.focus_search()  # Ctrl+F (offscreen windows are never active: check where the focus would be)
    assert view.focusWidget() is view.search_edit
    view.search_edit.setText("młotek")  # name, case-insensitive, Polish letters
    view.refresh()
    assert _texts(view, "sku") == ["HX-0003"]
    view.search_edit.setText("5901234123457")  # EAN
    view.refresh()
    assert _texts(view, "sku") == ["HX-0001"]
    qtbot.keyClicks(view.search_edit, "")  # typing restarts the debounce timer; it fires by itself
    view.search_edit.setText("hx-")
    qtbot.waitUntil(lambda: _texts(view, "sku") == ["HX-0001", "HX-0002", "HX-0003"], timeout=3000)
    again = ProductsView(view.ctx)  # the last filters are remembered per user
    qtbot.addWidget(again)
    assert again.search_edit.text() == "hx-"
    again.filters.clear_button.click()
    assert again.search_edit.text() == "" and again.model.rowCount() == 4
    # Enter on a row opens its detail and moves to the offers
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(1, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.detail is not None and view.detail.sku == "HX-0002"
    assert view.focusWidget() is view.offers_table


def test_detail_shows_every_offer_and_manual_link_unlink(qtbot, db, catalog_data, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db, Role.OPERATOR)
    view.refresh()
    _select(view, "ZZ-0100")
    assert view.detail is not None and view.detail.sku == "ZZ-0100"
    assert view.offers_model.rowCount() == 0
    assert view.link_button.isEnabled() and not view.unlink_button.isEnabled()

    # the supplier's item OBCY-77 is unlinked: the link dialog offers it
    view.link_button.click()
    dialog = view.link_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    assert dialog.feed_combo.currentText() == "Hurtownia Kowalski (Hurtownia Kowalski)"
    assert [o.external_id for o in dialog.model.rows()] == ["OBCY-77"]
    qtbot.keyClicks(dialog.filter_edit, "nic-takiego")
    assert dialog.model.rowCount() == 0
    dialog.filter_edit.clear()
    qtbot.keyClicks(dialog.filter_edit, "obcy")
    assert dialog.selected() is not None
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible()
    assert [o.external_id for o in view.offers_model.rows()] == ["OBCY-77"]
    qtmodeltester.check(view.offers_model)
    qtmodeltester.check(view.stock_model)
    assert view.offers_model.index(0, 8).data() == "ręczne"
    assert catalog.show_product(db.uow(), Actor.system(), sku="ZZ-0100").offers[0].link_source == "manual"
    row = _texts(view, "sku").index("ZZ-0100")
    assert "Hurtownia Kowalski" in _texts(view, "best_offer")[row]

    view.offers_table.selectRow(0)
    assert view.unlink_button.isEnabled()
    view.unlink_button.click()
    assert view.ctx.dialogs.confirms and "Odłączyć" in view.ctx.dialogs.confirms[-1][0]
    assert view.offers_model.rowCount() == 0
    assert catalog.show_product(db.uow(), Actor.system(), sku="ZZ-0100").offers == []
    assert view.ctx.dialogs.errors == []


def test_receive_stock_posts_a_pz_and_updates_the_list(qtbot, db, catalog_data, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db, Role.OPERATOR)
    view.refresh()
    _select(view, "HX-0002")
    view.receive_button.click()
    assert view.receive_dialog is not None and view.receive_dialog.qty.decimals() == 0  # pieces are whole
    view.receive_dialog.reject()

    _select(view, "ZZ-0100")  # sold in rolls: fractions allowed
    assert view.receive_button.isEnabled()
    view.receive_button.click()
    dialog = view.receive_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    assert dialog.warehouse_combo.currentData() == "MAG"  # the default warehouse first
    dialog.warehouse_combo.setCurrentIndex(dialog.warehouse_combo.findData("SKL"))
    dialog.qty.setValue(7.5)
    assert "7,500" in dialog.qty.text()  # Polish decimal comma
    qtbot.keyClicks(dialog.price, "8,10")
    for ch in "dostawa środa":
        qtbot.keyClick(dialog.comment, ch) if ch.isascii() else dialog.comment.insert(ch)
    assert dialog.values() == {
        "warehouse": "SKL",
        "qty": Decimal("7.5"),
        "price_net": Decimal("8.10"),
        "comment": "dostawa środa",
    }
    dialog.accept()
    assert view.ctx.dialogs.errors == []
    assert "PZ" in view.message and "7,5" in view.message and "SKL" in view.message
    row = _texts(view, "sku").index("ZZ-0100")
    assert _texts(view, "on_hand")[row] == "7,5"
    assert [(s.warehouse_code, s.on_hand) for s in view.stock_model.rows()] == [("SKL", Decimal("7.5"))]
    qtmodeltester.check(view.stock_model)
    level = stock.product_stock(db.uow(), Actor.system(), sku="ZZ-0100")
    assert level.on_hand == Decimal("7.5")


def test_a_refused_action_is_an_error_dialog(qtbot, db, catalog_data) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db, Role.OPERATOR)
    view.refresh()
    _select(view, "HX-0003")
    view.receive_stock({"warehouse": "NIEMA", "qty": Decimal(1), "price_net": None, "comment": None})
    assert len(view.ctx.dialogs.errors) == 1
    message, _hint, _details = view.ctx.dialogs.errors[0]
    assert "NIEMA" in message and "Traceback" not in message


def test_roles_without_rights_see_buttons_disabled_and_services_refuse(
    qtbot, db, catalog_data, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.domain import roles

    # Every role may receive and link today; a role without those rights must see them off.
    reduced = roles.ROLE_PERMISSIONS[Role.OPERATOR] - {
        roles.Permission.STOCK_RECEIVE,
        roles.Permission.INTEGRATIONS_RUN,
    }
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.OPERATOR, frozenset(reduced))
    view = _view(qtbot, db, Role.OPERATOR)
    view.refresh()
    _select(view, "HX-0001")
    assert view.detail is not None
    assert not view.receive_button.isEnabled() and not view.link_button.isEnabled()
    view.offers_table.selectRow(0)
    assert not view.unlink_button.isEnabled()
    with pytest.raises(PermissionDenied):
        stock.receive_stock(db.uow(), view.ctx.actor, sku="HX-0001", warehouse="MAG", qty=1)
    view.receive_stock({"warehouse": "MAG", "qty": Decimal(1), "price_net": None, "comment": None})
    assert view.ctx.dialogs.errors and "Nie masz uprawnień" in view.ctx.dialogs.errors[-1][0]
    view.link_item(catalog_data.id, "OBCY-77")
    assert len(view.ctx.dialogs.errors) == 2
    assert stock.product_stock(db.uow(), Actor.system(), sku="HX-0001").on_hand == Decimal(13)


def test_slow_product_search_does_not_block_the_window(qtbot, db, catalog_data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db, sync=False)
    view.ctx.runner.pool = QThreadPool()
    real = catalog.list_products

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.6)
        return real(*args, **kwargs)

    monkeypatch.setattr(catalog, "list_products", slow)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    view.refresh()
    assert view.model.loading and view.model.rowCount() == 0  # the call returned at once
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=10000)
    timer.stop()
    assert len(ticks) >= 10
    view.ctx.runner.wait()


def test_only_active_products(qtbot, db, catalog_data) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.db.models import Product  # test setup only: no service deactivates a product yet

    with db.uow() as uow:
        uow.session.query(Product).filter(Product.sku == "HX-0003").update({"active": False})
        uow.commit()
    view = _view(qtbot, db)
    view.refresh()
    assert "HX-0003" in _texts(view, "sku")
    combo = view.filters.combos["status"]
    combo.setCurrentIndex(combo.findData("active"))  # the filter bar reloads by itself
    assert _texts(view, "sku") == ["HX-0001", "HX-0002", "ZZ-0100"]
    assert view.count_label.text() == "Produkty: 3"


def test_the_detail_follows_a_search_that_narrows_the_list(qtbot, db, catalog_data) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db)
    view.refresh()
    _select(view, "HX-0001")
    assert view.detail is not None and view.detail.sku == "HX-0001"
    view.search_edit.setText("młotek")  # the list now holds only HX-0003
    view.refresh()
    assert _texts(view, "sku") == ["HX-0003"]
    assert view.detail is not None and view.detail.sku == "HX-0003"  # not the old product any more
    view.search_edit.setText("nic-takiego-nie-ma")
    view.refresh()
    assert view.model.rowCount() == 0 and view.detail is None
    assert view.detail_title.text() == "Wybierz produkt."


def test_manager_edits_the_sale_price_checked_in_polish(qtbot, db, catalog_data) -> None:  # type: ignore[no-untyped-def]
    operator = _view(qtbot, db, Role.OPERATOR)
    operator.refresh()
    _select(operator, "HX-0002")
    assert not operator.edit_button.isEnabled()  # operators do not edit products

    view = _view(qtbot, db, Role.MANAGER)
    view.refresh()
    _select(view, "HX-0002")
    assert view.edit_button.isEnabled() and view.edit_button.text() == "Edytuj produkt…"
    assert "bez ceny" in view.detail_title.text()
    view.edit_button.click()
    dialog = view.edit_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.addWidget(dialog)
    for typed, said in (
        ("-5", "Cena nie może być ujemna („-5”)."),
        ("12,345", "Cena „12,345” ma więcej niż dwa miejsca po przecinku."),
        ("dwadzieścia", "Cena „dwadzieścia” nie jest liczbą. Wpisz cenę brutto, np. 129,99."),
    ):
        dialog.price.setText(typed)
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        assert dialog.isVisible() and dialog.error_label.text() == said  # stays open, nothing saved
    assert catalog.show_product(db.uow(), Actor.system(), sku="HX-0002").price_gross is None
    dialog.price.setText("1 249,90")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible() and view.ctx.dialogs.errors == []
    assert catalog.show_product(db.uow(), Actor.system(), sku="HX-0002").price_gross == Decimal("1249.90")
    assert view.message == "Zapisano cenę sprzedaży." and "1249,90" in view.detail_title.text().replace(
        "\xa0", ""
    ).replace(" ", "")

    view.edit_button.click()  # a blank price clears it
    assert view.edit_dialog is not None and view.edit_dialog.price.text() == "1\xa0249,90"
    qtbot.addWidget(view.edit_dialog)
    view.edit_dialog.price.setText("")
    view.edit_dialog.accept()
    assert catalog.show_product(db.uow(), Actor.system(), sku="HX-0002").price_gross is None
