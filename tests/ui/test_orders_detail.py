"""The order detail, the settings tab and the new-order form on a real database, per role."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from rexbit_desktop.domain.errors import PermissionDenied
from rexbit_desktop.domain.order_settings import Carrier
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.queries import newest_orders
from rexbit_desktop.services.stock import stock
from rexbit_desktop.ui.orders.detail import OrderDetailDialog
from rexbit_desktop.ui.orders.new_order import NewOrderDialog
from rexbit_desktop.ui.orders.settings_panel import OrderSettingsPanel
from rexbit_desktop.ui.orders.view import OrdersView
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.ui import make_ctx


@pytest.fixture
def order(db, system_actor):  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1", "B-2")
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=10)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty=1)
    return create(db, system_actor, ("A-1", 3), ("B-2", 2))


def _detail(qtbot, ctx, number: str) -> OrderDetailDialog:  # type: ignore[no-untyped-def]
    dialog = OrderDetailDialog(ctx, number)
    qtbot.addWidget(dialog)
    opened: list[Path] = []
    printed: list[tuple[str, Path]] = []

    def viewer(path: Path) -> bool:  # no system PDF viewer in tests
        opened.append(path)
        return True

    def to_pdf_file(printer, _parent, kind: str) -> bool:  # type: ignore[no-untyped-def]
        # The print dialog's answer: Qt's own PDF printer, so the printed pages can be read back.
        out = Path(str(dialog.printing.ctx.setting("test/print_dir"))) / f"printed-{kind}-{len(printed)}.pdf"
        printer.setOutputFormat(printer.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printed.append((kind, out))
        return True

    dialog.open_file = viewer
    dialog.printing.ask = to_pdf_file
    dialog.opened = opened  # type: ignore[attr-defined]
    dialog.printed = printed  # type: ignore[attr-defined]
    dialog.load()
    return dialog


def _column(table, c: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(r, c).text() for r in range(table.rowCount())]


def _combo(combo) -> list[str]:  # type: ignore[no-untyped-def]
    return [combo.itemData(i) for i in range(combo.count())]


def test_detail_shows_every_section(qtbot, ctx, order, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    d = _detail(qtbot, ctx, order.number)
    assert d.windowTitle() == f"Zamówienie {order.number}"
    assert "Szkic" in d.status_label.text()
    assert _column(d.items_table, 0) == ["A-1", "B-2"]
    assert _column(d.items_table, 2) == ["3 szt.", "2 szt."]
    assert "Łódź" in d.addresses_box.findChildren(type(d.status_label))[0].text()
    payment_texts = [w.text() for w in d.payment_box.findChildren(type(d.status_label))]
    assert "przelewy24: 369,00\u00a0zł (Opłacone)" in payment_texts
    assert _column(d.history_table, 2) == ["Szkic"]
    assert _column(d.history_table, 4) == ["Utworzono zamówienie"]
    # only the allowed next statuses are offered (cancelling has its own button)
    assert _combo(d.transition_combo) == ["awaiting_payment", "paid", "awaiting_fulfillment"]
    assert d.cancel_button.isEnabled() and not d.ship_button.isEnabled()
    qtmodeltester.check(d.items_table.model())


def test_operator_runs_the_warehouse_flow_from_the_detail(qtbot, db, order, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR, login="magazynier")
    ctx.set_setting("test/print_dir", str(tmp_path))
    d = _detail(qtbot, ctx, order.number)
    assert not d.cancel_button.isEnabled()  # operators do not cancel
    assert d.cancel_button.toolTip() == "Tylko kierownik może anulować zamówienia."
    changes: list[int] = []
    d.changed.connect(lambda: changes.append(1))

    d.transition_combo.setCurrentIndex(d.transition_combo.findData("awaiting_fulfillment"))
    d.transition_button.click()
    assert "Do realizacji" in d.status_label.text()
    assert _column(d.reservations_table, 0) == ["A-1", "B-2"]
    assert _column(d.reservations_table, 2) == ["3", "1"]  # one B-2 is missing
    assert _column(d.items_table, 8) == ["", "1"]

    d.transition_to("picking")  # reserved in part: the operator is asked first
    assert "częściowo" in ctx.dialogs.confirms[-1][1] and "brakuje 1 szt." in ctx.dialogs.confirms[-1][1]
    assert d.wz_button.isEnabled()
    d.wz_button.click()  # nothing scanned yet: the pick check comes first
    assert "Niezeskanowane: A-1 ×3, B-2 ×2" in ctx.dialogs.infos.pop()[1]
    assert d.lower_tabs.currentWidget() is d.pick_check
    for code in ("A-1", "A-1", "A-1", "B-2", "B-2"):
        assert d.pick_check.scan_code(code)
    assert d.pick_check.complete()
    d.wz_button.click()  # one B-2 is missing: the service refuses, the user reads why
    message, hint, _details = ctx.dialogs.errors.pop()
    assert message.startswith("Nie można wystawić WZ") and "B-2: brakuje 1 w MAG" in message
    assert "rexbit" not in hint and "--" not in hint
    assert "Kompletowanie" in d.status_label.text()
    stock.receive_stock(db.uow(), Actor.system(), sku="B-2", warehouse="MAG", qty=1)  # fills the shortage
    d.reserve_button.click()
    assert ctx.dialogs.errors == [] and _column(d.items_table, 8) == ["", ""]
    assert d.pick_check.complete()  # the scans survive the reloads
    d.wz_button.click()  # enters 'ready_for_shipment', which issues the WZ
    assert ctx.dialogs.errors == []
    assert "Gotowe do wysyłki" in d.status_label.text()
    numbers = _column(d.documents_table, 0)
    assert len(numbers) == 1 and numbers[0].startswith("WZ/")
    assert "WZ/" in d.message_label.text() and not ctx.dialogs.infos  # said in the window, no OK box

    d.open_pdf_button.click()
    assert d.opened[-1].read_bytes().startswith(b"%PDF")  # type: ignore[attr-defined]
    assert str(d.opened[-1]) in d.message_label.text()  # type: ignore[attr-defined]
    d.print_document("packing")
    kind, printed = d.printed[-1]  # type: ignore[attr-defined]
    assert kind == "packing" and printed.read_bytes().startswith(b"%PDF")
    assert "packing-" in d.message_label.text()

    assert d.ship_button.isEnabled()
    d.ship("inpost", "6800123")
    assert "Wysłane" in d.status_label.text()
    assert _column(d.history_table, 2)[-1] == "Wysłane"
    # From 'shipped': completing is the operator's, a return request is the manager's (shown, disabled).
    assert _combo(d.transition_combo) == ["completed", "return_requested"]
    items = d.transition_combo.model()
    assert items.item(0).isEnabled() and not items.item(1).isEnabled()
    assert changes and ctx.dialogs.errors == []

    for ch in "Klient prosi o fakturę":
        d.note_edit.insertPlainText(ch)
    d.note_button.click()
    assert d.notes_list.count() == 1 and "Klient prosi o fakturę" in d.notes_list.item(0).text()
    assert "magazynier" in d.notes_list.item(0).text()


def test_manager_cancels_after_confirming(qtbot, db, order) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER)
    d = _detail(qtbot, ctx, order.number)
    ctx.dialogs.answer = False
    d.cancel_button.click()
    assert "Szkic" in d.status_label.text()
    ctx.dialogs.answer = True
    d.cancel_button.click()
    assert "Anulowane" in d.status_label.text()
    assert d.transition_combo.count() == 0 and not d.cancel_button.isEnabled()


def test_a_refused_action_is_an_error_dialog(qtbot, db, order) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    d = _detail(qtbot, ctx, order.number)
    d.transition_to("cancelled")  # even if the button were reachable, the service refuses
    assert ctx.dialogs.errors and "Szkic" in d.status_label.text()


def test_settings_tab_saves_for_a_manager(qtbot, db, order) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER)
    panel = OrderSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    assert not panel.notice.isVisible() and panel.save_button.isEnabled()
    codes = [panel.status_table.item(r, 0).text() for r in range(panel.status_table.rowCount())]
    assert codes[0] == "draft"
    panel.set_status_colour(codes.index("paid"), "#123456")
    panel.status_table.item(codes.index("paid"), 1).setText("Zapłacone")
    panel.status_table.item(codes.index("paid"), 5).setText("prestashop=2")
    panel.prefix.setText("ZK/")
    panel.expiry.setValue(48)
    panel.issue_wz_on.setCurrentIndex(panel.issue_wz_on.findData("picking"))
    panel.company_edits["name"].setText("Rexbit Sp. z o.o.")
    panel._add_carrier_row(Carrier("gls", "GLS", "https://gls-group.eu/PL/pl/sledzenie?match={tracking}"))
    panel.save()
    assert ctx.dialogs.errors == [] and ctx.dialogs.infos[-1] == ("Ustawienia", "Ustawienia zapisane.")

    saved = order_settings.get_order_settings(db.uow(), ctx.actor)
    assert saved.statuses["paid"].colour == "#123456"
    assert saved.statuses["paid"].label_pl == "Zapłacone"
    assert saved.statuses["paid"].mapping == {"prestashop": "2"}
    assert saved.numbering.prefix == "ZK/"
    assert saved.reservation_expiry_hours == 48
    assert saved.automation.issue_wz_on == "picking"
    assert saved.company.name == "Rexbit Sp. z o.o."
    assert saved.carrier("gls") is not None


def test_settings_tab_is_read_only_for_an_operator(qtbot, db, order) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    panel = OrderSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.load()
    assert panel.notice.isVisible()
    assert not panel.save_button.isEnabled() and panel.prefix.isReadOnly()
    assert panel.status_table.editTriggers() == panel.status_table.EditTrigger.NoEditTriggers
    assert panel.prefix.text() == "ZAM/"  # still shows the settings
    panel.save()  # forced: the service refuses
    assert ctx.dialogs.errors
    with pytest.raises(PermissionDenied):
        order_settings.save_order_settings(db.uow(), ctx.actor, panel.collect())


def test_invalid_settings_are_explained_not_saved(qtbot, db, order) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.ADMIN)
    panel = OrderSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    panel.set_status_colour(0, "czerwony")
    panel.save()
    assert ctx.dialogs.errors and "#1e88e5" in ctx.dialogs.errors[-1][0]
    assert order_settings.get_order_settings(db.uow(), ctx.actor).statuses["draft"].colour == "#9e9e9e"


def test_new_order_by_hand(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    ctx = make_ctx(db, Role.OPERATOR)
    dialog = NewOrderDialog(ctx)
    qtbot.addWidget(dialog)
    created: list[str] = []
    dialog.created.connect(created.append)
    for ch in "Józef Żak":
        dialog.address["name"].insert(ch)
    dialog.address["email"].setText("jozef@example.pl")
    dialog.lines.item(0, 0).setText("A-1")
    dialog.lines.item(0, 2).setText("2")
    dialog.lines.item(0, 3).setText("24,60")
    dialog.submit()
    assert ctx.dialogs.errors == [] and len(created) == 1
    detail = orders.get_order(db.uow(), system_actor, created[0])
    assert detail.customer_name == "Józef Żak" and str(detail.total_gross) in ("49.2000", "49.20")


def test_new_order_without_lines_is_refused(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    dialog = NewOrderDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.submit()
    assert ctx.dialogs.errors[-1][0] == "Dodaj co najmniej jedną pozycję z SKU."


def test_orders_view_opens_detail_and_settings(qtbot, db, order) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    view = OrdersView(ctx)
    qtbot.addWidget(view)
    view.activated()
    assert [r.number for r in view.list_panel.model.rows] == [order.number]
    dialog = view.open_detail(order.number)
    assert isinstance(dialog, OrderDetailDialog) and dialog.order is not None
    view.tabs.setCurrentWidget(view.settings_panel)
    assert view.settings_panel.settings is not None and not view.settings_panel.save_button.isEnabled()
    dialog.close()


@pytest.mark.mysql
def test_detail_of_an_order_from_the_shop_shows_the_shop_order_id_and_reference(qtbot, ctx, db, shop) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shop.orders import sync_orders
    from tests.support.shop import add_shop_order, create_shop_integration, line

    integration = create_shop_integration(db, shop)
    add_shop_order(shop, 123, state=2, lines=[line(9, "10.00", ref="NIEZNANY")], reference="XKBKNABJK")
    assert sync_orders(db.uow(), Actor.system(), integration_id=integration).created == 1
    [summary] = newest_orders(db.uow(), Actor.system())

    d = _detail(qtbot, ctx, summary.number)
    texts = [w.text() for w in d.payment_box.findChildren(type(d.status_label))]
    row = texts.index("Zamówienie w sklepie")
    assert texts[row + 1] == "#123 (ref.\u00a0XKBKNABJK)"
    assert texts[texts.index("Źródło") + 1].startswith("PrestaShop: shop-")


def test_detail_of_an_order_typed_in_has_no_shop_order_row(qtbot, ctx, order) -> None:  # type: ignore[no-untyped-def]
    d = _detail(qtbot, ctx, order.number)
    texts = [w.text() for w in d.payment_box.findChildren(type(d.status_label))]
    assert "Zamówienie w sklepie" not in texts and d.shop_order is None


def test_history_shows_what_automation_did(qtbot, ctx, db, system_actor, order) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.automation import engine, rules
    from rexbit_desktop.services.orders.workflow import OrderWorkflowService

    rules.save_rule(
        db.uow(),
        system_actor,
        {
            "name": "Opłacone do realizacji",
            "event": "status_changed",
            "conditions": [{"field": "to_status", "op": "eq", "value": "paid"}],
            "actions": [
                {"type": "set_status", "status": "awaiting_fulfillment"},
                {"type": "set_tag", "tag": "auto"},
            ],
        },
    )
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "paid")
    engine.process_events(db)
    d = _detail(qtbot, ctx, order.number)
    comments = _column(d.history_table, 4)
    assert comments[-2:] == [
        "Automat: Opłacone do realizacji → Ustaw status: awaiting_fulfillment",
        "Automat: Opłacone do realizacji → Ustaw znacznik: auto",
    ]
    assert _column(d.history_table, 2)[-3] == "Do realizacji"  # the change the rule made, in its place


def test_new_order_form_finds_products_and_prefills_price_vat_company_delivery_payment(
    qtbot, db, system_actor
) -> None:  # type: ignore[no-untyped-def]
    """Product lookup by SKU, EAN or name with the catalog's price and VAT; NIP and billing address; the
    delivery method from the configured carriers; an initial payment."""
    from decimal import Decimal

    from sqlalchemy import text

    add_products(db, "WK-100", "WK-200", "ZZ-1")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE products SET name = 'Wkrętarka 18V', ean = '5901234000017', price_gross = 349.00,"
                " vat_rate = 23 WHERE sku = 'WK-100'"
            )
        )
        conn.execute(text("UPDATE products SET name = 'Nasiona trawy', vat_rate = 8 WHERE sku = 'ZZ-1'"))
    create(db, system_actor, ("ZZ-1", 1))  # sold once at the helper's price: ZZ-1 has no catalog price
    ctx = make_ctx(db, Role.OPERATOR)
    dialog = NewOrderDialog(ctx)
    qtbot.addWidget(dialog)
    carriers = [dialog.delivery.itemText(i) for i in range(dialog.delivery.count())]
    assert "InPost" in carriers and "Odbiór osobisty" in carriers

    qtbot.keyClicks(dialog.search, "5901234000017")  # a scanner's EAN
    assert [c.sku for c in dialog.choices][:1] == ["WK-100"]
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert [dialog.lines.item(0, c).text() for c in range(5)] == [
        "WK-100",
        "Wkrętarka 18V",
        "1",
        "349,00",
        "23",
    ]
    dialog.search.setText("wkręt")  # by name, then the same product again: quantity 2
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.lines.rowCount() == 1 and dialog.lines.item(0, 2).text() == "2"
    qtbot.keyClicks(dialog.search, "zz-")  # by SKU prefix; no catalog price: the last sold one
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.lines.item(1, 0).text() == "ZZ-1" and dialog.lines.item(1, 4).text() == "8"
    assert dialog.lines.item(1, 3).text() != ""

    dialog.address["name"].setText("Jan Nowak")
    dialog.company_invoice.setChecked(True)
    dialog.billing["company"].setText("Nowak Budownictwo Sp. z o.o.")
    dialog.billing["vat_id"].setText("5260250274")
    dialog.billing["street"].setText("ul. Prosta 1")
    dialog.billing["postcode"].setText("00-850")
    dialog.billing["city"].setText("Warszawa")
    dialog.delivery.setCurrentIndex(dialog.delivery.findText("InPost"))
    dialog.payment_amount.setText("100,00")
    dialog.payment_method.setCurrentIndex(dialog.payment_method.findData("transfer"))
    created: list[str] = []
    dialog.created.connect(created.append)
    dialog.submit()
    assert ctx.dialogs.errors == [] and len(created) == 1
    detail = orders.get_order(db.uow(), system_actor, created[0])
    assert detail.delivery_method == "InPost"
    line = next(i for i in detail.items if i.sku == "WK-100")
    assert (line.quantity, line.price_gross, line.vat_rate) == (Decimal(2), Decimal("349.00"), Decimal(23))
    billing = next(a for a in detail.addresses if a.type == "billing")
    assert (billing.company, billing.vat_id, billing.city) == (
        "Nowak Budownictwo Sp. z o.o.",
        "5260250274",
        "Warszawa",
    )
    assert detail.total_paid == Decimal("100.00") and detail.payment_status == "partially_paid"
    assert [(p.provider, p.amount) for p in detail.payments] == [("transfer", Decimal("100.00"))]
