"""The shipments section of the order detail: the order's carrier shipments, labels printed or saved,
tracking now. The order window fills it from its one load (``show_shipments``); it reads on its own only
after its own actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.shipping import (
    ShipmentDTO,
    list_order_shipments,
    shipment_label,
    track_shipments,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, t
from rexbit_desktop.ui.orders.printing import pdf_folder
from rexbit_desktop.ui.orders.shipment_dialog import _open_file, status_text
from rexbit_desktop.ui.runner import TaskContext

SHIPMENT_HEADERS = ["Carrier", "Package", "Status", "Tracking number", "Label", "Created", "Problem"]


class ShipmentsPanel(QWidget):
    """The shipments section of the order detail."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.number = ""
        self.shipments: list[ShipmentDTO] = []
        self.open_file: Callable[[Path], None] = _open_file
        self.ask_save_path: Callable[[str], Path | None] = self._ask_save_path
        # Labels go to the user's own documents folder (never a shared /tmp), as every other PDF.
        self.pdf_dir = pdf_folder(ctx)
        self.setObjectName("shipments_panel")
        self.table = QTableWidget(0, len(SHIPMENT_HEADERS))
        self.table.setObjectName("shipments_table")
        self.table.setHorizontalHeaderLabels([t(h) for h in SHIPMENT_HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.create_button = QPushButton(t("Create shipment…"))
        self.create_button.setObjectName("shipments_create")
        self.print_button = QPushButton(t("Print label"))
        self.print_button.setObjectName("shipments_print")
        self.print_button.clicked.connect(lambda: self.label(save=False))
        self.save_button = QPushButton(t("Save label…"))
        self.save_button.setObjectName("shipments_save")
        self.save_button.clicked.connect(lambda: self.label(save=True))
        self.track_button = QPushButton(t("Track now"))
        self.track_button.setObjectName("shipments_track")
        self.track_button.clicked.connect(self.track)
        row = QHBoxLayout()
        row.addWidget(self.create_button)
        row.addStretch(1)
        for b in (self.print_button, self.save_button, self.track_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.create_button.setEnabled(ctx.can(Permission.ORDERS_EDIT))

    def load(self, number: str) -> None:
        self.number = number
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: list_order_shipments(db.uow(), actor, number),
            on_result=self.show_shipments,
            on_error=lambda e: self.ctx.dialogs.error(self, e),
        )

    def show_shipments(self, shipments: list[ShipmentDTO]) -> None:
        self.shipments = shipments
        self.table.setRowCount(len(shipments))
        for r, s in enumerate(shipments):
            values = [
                s.carrier,
                str(s.package_no),
                status_text(s.status),
                ", ".join(s.tracking_numbers) or (s.tracking_number or ""),
                t("yes") if s.has_label else t("no"),
                format_datetime(s.created_at),
                s.error or "",
            ]
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        has_label = any(s.has_label for s in shipments)
        self.print_button.setEnabled(has_label)
        self.save_button.setEnabled(has_label)
        self.track_button.setEnabled(
            any(s.status in ("confirmed", "in_transit", "ready_for_pickup") for s in shipments)
        )

    def _selected(self) -> ShipmentDTO | None:
        row = self.table.currentRow()
        labelled = [s for s in self.shipments if s.has_label]
        if 0 <= row < len(self.shipments) and self.shipments[row].has_label:
            return self.shipments[row]
        return labelled[-1] if labelled else None

    def _ask_save_path(self, suggested: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self, t("Save labels"), suggested, t("PDF files (*.pdf)"))
        return Path(path) if path else None

    def label(self, *, save: bool) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.number)
        name = f"etykieta-{safe}-{chosen.package_no}.pdf"
        if save:
            target = self.ask_save_path(name)
            if target is None:
                return
        else:
            self.pdf_dir.mkdir(parents=True, exist_ok=True)
            target = self.pdf_dir / name
        db, actor, number, package = self.ctx.db, self.ctx.actor, self.number, chosen.package_no

        def work(_c: TaskContext) -> Path:
            target.write_bytes(shipment_label(db.uow(), actor, number, package_no=package))
            return target

        self.ctx.runner.submit(
            work,
            on_result=lambda p: None if save else self.open_file(p),
            on_error=lambda e: self.ctx.dialogs.error(self, e),
        )

    def track(self) -> None:
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(result: Any) -> None:
            self.ctx.dialogs.info(
                self,
                t("Shipments"),
                t(
                    "Tracking: {checked} checked, {delivered} delivered.",
                    checked=result.checked,
                    delivered=result.delivered,
                ),
            )
            self.load(number)
            self.changed.emit()

        self.ctx.runner.submit(
            lambda _c: track_shipments(db.uow(), actor, numbers=[number]),
            on_result=done,
            on_error=lambda e: self.ctx.dialogs.error(self, e),
        )
