"""Create an order by hand: customer, shipping address, delivery, lines (SKU, quantity, gross price, VAT)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.orders.dto import OrderDetailDTO
from rexbit_desktop.services.orders.orders import create_order
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.runner import TaskError

register(
    {
        "New order": "Nowe zamówienie",
        "SKU": "SKU",
        "Name": "Nazwa",
        "Quantity": "Ilość",
        "Street": "Ulica",
        "Postcode": "Kod pocztowy",
        "City": "Miasto",
        "E-mail": "E-mail",
        "Phone": "Telefon",
        "Customer and shipping address": "Klient i adres wysyłki",
        "Full name": "Imię i nazwisko",
        "Company": "Firma",
        "Delivery method": "Sposób dostawy",
        "Note": "Notatka",
        "Lines": "Pozycje",
        "Price gross": "Cena brutto",
        "VAT %": "VAT %",
        "Add line": "Dodaj pozycję",
        "Remove line": "Usuń pozycję",
        "Create order": "Utwórz zamówienie",
        "Line {n}: {what}": "Pozycja {n}: {what}",
        "Add at least one line with an SKU.": "Dodaj co najmniej jedną pozycję z SKU.",
    }
)

LINE_COLUMNS = ["SKU", "Name", "Quantity", "Price gross", "VAT %"]
ADDRESS_FIELDS = [
    ("name", "Full name"),
    ("company", "Company"),
    ("street", "Street"),
    ("postcode", "Postcode"),
    ("city", "City"),
    ("email", "E-mail"),
    ("phone", "Phone"),
]


class NewOrderDialog(QDialog):
    created = Signal(str)
    """The number of the new order."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("new_order")
        self.setWindowTitle(t("New order"))
        self.resize(760, 560)
        self.address: dict[str, QLineEdit] = {}
        box = QGroupBox(t("Customer and shipping address"))
        form = QFormLayout(box)
        for key, label in ADDRESS_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"new_{key}")
            self.address[key] = edit
            form.addRow(t(label), edit)
        self.delivery = QLineEdit()
        self.delivery.setObjectName("new_delivery")
        form.addRow(t("Delivery method"), self.delivery)
        self.note = QLineEdit()
        self.note.setObjectName("new_note")
        form.addRow(t("Note"), self.note)

        self.lines = QTableWidget(0, len(LINE_COLUMNS))
        self.lines.setObjectName("new_lines")
        self.lines.setHorizontalHeaderLabels([t(c) for c in LINE_COLUMNS])
        self.lines.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        add = QPushButton(t("Add line"))
        add.clicked.connect(lambda: self.add_line())
        remove = QPushButton(t("Remove line"))
        remove.clicked.connect(lambda: self.lines.removeRow(self.lines.currentRow()))
        lines_box = QGroupBox(t("Lines"))
        ll = QVBoxLayout(lines_box)
        ll.addWidget(self.lines)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(add)
        row.addWidget(remove)
        ll.addLayout(row)
        self.add_line()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText(t("Create order"))
        self.create_button.setObjectName("new_create")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(lines_box, 1)
        layout.addWidget(buttons)

    def add_line(
        self, sku: str = "", name: str = "", quantity: str = "1", price: str = "", vat: str = "23"
    ) -> None:
        r = self.lines.rowCount()
        self.lines.insertRow(r)
        for c, value in enumerate((sku, name, quantity, price, vat)):
            self.lines.setItem(r, c, QTableWidgetItem(value))

    def _cell(self, r: int, c: int) -> str:
        item = self.lines.item(r, c)
        return item.text().strip() if item is not None else ""

    def payload(self) -> dict[str, Any]:
        items = []
        for r in range(self.lines.rowCount()):
            sku = self._cell(r, 0)
            if not sku:
                continue
            items.append(
                {
                    "sku": sku,
                    "name": self._cell(r, 1) or None,
                    "quantity": self._cell(r, 2).replace(",", ".") or "1",
                    "price_gross": self._cell(r, 3).replace(",", ".").replace("\u00a0", "").replace(" ", ""),
                    "vat_rate": self._cell(r, 4).replace(",", ".") or "23",
                }
            )
        if not items:
            raise ValidationError(t("Add at least one line with an SKU."))
        address = {k: e.text().strip() for k, e in self.address.items() if e.text().strip()}
        payload: dict[str, Any] = {"items": items, "source": "manual"}
        if address:
            payload["addresses"] = {"customer": address, "shipping": address}
        if self.delivery.text().strip():
            payload["delivery_method"] = self.delivery.text().strip()
        if self.note.text().strip():
            payload["note"] = self.note.text().strip()
        return payload

    def submit(self) -> None:
        try:
            payload = self.payload()
        except ValidationError as exc:
            self.ctx.dialogs.error(self, exc)
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.create_button.setEnabled(False)

        def done(order: OrderDetailDTO) -> None:
            self.create_button.setEnabled(True)
            self.created.emit(order.number)
            self.accept()

        def failed(error: TaskError) -> None:
            self.create_button.setEnabled(True)
            self.ctx.dialogs.error(self, error)

        self.ctx.runner.submit(
            lambda _c: create_order(db.uow(), actor, payload), on_result=done, on_error=failed
        )
