"""A scripted day at the desk (issue 17) on a real database filled with the demo shop (``rexbit demo``):

the manager selects 20 orders in the list (Ctrl+click), moves them on to picking in bulk, scan-checks 5
of them in their detail windows (the scanner's keystrokes: the EAN and Enter), marks the other 15 packed
in bulk, prints the 20 WZ as one PDF (page count and every WZ number read back with pdftotext) and ships
5 with tracking numbers. No dialog in English, no traceback, no raw code: every visible widget's text is
walked in Polish mode along the way (``ui_language``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QModelIndex, QSettings, Qt

from rexbit_desktop.services import demo
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.stock import stock
from rexbit_desktop.services.users import actor_for_login
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.dialogs import RecordingDialogs
from rexbit_desktop.ui.main_window import MainWindow
from rexbit_desktop.ui.orders.ship_dialog import ShipDialog
from rexbit_desktop.ui.orders.view import OrdersView
from rexbit_desktop.ui.runner import SyncRunner
from tests.support.ui_language import language_problems, visible_texts  # type: ignore[import-not-found]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing"),
]

EARLY = ("draft", "awaiting_payment", "paid", "awaiting_fulfillment")


def _ctrl_click_rows(qtbot, table, rows: list[int]) -> None:  # type: ignore[no-untyped-def]
    for r in rows:
        index = table.model().index(r, 0)
        table.scrollTo(index)
        rect = table.visualRect(index)
        qtbot.mouseClick(
            table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, rect.center()
        )


def _check_language(widget, where: str) -> None:  # type: ignore[no-untyped-def]
    problems = language_problems(visible_texts(widget))
    assert not problems, f"{where}: {problems[:10]}"


def test_a_day_at_the_desk(qtbot, db, system_actor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    demo.fill_demo(db.uow(), system_actor)
    manager = actor_for_login(db.uow(), "kierownik")
    dialogs = RecordingDialogs()
    ctx = AppContext(
        db=db, actor=manager, runner=SyncRunner(), dialogs=dialogs, settings=QSettings("rexbit-test", "desk")
    )
    ctx.set_setting("documents/folder", str(tmp_path / "dokumenty"))

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    for key in window.views:  # every view of the main window, in Polish
        window.show_view(key)
        _check_language(window, f"view {key}")
    view = window.show_view("orders")
    assert isinstance(view, OrdersView)
    panel = view.list_panel
    while panel.model.canFetchMore(QModelIndex()):
        panel.model.fetchMore(QModelIndex())
    rows = [i for i, r in enumerate(panel.model.rows) if r.status in EARLY][:20]
    assert len(rows) == 20
    chosen = [panel.model.rows[i].number for i in rows]

    # Morning delivery: enough of every ordered item (a PZ per item), so every WZ can be issued.
    for number in chosen:
        for item in orders.get_order(db.uow(), manager, number).items:
            stock.receive_stock(
                db.uow(), manager, sku=item.sku, warehouse=item.warehouse_code or "MAG", qty=50
            )

    # 1. select 20 orders with Ctrl+click
    panel.table.clearSelection()
    _ctrl_click_rows(qtbot, panel.table, rows)
    assert sorted(panel.selected_numbers()) == sorted(chosen)
    assert panel.bulk.selection_label.text() == "Zaznaczono: 20"
    _check_language(window, "list with a selection")

    # 2. move them to picking in bulk (those already waiting are refused for the first step, and said so)
    panel.bulk.set_status("awaiting_fulfillment")
    first = panel.bulk.last_result
    assert first is not None and len(first.done) + len(first.refused) == 20
    assert all(r.code == "transition_refused" for r in first.refused)
    assert sorted(panel.selected_numbers()) == sorted(chosen)  # still selected after the reload
    panel.bulk.set_status("picking")
    picking = panel.bulk.last_result
    assert picking is not None and sorted(picking.done) == sorted(chosen) and not picking.refused
    _check_language(window, "list after the bulk change")

    # 3. scan-check 5 orders in their detail windows, then they are packed (WZ issued)
    checked = chosen[:5]
    for number in checked:
        detail = view.open_detail(number)
        check = detail.pick_check
        assert detail.lower_tabs.currentWidget() is check
        for line in list(check.lines):
            for _ in range(int(line.quantity)):
                qtbot.keyClicks(check.scan, line.ean or line.sku)
                qtbot.keyClick(check.scan, Qt.Key.Key_Return)
        qtbot.keyClicks(check.scan, "5900000000000")  # an item that is not in the order
        qtbot.keyClick(check.scan, Qt.Key.Key_Return)
        assert check.feedback.text().startswith("Tego nie ma w zamówieniu")
        assert check.complete()
        _check_language(detail, f"pick check of {number}")
        detail.wz_button.click()
        assert detail.order is not None and detail.order.status == "ready_for_shipment"
        assert "WZ/" in detail.message_label.text()
        detail.close()

    # 4. the other 15 packed in bulk by the manager (logged in their history)
    panel.select_rows(chosen[5:])
    panel.bulk.set_status("ready_for_shipment")
    packed = panel.bulk.last_result
    assert packed is not None and sorted(packed.done) == sorted(chosen[5:]) and not packed.refused

    # 5. print the 20 WZ as one PDF, through the print dialog (answered with Qt's PDF printer)
    printed: list[Path] = []

    def ask(printer, _parent, kind: str) -> bool:  # type: ignore[no-untyped-def]
        out = tmp_path / f"printer-{kind}.pdf"
        printer.setOutputFormat(printer.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printed.append(out)
        return True

    panel.bulk.printing.ask = ask
    panel.select_rows(chosen)
    panel.bulk.print_selected("wz", to_printer=True)
    merged = panel.bulk.last_pdf
    assert merged is not None and merged.path is not None and not merged.skipped
    wz_numbers = [
        d.number
        for number in chosen
        for d in orders.get_order(db.uow(), manager, number).documents
        if d.type == "issue_wz"
    ]
    assert len(wz_numbers) >= 20 and sorted(merged.documents) == sorted(wz_numbers)
    assert merged.pages == len(PdfReader(merged.path).pages) >= 20
    text = subprocess.run(
        ["pdftotext", str(merged.path), "-"], capture_output=True, text=True, check=True
    ).stdout
    missing = [n for n in wz_numbers if n not in text]
    assert not missing
    assert len(PdfReader(printed[-1]).pages) == merged.pages  # every page reached the printer
    assert str(merged.path) in panel.message_label.text()

    # 6. ship 5 with tracking numbers from their detail windows
    for n, number in enumerate(checked):
        detail = view.open_detail(number)
        tracking = f"62000{n:07d}"

        def answer(d=detail, tracking=tracking, number=number) -> ShipDialog:  # type: ignore[no-untyped-def]
            dialog = ShipDialog(number, d.carriers, d, tracking_optional=d.tracking_optional)
            dialog.carrier.setCurrentIndex(dialog.carrier.findData("inpost"))
            qtbot.keyClicks(dialog.tracking, tracking)
            dialog.exec = lambda: 1  # type: ignore[method-assign]  # the operator presses Enter
            return dialog

        detail.ask_ship = answer  # type: ignore[method-assign]
        detail.ship_button.click()
        assert detail.order is not None and detail.order.status == "shipped"
        assert detail.order.shipments[-1].tracking_number == tracking
        _check_language(detail, f"shipped {number}")
        detail.close()

    # Nothing went wrong, and every message was in Polish, without codes or tracebacks.
    assert dialogs.errors == []
    messages = [("dialog", f"{title}\n{text}") for title, text in dialogs.infos + dialogs.confirms]
    assert not language_problems(messages)
    _check_language(window, "list at the end of the day")
