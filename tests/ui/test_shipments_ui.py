"""Shipments in the app on a real database and a local ShipX server: the "Utwórz przesyłkę" dialog from
the detail and from a list selection, the shipments section, Polish refusals naming the field, the
screenshots."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QImage

from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.shipping import create_shipment
from rexbit_desktop.ui import screenshots
from rexbit_desktop.ui.orders.detail import OrderDetailDialog
from rexbit_desktop.ui.orders.list_panel import OrderListPanel
from rexbit_desktop.ui.orders.shipment_dialog import CreateShipmentDialog, create_for_selection
from tests.support.carriers import ShipXServer, add_inpost, no_wz, ready_order


@pytest.fixture
def shipx():  # type: ignore[no-untyped-def]
    with ShipXServer() as server:
        server.state.confirm_after_polls = 0
        yield server


def _column(table, c: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_create_shipment_from_the_detail(qtbot, db, ctx, system_actor, shipx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    number = ready_order(
        db, system_actor, payment={"provider": "Za pobraniem", "status": "pending", "amount": "246"}
    )
    detail = OrderDetailDialog(ctx, number)
    qtbot.addWidget(detail)
    detail.load()
    assert detail.lower_tabs.tabText(1) == "Przesyłki" and detail.create_shipment_button.isEnabled()
    shown: list[CreateShipmentDialog] = []

    def answer(dialog: CreateShipmentDialog) -> bool:
        shown.append(dialog)
        assert dialog.windowTitle() == f"Przesyłka do zamówienia {number}"
        assert dialog.carrier_code() == "inpost" and dialog.target.text() == "KRA010"
        assert dialog.cod.isChecked() and dialog.cod_amount.text() == "246,00"  # COD = order total
        assert "Łódź" in dialog.receiver_label.text()
        dialog.preset.setCurrentIndex(1)  # Gabaryt B
        return True

    detail.show_shipment_dialog = answer
    detail.create_shipment()

    assert shown and shipx.state.posts[0]["parcels"] == [{"template": "medium"}]
    assert shipx.state.posts[0]["cod"] == {"amount": 246.0, "currency": "PLN"}
    panel = detail.shipments_panel
    assert _column(panel.table, 0) == ["inpost"]
    assert _column(panel.table, 2) == ["potwierdzona"]
    tracking = next(iter(shipx.state.shipments.values()))["tracking"]
    assert _column(panel.table, 3) == [tracking]
    assert (
        "Wysłane" in detail.status_label.text()
        or orders.get_order(db.uow(), system_actor, number).status == "shipped"
    )
    saved = tmp_path / "etykieta.pdf"
    panel.ask_save_path = lambda _name: saved
    panel.label(save=True)
    assert saved.read_bytes().startswith(b"%PDF")
    opened: list[Path] = []
    panel.open_file = opened.append
    panel.label(save=False)
    assert opened and opened[0].read_bytes().startswith(b"%PDF")


def test_a_refusal_names_the_field_in_polish(qtbot, db, ctx, system_actor, shipx) -> None:  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    shipx.state.reject_with = "validation_failed_postcode.json"
    number = ready_order(db, system_actor)
    detail = OrderDetailDialog(ctx, number)
    qtbot.addWidget(detail)
    detail.load()
    detail.show_shipment_dialog = lambda _d: True
    detail.create_shipment()

    [(title, text)] = ctx.dialogs.infos
    assert title == "Błąd"
    assert "InPost odrzucił przesyłkę." in text
    assert "Pole „kod pocztowy odbiorcy”: nieprawidłowa wartość." in text
    assert "Traceback" not in text and "--" not in text
    assert _column(detail.shipments_panel.table, 2) == ["odrzucona"]


def test_shipments_for_a_list_selection_with_one_labels_pdf(
    qtbot, db, ctx, system_actor, shipx, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    numbers = [ready_order(db, system_actor) for _ in range(3)]
    panel = OrderListPanel(ctx)
    qtbot.addWidget(panel)
    panel.refresh()
    selection = panel.table.selectionModel()
    for row in range(3):
        selection.select(
            panel.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert sorted(panel.selected_numbers()) == sorted(numbers)
    target = tmp_path / "etykiety.pdf"
    results: list[dict[str, str]] = []

    create_for_selection(
        ctx,
        panel,
        panel.selected_numbers(),
        show=lambda d: d.windowTitle() == "Przesyłki do zamówień: 3",
        ask_save_path=lambda _name: target,
        on_done=lambda outcome, _path: results.append(outcome),
    )

    assert len(shipx.state.posts) == 3 and all(v and not v.startswith("!") for v in results[0].values())
    assert len(PdfReader(io.BytesIO(target.read_bytes())).pages) == 3
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert all(tracking in text for tracking in results[0].values())
    assert {orders.get_order(db.uow(), system_actor, n).status for n in numbers} == {"shipped"}
    assert "Utworzono przesyłek: 3, nieudanych: 0." in ctx.dialogs.infos[-1][1]


def test_screenshots_of_the_shipment_dialog_and_section(
    qtbot, db, db_url, system_actor, shipx, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    shipped = ready_order(db, system_actor)
    create_shipment(db.uow(), system_actor, shipped, size="A")
    ready_order(db, system_actor)
    assert screenshots.main([str(tmp_path), "--database-url", db_url, "--size", "1280x800"]) == 0
    for name in ("order-shipments.png", "shipment-dialog.png"):
        image = QImage(str(tmp_path / name))
        assert not image.isNull() and image.width() > 300, name


def test_the_complete_on_delivery_switch_in_the_settings(qtbot, db, ctx, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.orders.settings import get_order_settings
    from rexbit_desktop.ui.orders.settings_panel import OrderSettingsPanel

    panel = OrderSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    assert panel.complete_on_delivery.isChecked()
    assert panel.complete_on_delivery.text() == "Zamykaj zamówienie, gdy przewoźnik potwierdzi doręczenie"
    panel.complete_on_delivery.setChecked(False)
    panel.save()
    assert get_order_settings(db.uow(), system_actor).automation.complete_on_delivery is False
