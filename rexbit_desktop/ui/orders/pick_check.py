"""*Kompletacja*: the pick/pack check of an order. A USB scanner types each item's EAN (or SKU) and Enter;
the scan is counted against the ordered quantity. A code that is not in the order, or one item too many,
is a warning in red (and a beep) and is not counted. The order may go to *Gotowe do wysyłki* only when
every line is complete — or when a manager confirms it anyway, which is written into the status history.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.services.orders.orders import OrderDetailDTO
from rexbit_desktop.ui.i18n import format_quantity, register, t

register(
    {
        "Pick check": "Kompletacja",
        "Scan the EAN or SKU of each item…": "Zeskanuj EAN lub SKU każdej pozycji…",
        "Ordered": "Zamówiono",
        "Scanned": "Zeskanowano",
        "Check": "Kontrola",
        "complete": "kompletne",
        "{n} to go": "brakuje {n}",
        "Not in this order: {code}": "Tego nie ma w zamówieniu: {code}",
        "Too many: {sku} is already complete ({qty}).": "Za dużo: {sku} jest już kompletne ({qty}).",
        "Scanned {sku}: {done} of {qty}.": "Zeskanowano {sku}: {done} z {qty}.",
        "Everything is scanned.": "Wszystko zeskanowane.",
        "Scanned {done} of {total}.": "Zeskanowano {done} z {total}.",
        "Clear the scans": "Wyczyść skanowanie",
        "Confirm without a full check (manager)": "Zatwierdź bez pełnej kontroli (kierownik)",
        "Only a manager may confirm an incomplete check.": "Tylko kierownik może zatwierdzić niepełną kontrolę.",
        "Pick check confirmed by {who} with {missing} not scanned.": (
            "Kontrolę kompletacji zatwierdził {who}; niezeskanowane: {missing}."
        ),
        "Pick check complete.": "Kontrola kompletacji zakończona.",
    }
)

PICK_HEADERS = ["SKU", "EAN", "Name", "Ordered", "Scanned", "Check"]


@dataclass
class PickLine:
    sku: str
    ean: str
    name: str
    quantity: Decimal
    scanned: Decimal = Decimal(0)

    @property
    def complete(self) -> bool:
        return self.scanned >= self.quantity


class PickCheck(QWidget):
    """Counts scans for the order's catalog lines. ``changed`` fires after every scan."""

    changed = Signal()
    override_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[PickLine] = []
        self.warnings: list[str] = []
        self.order_number = ""
        self.scan = QLineEdit()
        self.scan.setObjectName("pick_scan")
        self.scan.setPlaceholderText(t("Scan the EAN or SKU of each item…"))
        self.scan.returnPressed.connect(self._scanned)
        self.table = QTableWidget(0, len(PICK_HEADERS))
        self.table.setObjectName("pick_table")
        self.table.setHorizontalHeaderLabels([t(h) for h in PICK_HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.feedback = QLabel("")
        self.feedback.setObjectName("pick_feedback")
        self.feedback.setWordWrap(True)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("pick_progress")
        self.clear_button = QPushButton(t("Clear the scans"))
        self.clear_button.clicked.connect(self.clear)
        self.override_button = QPushButton(t("Confirm without a full check (manager)"))
        self.override_button.setObjectName("pick_override")
        self.override_button.clicked.connect(self.override_requested)
        row = QHBoxLayout()
        row.addWidget(self.progress_label, 1)
        row.addWidget(self.clear_button)
        row.addWidget(self.override_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scan)
        layout.addWidget(self.feedback)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

    def set_order(self, order: OrderDetailDTO) -> None:
        """Lines of the order; scans already made for the same order are kept across reloads."""
        before = {line.sku: line.scanned for line in self.lines} if order.number == self.order_number else {}
        self.order_number = order.number
        self.lines = [
            PickLine(i.sku or "", i.ean or "", i.name, i.quantity, before.get(i.sku or "", Decimal(0)))
            for i in order.items
            if i.in_catalog and i.sku
        ]
        self._fill()

    def complete(self) -> bool:
        return bool(self.lines) and all(line.complete for line in self.lines)

    def missing_text(self) -> str:
        return ", ".join(
            f"{line.sku} ×{format_quantity(line.quantity - line.scanned)}"
            for line in self.lines
            if not line.complete
        )

    def clear(self) -> None:
        for line in self.lines:
            line.scanned = Decimal(0)
        self.warnings.clear()
        self.feedback.setText("")
        self._fill()
        self.changed.emit()

    def _find(self, code: str) -> PickLine | None:
        wanted = code.strip()
        upper = wanted.upper()
        # EANs compare as digits (a 12-digit UPC is the same item as its 13-digit EAN with a leading 0).
        for line in self.lines:
            if line.ean and wanted.isdigit() and line.ean.strip().lstrip("0") == wanted.lstrip("0"):
                return line
        return next((line for line in self.lines if line.sku.strip().upper() == upper), None)

    def scan_code(self, code: str) -> bool:
        """Count one scan; False (with a warning) for a code not in the order or one too many."""
        code = code.strip()
        if not code:
            return False
        line = self._find(code)
        if line is None:
            return self._warn(t("Not in this order: {code}", code=code))
        if line.complete:
            return self._warn(
                t(
                    "Too many: {sku} is already complete ({qty}).",
                    sku=line.sku,
                    qty=format_quantity(line.quantity),
                )
            )
        line.scanned += 1
        self.feedback.setStyleSheet("color: #1b5e20")
        self.feedback.setText(
            t("Everything is scanned.")
            if self.complete()
            else t(
                "Scanned {sku}: {done} of {qty}.",
                sku=line.sku,
                done=format_quantity(line.scanned),
                qty=format_quantity(line.quantity),
            )
        )
        self._fill()
        self.changed.emit()
        return True

    def _warn(self, text: str) -> bool:
        self.warnings.append(text)
        self.feedback.setStyleSheet("color: #c62828; font-weight: bold")
        self.feedback.setText(text)
        QApplication.beep()
        self.changed.emit()
        return False

    def _scanned(self) -> None:
        self.scan_code(self.scan.text())
        self.scan.clear()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.lines))
        done = sum((min(line.scanned, line.quantity) for line in self.lines), Decimal(0))
        total = sum((line.quantity for line in self.lines), Decimal(0))
        for r, line in enumerate(self.lines):
            left = line.quantity - line.scanned
            check = t("complete") if line.complete else t("{n} to go", n=format_quantity(left))
            values = [
                line.sku,
                line.ean,
                line.name,
                format_quantity(line.quantity),
                format_quantity(line.scanned),
                check,
            ]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c in (3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 5:
                    item.setForeground(QColor("#2e7d32" if line.complete else "#c62828"))
                self.table.setItem(r, c, item)
        self.progress_label.setText(
            t("Scanned {done} of {total}.", done=format_quantity(done), total=format_quantity(total))
        )
