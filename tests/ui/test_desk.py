"""The desk (issue 17): the GUI speaks the operator's language, bulk work on the list, printing, scanning.

Real widgets on a real database; PDFs printed through Qt's own PDF printer and read back.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QShortcut
from PySide6.QtWidgets import QApplication, QMessageBox, QStyle

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Role
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders.workflow import transition_order
from rexbit_desktop.services.stock import stock
from rexbit_desktop.ui.dialogs import DialogService
from rexbit_desktop.ui.i18n import set_language, tn
from rexbit_desktop.ui.orders.detail import OrderDetailDialog
from rexbit_desktop.ui.orders.list_panel import OrderListPanel
from rexbit_desktop.ui.orders.printing import default_pdf_folder, pdf_folder
from rexbit_desktop.ui.orders.settings_panel import OrderSettingsPanel
from rexbit_desktop.ui.orders.ship_dialog import ShipDialog
from rexbit_desktop.ui.orders.view import OrdersView
from rexbit_desktop.ui.runner import TaskError
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.ui import make_ctx


@pytest.fixture
def stocked(db, system_actor):  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1", "B-2")
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=100)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty=1)
    return system_actor


def _printer_to(tmp_path: Path, printed: list[Path]):  # type: ignore[no-untyped-def]
    def ask(printer, _parent, kind: str) -> bool:  # type: ignore[no-untyped-def]
        out = tmp_path / f"printed-{kind}-{len(printed)}.pdf"
        printer.setOutputFormat(printer.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printed.append(out)
        return True

    return ask


# -- defect 1: no CLI text, no traceback ---------------------------------------------------------
def test_error_dialog_is_phrased_by_the_ui_with_copy_details(qtbot) -> None:  # type: ignore[no-untyped-def]
    error = TaskError(
        ValidationError("Give the tracking number (--tracking=...).", code="tracking_required"),
        "Traceback (most recent call last):\n  File x\nValidationError",
    )
    box = DialogService().error_box(None, error)
    qtbot.addWidget(box)
    assert box.text() == "Wpisz numer przesyłki."
    assert box.detailedText() == ""  # no traceback in the dialog (no "Show Details...")
    assert [b.text() for b in box.buttons()] == ["Zamknij", "Kopiuj szczegóły"]
    box.show()
    box.findChild(QMessageBox, None)
    copy = next(b for b in box.buttons() if b.objectName() == "copy_details")
    copy.click()
    assert box.isVisible()  # copying keeps the message open
    assert "Traceback" in QGuiApplication.clipboard().text()


def test_service_messages_lose_their_command_line_hints() -> None:
    from rexbit_desktop.domain.errors import NotFound
    from rexbit_desktop.ui.dialogs import describe_error

    message, hint, _ = describe_error(
        NotFound("Order X has no reservation yet.", hint="Reserve it: rexbit orders reserve X")
    )
    assert "rexbit" not in message + hint
    message, hint, _ = describe_error(
        ValidationError("Cannot issue a WZ (rexbit stock receive).", hint="Use --force.")
    )
    assert "rexbit" not in message and "--" not in message and hint == ""


def test_ship_dialog_keeps_what_was_typed_and_knows_the_carriers_rule(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ShipDialog(
        "ZAM/1", [("inpost", "InPost"), ("pickup", "Odbiór osobisty")], tracking_optional=["pickup"]
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.accept()  # InPost without a tracking number: the dialog says why and stays open
    assert dialog.isVisible() and dialog.result() != dialog.DialogCode.Accepted
    assert dialog.problem.text() == "Przewoźnik InPost wymaga numeru przesyłki dla każdej paczki."
    dialog.carrier.setCurrentIndex(1)  # personal pickup needs none
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted


# -- defect 2: Qt's dialogs in Polish, No by default ---------------------------------------------
def test_qt_dialogs_are_polish_and_destructive_questions_default_to_no(qtbot) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.ui.app import install_qt_translations

    app = QApplication.instance()
    translators = install_qt_translations(app, "pl")  # type: ignore[arg-type]
    try:
        assert translators, "qtbase_pl.qm ships with PySide6"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Anuluj"
        assert QCoreApplication.translate("QFileDialog", "Look in:") != "Look in:"
    finally:
        for tr in translators:
            app.removeTranslator(tr)  # type: ignore[union-attr]
    box = DialogService().confirm_box(None, "Anuluj zamówienie", "Anulować?")
    qtbot.addWidget(box)
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert box.escapeButton() is box.button(QMessageBox.StandardButton.No)
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Tak"
    box.show()
    qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter answers "No"
    assert box.clickedButton() is box.button(QMessageBox.StandardButton.No)


# -- defect 3: labels, plurals, English mode -----------------------------------------------------
def test_polish_plural_forms() -> None:
    assert [tn("{n} day", n) for n in (1, 2, 5, 12, 22, 25)] == [
        "1 dzień", "2 dni", "5 dni", "12 dni", "22 dni", "25 dni",
    ]  # fmt: skip
    assert [tn("{n} order", n) for n in (1, 3, 5, 21, 22)] == [
        "1 zamówienie", "3 zamówienia", "5 zamówień", "21 zamówień", "22 zamówienia",
    ]  # fmt: skip
    set_language("en")
    assert [tn("{n} day", n) for n in (1, 2)] == ["1 day", "2 days"]


def test_detail_shows_words_for_source_and_document_status(qtbot, db, stocked, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1), source="phone")
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        transition_order(db.uow(), stocked, order.number, status)
    ctx = make_ctx(db, Role.OPERATOR)
    d = OrderDetailDialog(ctx, order.number)
    qtbot.addWidget(d)
    d.load()
    texts = [w.text() for w in d.payment_box.findChildren(type(d.status_label))]
    assert "Telefon" in texts and "phone" not in texts
    assert d.documents_table.item(0, 2).text() == "zatwierdzony"  # not "posted"


def test_english_mode_settings_show_english_labels(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    set_language("en")
    ctx = make_ctx(db, Role.MANAGER)
    panel = OrderSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    initial = [panel.initial_status.itemText(i) for i in range(panel.initial_status.count())]
    assert "Draft" in initial and "Szkic" not in initial
    wz_on = [panel.issue_wz_on.itemText(i) for i in range(panel.issue_wz_on.count())]
    assert "Ready for shipment" in wz_on


# -- defect 8: partial reservation ---------------------------------------------------------------
def test_partly_reserved_order_says_so_with_the_shortage(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1), ("B-2", 3))  # 1 of 3 B-2 in stock: 2 short
    transition_order(db.uow(), stocked, order.number, "awaiting_fulfillment")
    ctx = make_ctx(db, Role.OPERATOR)
    panel = OrderListPanel(ctx)
    qtbot.addWidget(panel)
    panel.refresh()
    assert panel.model.index(0, 5).data() == "Częściowo (brakuje 2 szt.)"
    assert (
        panel.model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole)
        == "Częściowo zarezerwowane (brakuje 2 szt.)"
    )


def test_partly_reserved_label_fits_its_column_at_the_default_window_size(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1), ("B-2", 3))
    transition_order(db.uow(), stocked, order.number, "awaiting_fulfillment")
    ctx = make_ctx(db, Role.OPERATOR)
    view = OrdersView(ctx)
    qtbot.addWidget(view)
    view.resize(1280, 800)  # the main window's default size
    view.show()
    view.activated()
    table = view.list_panel.table
    qtbot.waitUntil(lambda: view.list_panel.model.rowCount() == 1)
    text = view.list_panel.model.index(0, 5).data()
    assert text.startswith("Częściowo")
    # The text plus the cell's margins (Qt's item view margin on each side) fits the column.
    needed = table.fontMetrics().horizontalAdvance(text) + 2 * (
        table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1
    )
    assert table.horizontalHeader().sectionSize(5) >= needed
    assert table.horizontalHeader().sectionSize(5) >= table.sizeHintForColumn(5)


# -- defect 9: colour editor, settings applied at once ------------------------------------------
def test_colour_cell_has_no_inline_editor_and_saved_labels_reach_the_list(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    create(db, stocked, ("A-1", 1))
    ctx = make_ctx(db, Role.MANAGER)
    view = OrdersView(ctx)
    qtbot.addWidget(view)
    view.activated()
    assert view.list_panel.model.index(0, 3).data() == "Szkic"
    panel = view.settings_panel
    panel.load()
    row = [panel.status_table.item(r, 0).text() for r in range(panel.status_table.rowCount())].index("draft")
    assert not panel.status_table.item(row, 3).flags() & Qt.ItemFlag.ItemIsEditable
    panel.status_table.item(row, 1).setText("Brudnopis")
    panel.save()
    assert view.list_panel.model.index(0, 3).data() == "Brudnopis"  # no F5 needed


# -- defect 7: PDFs in the user's own folder, path shown, no silent failure ----------------------
def test_pdfs_go_to_the_users_folder_and_a_missing_viewer_is_said(qtbot, db, stocked, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1))
    transition_order(db.uow(), stocked, order.number, "awaiting_fulfillment")
    ctx = make_ctx(db, Role.OPERATOR, login="ola")
    assert pdf_folder(ctx) == default_pdf_folder("ola") and "/tmp/rexbit-pdf" not in str(pdf_folder(ctx))
    assert pdf_folder(ctx).stat().st_mode & 0o077 == 0  # only the user reads it
    ctx.set_setting("documents/folder", str(tmp_path / "dokumenty"))
    d = OrderDetailDialog(ctx, order.number)
    qtbot.addWidget(d)
    d.open_file = lambda _path: False  # no PDF viewer on this computer
    d.load()
    d.lower_tabs.setCurrentIndex(0)
    d.documents_table.setRowCount(0)
    d._open(d._pdf_path("test"))  # what "Otwórz PDF" does after writing the file
    title, text = ctx.dialogs.infos[-1]
    assert title == "Zapisano PDF" and "nie ma programu do oglądania PDF" in text
    assert str(tmp_path / "dokumenty") in text and str(tmp_path / "dokumenty") in d.message_label.text()


# -- bulk work, printing, scanning ---------------------------------------------------------------
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext missing")
def test_bulk_status_print_and_export_of_a_selection(qtbot, db, stocked, tmp_path) -> None:  # type: ignore[no-untyped-def]
    numbers = [create(db, stocked, ("A-1", 1)).number for _ in range(4)]
    ctx = make_ctx(db, Role.MANAGER, login="szef")
    ctx.set_setting("documents/folder", str(tmp_path))
    panel = OrderListPanel(ctx)
    qtbot.addWidget(panel)
    panel.refresh()
    panel.select_rows(numbers[:3])
    assert panel.bulk.selection_label.text() == "Zaznaczono: 3"
    transition_order(db.uow(), stocked, numbers[0], "cancelled")  # one of them cannot move on
    panel.bulk.set_status("awaiting_fulfillment")
    result = panel.bulk.last_result
    assert result is not None and sorted(result.done) == sorted(numbers[1:3])
    title, text = ctx.dialogs.infos[-1]
    assert title == "Zbiorcza zmiana statusu"
    assert "Wykonano: 2 zamówienia. Odmówiono: 1 zamówienie." in text and numbers[0] in text
    assert "Anulowane" in text and "cancelled" not in text

    panel.select_all_in_filter()
    assert panel.selected_numbers() and len(panel.selected_numbers()) == 4
    panel.select_rows(numbers[1:3])
    panel.bulk.set_status("picking")
    panel.bulk.set_status("ready_for_shipment")  # a manager, without the pick check: asked, logged
    assert ctx.dialogs.confirms[-1][1] == "Oznaczyć 2 zamówienia jako spakowane bez kontroli skanerem?"
    history = orders.get_order(db.uow(), stocked, numbers[1]).history
    assert history[-1].to_status == "ready_for_shipment"
    assert history[-1].comment == "Spakowane zbiorczo przez Szef, bez kontroli skanerem."
    printed: list[Path] = []
    panel.bulk.printing.ask = _printer_to(tmp_path, printed)
    panel.select_rows(numbers[1:3])
    panel.bulk.print_selected("wz", to_printer=True)
    merged = panel.bulk.last_pdf
    assert merged is not None and merged.pages == 2 and merged.path is not None
    assert str(merged.path) in panel.message_label.text()
    assert len(PdfReader(printed[-1]).pages) == 2  # what reached the printer
    text = subprocess.run(["pdftotext", str(merged.path), "-"], capture_output=True, text=True).stdout
    assert all(wz in text for wz in merged.documents) and len(merged.documents) == 2

    out = tmp_path / "zaznaczone.csv"
    panel.export_csv(out, numbers=numbers[1:3])
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3 and {ln.split(";")[0] for ln in lines[1:]} == set(numbers[1:3])


def test_an_operator_cannot_mark_orders_packed_in_bulk(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    number = create(db, stocked, ("A-1", 1)).number
    for status in ("awaiting_fulfillment", "picking"):
        transition_order(db.uow(), stocked, number, status)
    ctx = make_ctx(db, Role.OPERATOR)
    panel = OrderListPanel(ctx)
    qtbot.addWidget(panel)
    panel.refresh()
    panel.select_rows([number])
    panel.bulk.set_status("ready_for_shipment")
    assert "tylko kierownik" in ctx.dialogs.infos[-1][1]
    assert orders.get_order(db.uow(), stocked, number).status == "picking"


def test_a_scanned_wz_number_opens_its_order(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1))
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        transition_order(db.uow(), stocked, order.number, status)
    wz = next(
        d.number for d in orders.get_order(db.uow(), stocked, order.number).documents if d.type == "issue_wz"
    )
    opened: list[str] = []
    panel = OrderListPanel(make_ctx(db, Role.OPERATOR), open_detail=opened.append)
    qtbot.addWidget(panel)
    panel.refresh()
    qtbot.keyClicks(panel.filters.search, wz)  # a USB scanner types the code …
    qtbot.keyClick(panel.filters.search, Qt.Key.Key_Return)  # … and Enter
    assert opened == [order.number]


def test_pick_check_counts_scans_warns_and_logs_a_managers_override(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 2))
    transition_order(db.uow(), stocked, order.number, "awaiting_fulfillment")
    transition_order(db.uow(), stocked, order.number, "picking")
    ctx = make_ctx(db, Role.OPERATOR)
    d = OrderDetailDialog(ctx, order.number)
    qtbot.addWidget(d)
    d.load()
    check = d.pick_check
    assert d.lower_tabs.currentWidget() is check and check.scan.isEnabled()
    qtbot.keyClicks(check.scan, "X-9")
    qtbot.keyClick(check.scan, Qt.Key.Key_Return)
    assert check.feedback.text() == "Tego nie ma w zamówieniu: X-9"
    qtbot.keyClicks(check.scan, "a-1")
    qtbot.keyClick(check.scan, Qt.Key.Key_Return)
    assert check.table.item(0, 4).text() == "1" and not check.complete()
    d.transition_to("ready_for_shipment")  # refused by the check
    assert "Niezeskanowane: A-1 ×1" in ctx.dialogs.infos[-1][1]
    assert orders.get_order(db.uow(), stocked, order.number).status == "picking"
    assert not check.override_button.isEnabled()  # operators cannot override

    manager = make_ctx(db, Role.MANAGER, login="szef")
    m = OrderDetailDialog(manager, order.number)
    qtbot.addWidget(m)
    m.load()
    assert m.pick_check.override_button.isEnabled()
    m.pick_check.override_button.click()
    detail = orders.get_order(db.uow(), stocked, order.number)
    assert detail.status == "ready_for_shipment"
    assert "Kontrolę kompletacji zatwierdził Szef; niezeskanowane: A-1 ×2." in detail.history[-1].comment

    check.scan_code("A-1")
    assert check.complete()
    assert not check.scan_code("A-1")
    assert check.feedback.text() == "Za dużo: A-1 jest już kompletne (2)."


def test_shipping_through_the_status_change_asks_for_the_carrier(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1))
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        transition_order(db.uow(), stocked, order.number, status)
    ctx = make_ctx(db, Role.OPERATOR)
    d = OrderDetailDialog(ctx, order.number)
    qtbot.addWidget(d)
    d.load()
    asked: list[ShipDialog] = []

    def ask() -> ShipDialog:
        dialog = ShipDialog(order.number, d.carriers, d, tracking_optional=d.tracking_optional)
        asked.append(dialog)
        dialog.exec = lambda: (dialog.carrier.setCurrentIndex(0), dialog.tracking.setText("6200555"), 1)[-1]  # type: ignore[method-assign]
        return dialog

    d.ask_ship = ask  # type: ignore[method-assign]
    d.transition_to("shipped")  # "Zmień status → Wysłane" goes through the ship dialog
    assert asked
    detail = orders.get_order(db.uow(), stocked, order.number)
    assert detail.status == "shipped" and detail.shipments[0].carrier == "inpost"
    link = d.findChild(type(d.status_label), "detail_tracking_link")
    assert link is not None and 'href="https://inpost.pl/sledzenie-przesylek?number=6200555"' in link.text()


def test_a_scanners_enter_presses_no_button_of_the_detail(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    order = create(db, stocked, ("A-1", 1))
    transition_order(db.uow(), stocked, order.number, "awaiting_fulfillment")
    transition_order(db.uow(), stocked, order.number, "picking")
    ctx = make_ctx(db, Role.MANAGER)
    d = OrderDetailDialog(ctx, order.number)
    qtbot.addWidget(d)
    d.show()
    d.load()
    pressed: list[str] = []
    for button in d.findChildren(type(d.transition_button)):
        button.clicked.connect(lambda _c=False, b=button: pressed.append(b.text()))
    qtbot.keyClicks(d.pick_check.scan, "A-1")
    qtbot.keyClick(d.pick_check.scan, Qt.Key.Key_Return)
    qtbot.keyClick(d, Qt.Key.Key_Return)
    assert pressed == [] and d.isVisible()
    assert orders.get_order(db.uow(), stocked, order.number).status == "picking"


def test_keyboard_flow_in_the_detail(qtbot, db, stocked) -> None:  # type: ignore[no-untyped-def]
    first = create(db, stocked, ("A-1", 1)).number
    second = create(db, stocked, ("A-1", 1)).number
    ctx = make_ctx(db, Role.OPERATOR)
    view = OrdersView(ctx)
    qtbot.addWidget(view)
    view.activated()  # newest first: second, first
    d = view.open_detail(second)
    # The window's shortcuts (pressed through their key sequences: offscreen windows are not reliably
    # active when tests run in parallel, so the shortcut is looked up by its keys and fired).
    keys = {s.key().toString(): s for s in d.findChildren(QShortcut)}
    assert {"Ctrl+Right", "Ctrl+P", "Ctrl+S", "Alt+Down", "Alt+Up"} <= set(keys)
    keys["Ctrl+Right"].activated.emit()  # next status, no OK box
    assert orders.get_order(db.uow(), stocked, second).status == "awaiting_payment"
    assert not ctx.dialogs.infos and "Oczekuje na płatność" in d.message_label.text()
    keys["Alt+Down"].activated.emit()  # the next order of the list
    assert d.number == first and d.order is not None and d.order.number == first
    keys["Alt+Up"].activated.emit()
    assert d.number == second
