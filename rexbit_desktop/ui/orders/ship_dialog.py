"""The *Wyślij* dialog of the order detail: carrier and tracking number."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.ui.i18n import t


class ShipDialog(QDialog):
    def __init__(
        self, number: str, carriers: Sequence[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Ship order {number}", number=number))
        self.carrier = QComboBox()
        self.carrier.setObjectName("ship_carrier")
        self.carrier.setEditable(True)
        for code, name in carriers:
            self.carrier.addItem(name, code)
        self.tracking = QLineEdit()
        self.tracking.setObjectName("ship_tracking")
        form = QFormLayout()
        form.addRow(t("Carrier"), self.carrier)
        form.addRow(t("Tracking number"), self.tracking)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def carrier_code(self) -> str:
        data = self.carrier.currentData()
        # An edited text that matches no carrier is sent as typed (the service keeps unknown carriers).
        if data is not None and self.carrier.currentText() == self.carrier.itemText(
            self.carrier.currentIndex()
        ):
            return str(data)
        return self.carrier.currentText().strip()
