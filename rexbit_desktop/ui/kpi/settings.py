"""KPI settings editor (managers and administrators): working days and hours, holidays, extra days off,
handling days for the ship-by date, per carrier too. Opened from the Pulpit; saving recomputes it.

The values are checked by the same rules the service applies (``domain/kpi.py``) before saving; a bad
value is named in Polish under the form and its field takes the focus, nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError, ValidationError
from rexbit_desktop.domain.kpi import KpiSettings, kpi_settings_from_dict
from rexbit_desktop.services import kpi
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t, tn
from rexbit_desktop.ui.kpi import strings as _strings  # noqa: F401 (registers the Polish words)
from rexbit_desktop.ui.runner import TaskError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def phrase_setting_error(exc: RexbitError) -> str:
    """A refused KPI setting in the user's language (the service's message is for the command line)."""
    p: dict[str, Any] = dict(exc.params or {})
    if exc.code == "kpi_time_invalid":
        return t("„{value}” is not a time of day (HH:MM).", value=p.get("value", ""))
    if exc.code == "kpi_timezone_unknown":
        return t("Unknown time zone „{value}”.", value=p.get("value", ""))
    if exc.code == "kpi_weekdays_invalid":
        return t("Tick at least one working day.")
    if exc.code == "kpi_day_ends_before_start":
        return t(
            "The working day must end after it starts ({start}–{end}).",
            start=p.get("start", ""),
            end=p.get("end", ""),
        )
    if exc.code == "kpi_date_invalid":
        return t("„{value}” is not a date (YYYY-MM-DD).", value=p.get("value", ""))
    if exc.code == "kpi_handling_days_invalid":
        if p.get("carrier"):
            return t(
                "Handling days of „{carrier}” must be a whole number from 0 to 60, not „{value}”.",
                carrier=p["carrier"],
                value=p.get("value", ""),
            )
        return t("Handling days must be a whole number from 0 to 60.")
    return t(exc.message)


class KpiSettingsDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        settings: KpiSettings,
        on_saved: Callable[[KpiSettings], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.on_saved = on_saved
        self.setObjectName("kpi_settings")
        self.setWindowTitle(t("KPI settings"))

        self.weekdays: list[QCheckBox] = []
        days_row = QHBoxLayout()
        for i, name in enumerate(WEEKDAYS):
            box = QCheckBox(t(name))
            box.setObjectName(f"weekday_{i}")
            box.setChecked(i in settings.working_weekdays)
            self.weekdays.append(box)
            days_row.addWidget(box)
        days_row.addStretch(1)
        self.work_start = self._time_edit("work_start", settings.work_start)
        self.work_end = self._time_edit("work_end", settings.work_end)
        hours_row = QHBoxLayout()
        hours_row.addWidget(self.work_start)
        hours_row.addWidget(QLabel("–"))
        hours_row.addWidget(self.work_end)
        hours_row.addStretch(1)
        self.public_holidays = QCheckBox(t("Polish public holidays are days off"))
        self.public_holidays.setObjectName("public_holidays")
        self.public_holidays.setChecked(settings.public_holidays)
        self.extra_days_off = QPlainTextEdit("\n".join(settings.extra_days_off))
        self.extra_days_off.setObjectName("extra_days_off")
        self.extra_days_off.setPlaceholderText(t("One date a line, e.g. 2026-12-31"))
        self.extra_days_off.setMaximumHeight(80)
        self.handling_days = QSpinBox()
        self.handling_days.setObjectName("handling_days")
        self.handling_days.setRange(0, 60)
        self.handling_days.setValue(settings.handling_days)
        self._handling_suffix(settings.handling_days)
        self.handling_days.valueChanged.connect(self._handling_suffix)
        self.timezone = QLineEdit(settings.timezone)
        self.timezone.setObjectName("timezone")

        self.carriers = QTableWidget(0, 2)
        self.carriers.setObjectName("carrier_handling_days")
        self.carriers.setHorizontalHeaderLabels([t("Carrier or delivery method"), t("Handling days")])
        self.carriers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.carriers.verticalHeader().setVisible(False)
        self.carriers.setMaximumHeight(140)
        for method, days in sorted(settings.carrier_handling_days.items()):
            self.add_carrier(method, str(days))
        add = QPushButton(t("Add carrier"))
        add.setObjectName("add_carrier")
        add.clicked.connect(lambda: self.add_carrier("", "1"))
        remove = QPushButton(t("Remove selected"))
        remove.clicked.connect(self._remove_carrier)
        carrier_buttons = QHBoxLayout()
        carrier_buttons.addWidget(add)
        carrier_buttons.addWidget(remove)
        carrier_buttons.addStretch(1)

        form = QFormLayout()
        form.addRow(t("Working days"), days_row)
        form.addRow(t("Working hours"), hours_row)
        form.addRow("", self.public_holidays)
        form.addRow(t("Extra days off"), self.extra_days_off)
        form.addRow(t("Handling days (ready → ship-by date)"), self.handling_days)
        form.addRow(t("Per carrier"), self.carriers)
        form.addRow("", carrier_buttons)
        form.addRow(t("Time zone"), self.timezone)

        self.error_label = QLabel("")
        self.error_label.setObjectName("kpi_settings_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(t("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(620, 520)

    def _handling_suffix(self, n: int) -> None:
        # "1 dzień roboczy", "2 dni robocze", "5 dni roboczych": the words after the number.
        self.handling_days.setSuffix(tn("{n} working day", n).removeprefix(str(n)))

    def _time_edit(self, name: str, value: str) -> QTimeEdit:
        edit = QTimeEdit(QTime.fromString(value, "HH:mm"))
        edit.setObjectName(name)
        edit.setDisplayFormat("HH:mm")
        return edit

    def add_carrier(self, method: str, days: str) -> None:
        row = self.carriers.rowCount()
        self.carriers.insertRow(row)
        self.carriers.setItem(row, 0, QTableWidgetItem(method))
        self.carriers.setItem(row, 1, QTableWidgetItem(days))

    def _remove_carrier(self) -> None:
        for row in sorted({i.row() for i in self.carriers.selectedIndexes()}, reverse=True):
            self.carriers.removeRow(row)

    def values(self) -> dict[str, Any]:
        """The form as the settings' JSON (checked by ``kpi_settings_from_dict``)."""
        per_carrier: dict[str, str] = {}
        for row in range(self.carriers.rowCount()):
            method = (self.carriers.item(row, 0) or QTableWidgetItem("")).text().strip()
            days = (self.carriers.item(row, 1) or QTableWidgetItem("")).text().strip()
            if method:
                per_carrier[method] = days
        return {
            "timezone": self.timezone.text().strip(),
            "working_weekdays": [i for i, box in enumerate(self.weekdays) if box.isChecked()],
            "work_start": self.work_start.time().toString("HH:mm"),
            "work_end": self.work_end.time().toString("HH:mm"),
            "public_holidays": self.public_holidays.isChecked(),
            "extra_days_off": [
                line.strip() for line in self.extra_days_off.toPlainText().split() if line.strip()
            ],
            "handling_days": self.handling_days.value(),
            "carrier_handling_days": per_carrier,
        }

    def _field(self, name: str) -> QWidget:
        return {
            "timezone": self.timezone,
            "working_weekdays": self.weekdays[0],
            "work_start": self.work_start,
            "work_end": self.work_end,
            "extra_days_off": self.extra_days_off,
            "handling_days": self.handling_days,
            "carrier_handling_days": self.carriers,
        }.get(name, self.save_button)

    def show_error(self, exc: RexbitError) -> None:
        self.error_label.setText(phrase_setting_error(exc))
        self._field(str((exc.params or {}).get("field", ""))).setFocus()

    def save(self) -> None:
        data = self.values()
        try:
            kpi_settings_from_dict(data)  # the service's own rules, before anything is sent
        except ValidationError as exc:
            self.show_error(exc)
            return
        self.error_label.setText("")
        db, actor = self.ctx.db, self.ctx.actor
        self.save_button.setEnabled(False)
        self.ctx.runner.submit(
            lambda _c: kpi.save_kpi_settings(db.uow(), actor, data),
            on_result=self._saved,
            on_error=self._failed,
        )

    def _saved(self, settings: KpiSettings) -> None:
        self.save_button.setEnabled(True)
        self.accept()
        self.on_saved(settings)

    def _failed(self, err: TaskError) -> None:
        self.save_button.setEnabled(True)
        if isinstance(err.exception, ValidationError):
            self.show_error(err.exception)
        else:
            self.ctx.dialogs.error(self, err)
