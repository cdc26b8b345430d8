"""The Pulpit view offscreen on the KPI fixture orders: tiles, charts exported to PNG, the PDF report read
back with pdftotext, and "late now" opening the orders list with exactly those orders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtGui import QImage

from rexbit_desktop.domain.roles import Role
from rexbit_desktop.services import kpi
from rexbit_desktop.ui.kpi.view import DashboardView
from rexbit_desktop.ui.main_window import MainWindow
from tests.support.kpi import MANAGER, NOW, PERIOD, load_kpi_fixture
from tests.support.ui import make_ctx


@pytest.fixture
def fixture_db(db):  # type: ignore[no-untyped-def]
    return load_kpi_fixture(db)


def _distinct_colours(path: Path) -> int:
    image = QImage(str(path))
    assert not image.isNull()
    seen = set()
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            seen.add(image.pixel(x, y))
            if len(seen) > 20:
                return len(seen)
    return len(seen)


def test_the_dashboard_shows_the_figures_and_exports_charts_pdf_and_csv(qtbot, fixture_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(fixture_db, Role.MANAGER)
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.resize(1400, 1000)
    view.show()
    view.show_dashboard(kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW))
    assert view.tiles["orders"].value.text() == "8"
    assert view.tiles["late"].value.text() == "33,3 %"
    assert view.tiles["late_now"].value.text() == "1"
    assert view.tiles["fulfilment"].value.text() == "10,0 h / 19,8 h"
    assert "Wysłane" not in view.tiles["orders"].toolTip()  # the definition, in Polish
    assert view.tiles["orders"].toolTip().startswith("Zamówienia utworzone w okresie")
    assert view.backlog_table.item(0, 0).text() == "Opłacone"
    assert view.backlog_table.item(0, 3).text() == "1"  # paid, 2–5 working days
    for chart in (view.orders_chart, view.value_chart, view.backlog_chart):
        path = view.save_chart(chart, tmp_path / f"{chart.key}.png")
        assert path is not None and path.stat().st_size > 0
        assert _distinct_colours(path) > 5, f"{chart.key} looks blank"
    view.export("pdf", tmp_path / "pulpit.pdf")
    view.export("csv", tmp_path / "pulpit.csv")
    assert (tmp_path / "pulpit.pdf").read_bytes().startswith(b"%PDF")
    csv_text = (tmp_path / "pulpit.csv").read_text(encoding="utf-8-sig")
    assert "Podsumowanie;Zamówienia;8;1" in csv_text
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the report back")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "pulpit.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The numbers of the screen are in the report.
    for needed in ("Raport KPI", "1 560,00", "195,00", "33,3", "10,0", "19,8", "66,7", "KPI-2", "80,00"):
        assert needed in text, needed


def test_late_now_opens_the_orders_list_with_exactly_those_orders(qtbot, fixture_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(fixture_db, Role.MANAGER)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    dashboard = window.views["dashboard"]
    assert isinstance(dashboard, DashboardView)
    monkeypatch.setattr(kpi, "late_order_ids", lambda *a, **k: _real_late(fixture_db))
    dashboard.open_late_now()
    orders = window.views["orders"]
    assert window.stack.currentWidget() is orders
    panel = orders.list_panel
    assert panel.pinned_bar.isVisibleTo(window)
    numbers = [panel.model.row_at(i).number for i in range(panel.model.rowCount())]
    assert numbers == ["I"]
    panel.unpin_button.click()
    assert panel.model.rowCount() == 11


def _real_late(db):  # type: ignore[no-untyped-def]
    return kpi.dashboard.late_order_ids(db.uow(), MANAGER, now=NOW)


def test_an_operator_sees_only_their_day(qtbot, fixture_db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(fixture_db, Role.OPERATOR)
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.refresh()
    assert not hasattr(view, "tiles")
    assert "Dziś jeszcze nic." in view.my_day_label.text()
    assert ctx.dialogs.errors == []


def test_statuses_show_the_labels_and_colours_managers_set(qtbot, fixture_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.orders.settings import set_order_setting

    set_order_setting(fixture_db.uow(), Actor.system(), "statuses.paid.label_pl", "Zapłacone – do pakowania")
    set_order_setting(fixture_db.uow(), Actor.system(), "statuses.paid.colour", "#123456")
    ctx = make_ctx(fixture_db, Role.MANAGER)
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.show_dashboard(kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW))
    item = view.backlog_table.item(0, 0)
    assert item.text() == "Zapłacone – do pakowania"
    assert item.icon().pixmap(12, 12).toImage().pixelColor(6, 6).name() == "#123456"
    assert view.backlog_table.item(1, 0).text() == "Do realizacji"  # not renamed: the default
    view.export("csv", tmp_path / "pulpit.csv")
    assert "Zaległości;Zapłacone – do pakowania 2-5;1" in (tmp_path / "pulpit.csv").read_text(
        encoding="utf-8-sig"
    )


def _dashboard_on_the_fixture_period(qtbot, db):  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER)
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.clock = lambda: NOW
    view.period_combo.setCurrentIndex(view.period_combo.findData("custom"))
    view.from_edit.setDate(PERIOD.first)
    view.to_edit.setDate(PERIOD.last)
    return ctx, view


def test_a_saved_kpi_setting_changes_the_figures_on_the_dashboard(qtbot, fixture_db) -> None:  # type: ignore[no-untyped-def]
    ctx, view = _dashboard_on_the_fixture_period(qtbot, fixture_db)
    assert view.tiles["late"].value.text() == "33,3 %"  # D and G late of 6 shipped (one handling day)
    assert view.tiles["late_now"].value.text() == "1"
    assert view.tiles["late_now"].detail.text() == "3 otwarte zamówienia"  # (Polish plural: I, J, K)
    assert view.settings_button.isVisibleTo(view)
    view.open_settings()
    dialog = view.settings_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.handling_days.value() == 1 and dialog.public_holidays.isChecked()
    # Three handling days: D (ready Mon, shipped as Thu) and G (ready Mon, shipped Thu) are on time, and
    # I (ready Fri) is due on Wednesday's close, so not late at Wednesday noon.
    assert dialog.handling_days.text() == "1 dzień roboczy"
    dialog.handling_days.setValue(3)
    assert dialog.handling_days.text() == "3 dni robocze"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert view.tiles["late"].value.text() == "0,0 %"
    assert view.tiles["late_now"].value.text() == "0"
    assert kpi.get_kpi_settings(fixture_db.uow(), MANAGER).handling_days == 3
    assert ctx.dialogs.errors == []


def test_the_kpi_settings_editor_refuses_bad_values_in_polish_and_saves_nothing(qtbot, fixture_db) -> None:  # type: ignore[no-untyped-def]
    _ctx, view = _dashboard_on_the_fixture_period(qtbot, fixture_db)
    view.open_settings()
    dialog = view.settings_dialog
    assert dialog is not None

    def save() -> str:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()
        return str(dialog.error_label.text())

    dialog.work_end.setTime(QTime(7, 0))
    assert save() == "Dzień pracy musi kończyć się później, niż się zaczyna (08:00–07:00)."
    dialog.work_end.setTime(QTime(16, 0))
    dialog.add_carrier("Kurier DPD", "dużo")
    assert save() == "Dni obsługi dla „Kurier DPD” muszą być liczbą całkowitą od 0 do 60, a nie „dużo”."
    dialog.carriers.item(0, 1).setText("2")
    dialog.extra_days_off.setPlainText("2026-12-24\n2026-13-01")
    assert save() == "„2026-13-01” to nie jest data (RRRR-MM-DD)."
    dialog.extra_days_off.setPlainText("")
    for box in dialog.weekdays:
        box.setChecked(False)
    assert save() == "Zaznacz co najmniej jeden dzień pracy."
    dialog.timezone.setText("Europa/Warszawa")
    dialog.weekdays[0].setChecked(True)
    assert save() == "Nieznana strefa czasowa „Europa/Warszawa”."
    stored = kpi.get_kpi_settings(fixture_db.uow(), MANAGER)  # nothing was saved
    assert (stored.work_end, stored.carrier_handling_days, stored.timezone) == ("16:00", {}, "Europe/Warsaw")
    assert view.tiles["late"].value.text() == "33,3 %"
