"""The *Wyślij* dialog of the order detail: carrier and tracking number (required unless the carrier's
settings say otherwise)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.ui.i18n import register, t

register({"Ship": "Wyślij"})


class ShipDialog(QDialog):
    """Carrier + tracking number. The carrier's settings say whether a tracking number is required: the
    dialog says so itself and stays open (what was typed is kept)."""

    def __init__(
        self,
        number: str,
        carriers: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
        *,
        tracking_optional: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.tracking_optional = {c.lower() for c in tracking_optional}
        self.setWindowTitle(t("Ship order {number}", number=number))
        self.carrier = QComboBox()
        self.carrier.setObjectName("ship_carrier")
        self.carrier.setEditable(True)
        for code, name in carriers:
            self.carrier.addItem(name, code)
        self.tracking = QLineEdit()
        self.tracking.setObjectName("ship_tracking")
        self.problem = QLabel("")
        self.problem.setObjectName("ship_problem")
        self.problem.setStyleSheet("color: #c62828")
        self.problem.hide()
        form = QFormLayout()
        form.addRow(t("Carrier"), self.carrier)
        form.addRow(t("Tracking number"), self.tracking)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("Ship"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def tracking_required(self) -> bool:
        return self.carrier_code().lower() not in self.tracking_optional

    def accept(self) -> None:
        if not self.carrier_code():
            self.problem.setText(t("Choose the carrier."))
        elif self.tracking_required() and not self.tracking.text().strip():
            self.problem.setText(
                t(
                    "The carrier {carrier} needs a tracking number for every parcel.",
                    carrier=self.carrier.currentText(),
                )
            )
        else:
            super().accept()
            return
        self.problem.show()
        self.tracking.setFocus()

    def carrier_code(self) -> str:
        data = self.carrier.currentData()
        # An edited text that matches no carrier is sent as typed (the service keeps unknown carriers).
        if data is not None and self.carrier.currentText() == self.carrier.itemText(
            self.carrier.currentIndex()
        ):
            return str(data)
        return self.carrier.currentText().strip()
