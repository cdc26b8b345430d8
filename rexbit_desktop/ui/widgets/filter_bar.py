"""A filter bar: a search box (debounced), drop-down filters and an optional date range.

Emits ``changed`` once per user change (typing waits ``debounce_ms`` of quiet first). ``values()`` and
``set_values()`` use plain, QSettings-friendly types, so the owner can remember the last filters per user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.ui.i18n import register, t

register(
    {
        "Search…": "Szukaj…",
        "All": "Wszystkie",
        "From": "Od",
        "To": "Do",
        "Clear filters": "Wyczyść filtry",
    }
)


class FilterBar(QWidget):
    changed = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, debounce_ms: int = 300, placeholder: str = ""
    ) -> None:
        super().__init__(parent)
        # Two rows (search, dates and *Clear* on top; drop-downs below), so that the bar fits a laptop
        # screen however many filters a view adds.
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        self._top = QHBoxLayout()
        self._layout = QHBoxLayout()
        rows.addLayout(self._top)
        rows.addLayout(self._layout)
        self.search = QLineEdit()
        self.search.setObjectName("filter_search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(placeholder or t("Search…"))
        self.search.setMinimumWidth(150)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.search.returnPressed.connect(self.flush)
        self._top.addWidget(self.search, 2)
        self.combos: dict[str, QComboBox] = {}
        self.date_from: QDateEdit | None = None
        self.date_to: QDateEdit | None = None
        self.date_from_on: QCheckBox | None = None
        self.date_to_on: QCheckBox | None = None
        self.clear_button = QToolButton()
        self.clear_button.setObjectName("filter_clear")
        self.clear_button.setText(t("Clear filters"))
        self.clear_button.setToolTip(t("Clear filters"))
        self.clear_button.clicked.connect(self.clear)

    def finish(self) -> None:
        """Call after adding the filters: puts the *Clear filters* button last."""
        self._layout.addStretch(1)
        self._top.addWidget(self.clear_button)

    def add_combo(self, key: str, label: str, items: Sequence[tuple[str, Any]]) -> QComboBox:
        """A drop-down with *All* first; ``items`` are (shown text, value)."""
        if label:
            self._layout.addWidget(QLabel(label))
        combo = QComboBox()
        combo.setObjectName(f"filter_{key}")
        # Long labels must not push the window wider than a laptop screen: the popup still shows them whole.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(9)
        self.combos[key] = combo
        self.set_combo_items(key, items)
        combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self._layout.addWidget(combo)
        return combo

    def set_combo_items(self, key: str, items: Sequence[tuple[str, Any]]) -> None:
        """Replace the choices, keeping the chosen value when it is still there (no ``changed``)."""
        combo = self.combos[key]
        current = combo.currentData()
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem(t("All"), None)
            for text, value in items:
                combo.addItem(text, value)
            found = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(found, 0))

    def add_date_range(self) -> None:
        today = QDate.currentDate()
        self.date_from_on = QCheckBox(t("From"))
        self.date_from_on.setObjectName("filter_date_from_on")
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_from.setObjectName("filter_date_from")
        self.date_to_on = QCheckBox(t("To"))
        self.date_to_on.setObjectName("filter_date_to_on")
        self.date_to = QDateEdit(today)
        self.date_to.setObjectName("filter_date_to")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd.MM.yyyy")
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self.changed.emit())
        self.date_from_on.toggled.connect(self._date_toggled)
        self.date_to_on.toggled.connect(self._date_toggled)
        for w in (self.date_from_on, self.date_from, self.date_to_on, self.date_to):
            self._top.addWidget(w)

    def _date_toggled(self, _on: bool) -> None:
        assert self.date_from and self.date_to and self.date_from_on and self.date_to_on
        self.date_from.setEnabled(self.date_from_on.isChecked())
        self.date_to.setEnabled(self.date_to_on.isChecked())
        self.changed.emit()

    def flush(self) -> None:
        """Apply the search text now (Enter), without waiting for the debounce."""
        if self._timer.isActive():
            self._timer.stop()
            self.changed.emit()

    # -- values -----------------------------------------------------------------------------------
    def combo_value(self, key: str) -> Any:
        return self.combos[key].currentData()

    def search_text(self) -> str:
        return self.search.text().strip()

    def date_range(self) -> tuple[QDate | None, QDate | None]:
        if self.date_from is None or self.date_to is None:
            return None, None
        assert self.date_from_on and self.date_to_on
        start = self.date_from.date() if self.date_from_on.isChecked() else None
        end = self.date_to.date() if self.date_to_on.isChecked() else None
        return start, end

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"search": self.search.text()}
        for key, combo in self.combos.items():
            value = combo.currentData()
            out[key] = "" if value is None else str(value)
        start, end = self.date_range()
        out["date_from"] = start.toString(Qt.DateFormat.ISODate) if start else ""
        out["date_to"] = end.toString(Qt.DateFormat.ISODate) if end else ""
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        """Restore remembered values without emitting ``changed`` (the owner reloads once)."""
        blockers = [QSignalBlocker(self.search), *(QSignalBlocker(c) for c in self.combos.values())]
        if self.date_from_on is not None:
            assert self.date_to_on and self.date_from and self.date_to
            blockers += [
                QSignalBlocker(w) for w in (self.date_from_on, self.date_to_on, self.date_from, self.date_to)
            ]
        try:
            self.search.setText(str(values.get("search") or ""))
            for key, combo in self.combos.items():
                wanted = str(values.get(key) or "")
                idx = next((i for i in range(combo.count()) if str(combo.itemData(i) or "") == wanted), 0)
                combo.setCurrentIndex(idx)
            if self.date_from_on is not None:
                assert self.date_to_on and self.date_from and self.date_to
                for on, edit, key in (
                    (self.date_from_on, self.date_from, "date_from"),
                    (self.date_to_on, self.date_to, "date_to"),
                ):
                    text = str(values.get(key) or "")
                    date = QDate.fromString(text, Qt.DateFormat.ISODate) if text else QDate()
                    on.setChecked(date.isValid())
                    edit.setEnabled(date.isValid())
                    if date.isValid():
                        edit.setDate(date)
        finally:
            for blocker in blockers:
                blocker.unblock()
        self._timer.stop()

    def clear(self) -> None:
        self.set_values({})
        self.changed.emit()
