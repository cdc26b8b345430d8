"""The Pulpit's building blocks: a figure tile, a chart that saves itself as PNG, simple tables."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.kpi import DEFINITIONS
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.kpi import strings as _strings  # noqa: F401 (registers the Polish words)


def definition(key: str) -> str:
    return t(DEFINITIONS[key])


def colour_swatch(colour: str) -> QIcon:
    """A small square of a status's colour (shown beside its label)."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour) if QColor.isValidColorName(colour) else QColor("#9e9e9e"))
    return QIcon(pixmap)


def run_status(status: str | None) -> str:
    words = {
        "succeeded": t("succeeded (run)"),
        "failed": t("failed (run)"),
        "running": t("running (run)"),
        "queued": t("queued (run)"),
        "cancelled": t("cancelled (run)"),
    }
    return words.get(status or "", status or "") if status else t("never")


class Tile(QFrame):
    """One headline figure: title, value, a second line; its definition on hover; optionally clickable."""

    def __init__(self, key: str, title: str, on_click: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.setObjectName(f"tile_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(definition(key))
        self.title = QLabel(title)
        self.title.setStyleSheet("color: #555;")
        self.value = QLabel("–")
        self.value.setObjectName(f"tile_{key}_value")
        self.value.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.detail = QLabel("")
        self.detail.setStyleSheet("color: #777;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        for w in (self.title, self.value, self.detail):
            layout.addWidget(w)
        self._on_click = on_click
        if on_click:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._on_click and event.button() == Qt.MouseButton.LeftButton:
            self._on_click()
        super().mouseReleaseEvent(event)


class Chart(QWidget):
    """A titled pyqtgraph plot with "Save chart as PNG…"."""

    def __init__(self, key: str, title: str, tooltip: str, save: Callable[[Chart], None]) -> None:
        super().__init__()
        self.setObjectName(f"chart_{key}")
        self.key = key
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(200)
        self.plot.setMaximumHeight(260)
        self.plot.setToolTip(tooltip)
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getPlotItem().setMenuEnabled(False)
        self.legend = self.plot.addLegend(offset=(-10, 5))
        head = QHBoxLayout()
        label = QLabel(f"<b>{title}</b>")
        label.setToolTip(tooltip)
        head.addWidget(label, 1)
        self.save_button = QPushButton(t("Save chart as PNG…"))
        self.save_button.setObjectName(f"chart_{key}_save")
        self.save_button.clicked.connect(lambda: save(self))
        head.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.plot)

    def clear(self) -> None:
        self.plot.clear()
        self.legend.clear()

    def set_x_labels(self, labels: list[str]) -> None:
        step = max(1, len(labels) // 10)
        ticks = [(i, label) for i, label in enumerate(labels) if i % step == 0]
        self.plot.getAxis("bottom").setTicks([ticks, []])

    def save_png(self, path: Path) -> None:
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"Cannot write {path}")


def make_table(key: str, headers: list[str], tooltip: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(f"table_{key}")
    table.setHorizontalHeaderLabels(headers)
    table.setToolTip(tooltip)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMinimumHeight(160)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]], right_from: int = 1) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value)
            if c >= right_from:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
