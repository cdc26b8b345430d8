"""Harmonogram: every schedule with its cron, next run and last result; enable / disable / edit cron."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.ops import schedules as schedule_service
from rexbit_desktop.services.ops.schedules import ScheduleInfo
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, register, t
from rexbit_desktop.ui.queue.base import ServiceView, call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel

register(
    {
        "Name": "Nazwa",
        "Task": "Zadanie",
        "Arguments": "Argumenty",
        "Cron": "Cron",
        "Enabled": "Włączony",
        "Next run": "Następne uruchomienie",
        "Last run": "Ostatnie uruchomienie",
        "Last result": "Ostatni wynik",
        "yes": "tak",
        "no": "nie",
        "Enable": "Włącz",
        "Disable": "Wyłącz",
        "Edit cron…": "Edytuj cron…",
        "Edit schedule": "Edycja harmonogramu",
        "Schedule: {name}": "Harmonogram: {name}",
        "Cron expression": "Wyrażenie cron",
        "minute hour day-of-month month day-of-week, e.g. */30 * * * * (every 30 minutes)": (
            "minuta godzina dzień-miesiąca miesiąc dzień-tygodnia, np. */30 * * * * (co 30 minut)"
        ),
        "Next runs: {times}": "Najbliższe uruchomienia: {times}",
        "Not a valid cron expression: {reason}": "Nieprawidłowe wyrażenie cron: {reason}",
        "Save": "Zapisz",
        "Only a manager or an administrator can change schedules.": (
            "Zmieniać harmonogram może tylko kierownik lub administrator."
        ),
        "disabled": "wyłączony",
        "Schedules run in the scheduler (rexbit serve or rexbit schedule work), not in this window.": (
            "Harmonogram wykonuje planista (rexbit serve lub rexbit schedule work), nie to okno."
        ),
        "job queued": "zadanie w kolejce",
        "skipped": "pominięte",
        "not queued": "nie dodano do kolejki",
        "task missing": "brak zadania",
        "claimed": "przyjęte",
        "invalid cron": "błędny cron",
        "not available": "niedostępne",
        # the queued job's own outcome (the last run)
        "waiting in the queue": "czeka w kolejce",
        "running": "w toku",
        "done": "wykonane",
        "job failed": "zadanie nie powiodło się",
        "job cancelled": "zadanie anulowane",
        "job aborted": "zadanie przerwane",
        # cron errors, phrased here from the service's code (APScheduler's own words are English)
        "The {field} field '{value}' is not valid.": "Pole „{field}” ma nieprawidłową wartość „{value}”.",
        "It has {count} fields; 5 are needed (minute hour day month weekday).": (
            "Ma pól: {count}; potrzeba 5 (minuta godzina dzień miesiąc dzień-tygodnia)."
        ),
        "The expression is not valid.": "Wyrażenie jest nieprawidłowe.",
        "cron second": "sekunda",
        "cron minute": "minuta",
        "cron hour": "godzina",
        "cron day": "dzień miesiąca",
        "cron month": "miesiąc",
        "cron weekday": "dzień tygodnia",
    }
)

_OUTCOMES = {
    "todo": "waiting in the queue",
    "doing": "running",
    "succeeded": "done",
    "failed": "job failed",
    "cancelled": "job cancelled",
    "aborted": "job aborted",
}


def cron_error_text(code: str | None, params: dict[str, Any] | None) -> str:
    """A refused cron expression in the user's words (from the service's code and parameters)."""
    p = params or {}
    if code == "invalid_cron_field":
        return t(
            "The {field} field '{value}' is not valid.",
            field=t(f"cron {p.get('field')}"),
            value=p.get("value"),
        )
    if code == "invalid_cron_fields":
        return t("It has {count} fields; 5 are needed (minute hour day month weekday).", count=p.get("count"))
    return t("The expression is not valid.")


def _arguments(s: ScheduleInfo) -> str:
    return ", ".join(f"{k}={v}" for k, v in s.arguments.items())


def _last_result(s: ScheduleInfo) -> str:
    """The last run's real outcome: the queued job's state (a run that queued a job which then failed
    says so), else the tick's own result. The services' messages are not shown (they are English)."""
    if not s.last_status:
        return ""
    if s.last_status == "deferred" and s.last_outcome in _OUTCOMES:
        return t(_OUTCOMES[s.last_outcome])
    # Tick statuses of services.schedules.TickStatus, in words of this view.
    words = {
        "deferred": t("job queued"),
        "skipped": t("skipped"),
        "task_missing": t("task missing"),
        "failed": t("not queued"),
        "claimed": t("claimed"),
    }
    return words.get(s.last_status, s.last_status)


def _result_colour(s: ScheduleInfo) -> str | None:
    failed = s.last_status in ("failed", "task_missing") or s.last_outcome in ("failed", "aborted")
    return "#b00020" if failed else None


def _next_run(s: ScheduleInfo) -> str:
    if s.cron_error:
        return t("invalid cron")
    if not s.enabled:
        return t("disabled")
    return format_datetime(s.next_due)


def next_runs(cron: str, count: int = 3) -> list[datetime]:
    """The next ``count`` run times of a cron expression (``InvalidCron`` when it is not valid)."""
    trigger = schedule_service.cron_trigger(cron)
    now = datetime.now(trigger.timezone)
    return schedule_service.fire_times(trigger, now, now + timedelta(days=800), limit=count)


class CronDialog(QDialog):
    """Edit a schedule's cron; validated as you type, with the next three run times."""

    def __init__(self, name: str, cron: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Edit schedule"))
        self.cron_edit = QLineEdit(cron)
        self.cron_edit.setObjectName("cron")
        self.hint = QLabel(
            t("minute hour day-of-month month day-of-week, e.g. */30 * * * * (every 30 minutes)")
        )
        self.hint.setStyleSheet("color: palette(mid)")
        self.preview = QLabel("")
        self.preview.setObjectName("preview")
        self.preview.setWordWrap(True)
        form = QFormLayout()
        form.addRow(QLabel("<b>" + t("Schedule: {name}", name=name) + "</b>"))
        form.addRow(t("Cron expression"), self.cron_edit)
        form.addRow("", self.hint)
        form.addRow("", self.preview)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(t("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.cron_edit.textChanged.connect(self._validate)
        self._validate()
        self.resize(520, 180)

    @property
    def cron(self) -> str:
        return " ".join(self.cron_edit.text().split())

    def _accept_if_valid(self) -> None:
        if self.is_valid():  # Enter in the field must not save an invalid expression
            self.accept()

    def is_valid(self) -> bool:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()

    def _validate(self) -> None:
        try:
            runs = next_runs(self.cron)
        except RexbitError as exc:
            self.preview.setText(
                t("Not a valid cron expression: {reason}", reason=cron_error_text(exc.code, exc.params))
            )
            self.preview.setToolTip("")
            self.preview.setStyleSheet("color: #b00020")
            ok = False
        else:
            self.preview.setText(t("Next runs: {times}", times=", ".join(format_datetime(r) for r in runs)))
            self.preview.setStyleSheet("")
            ok = True
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)


class SchedulesView(ServiceView):
    title = "Schedule"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.may_edit = ctx.can(Permission.SETTINGS_EDIT)
        self.cron_dialog: CronDialog | None = None
        self.model: RecordTableModel[ScheduleInfo] = RecordTableModel(
            [
                Column(t("Name"), lambda s: s.name, tooltip=lambda s: s.description),
                Column(
                    t("Task"),
                    lambda s: s.task if s.task_registered else f"{s.task} ({t('not available')})",
                    colour=lambda s: None if s.task_registered else "#b00020",
                ),
                Column(t("Arguments"), _arguments),
                Column(
                    t("Cron"),
                    lambda s: s.cron,
                    tooltip=lambda s: (
                        cron_error_text(s.cron_error_code, s.cron_error_params) if s.cron_error else None
                    ),
                    colour=lambda s: "#b00020" if s.cron_error else None,
                ),
                Column(
                    t("Enabled"),
                    lambda s: t("yes") if s.enabled else t("no"),
                    colour=lambda s: None if s.enabled else "#808080",
                ),
                Column(t("Next run"), _next_run),
                Column(t("Last run"), lambda s: format_datetime(s.last_due_at)),
                Column(t("Last result"), _last_result, colour=_result_colour, tooltip=_last_result),
            ]
        )
        self.table = QTableView()
        self.table.setObjectName("schedules_table")
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.doubleClicked.connect(lambda _i: self.edit_cron())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.refresh_button = QPushButton(t("Refresh"))
        self.refresh_button.setObjectName("refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.enable_button = QPushButton(t("Enable"))
        self.enable_button.setObjectName("enable")
        self.enable_button.clicked.connect(lambda: self.set_enabled(True))
        self.disable_button = QPushButton(t("Disable"))
        self.disable_button.setObjectName("disable")
        self.disable_button.clicked.connect(lambda: self.set_enabled(False))
        self.edit_button = QPushButton(t("Edit cron…"))
        self.edit_button.setObjectName("edit")
        self.edit_button.clicked.connect(self.edit_cron)
        for button in (self.enable_button, self.disable_button, self.edit_button):
            button.setEnabled(False)
            if not self.may_edit:
                button.setToolTip(t("Only a manager or an administrator can change schedules."))

        bar = QHBoxLayout()
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        bar.addWidget(self.enable_button)
        bar.addWidget(self.disable_button)
        bar.addWidget(self.edit_button)
        note = QLabel(
            t("Schedules run in the scheduler (rexbit serve or rexbit schedule work), not in this window.")
        )
        note.setStyleSheet("color: palette(mid)")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.restore_columns("schedules", self.table)

    def refresh(self) -> None:
        ctx = self.ctx
        self.load(lambda _c: list(schedule_service.list_schedules(ctx.db.uow(), ctx.actor)), self._show)

    def _show(self, schedules: list[ScheduleInfo]) -> None:
        selected = selected_record(self.table)
        self.model.set_rows(schedules)
        self.fit_once(self.table)
        self.fit_columns(self.table)
        if selected is not None:
            for row, s in enumerate(schedules):
                if s.name == selected.name:
                    self.table.selectRow(row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        s = selected_record(self.table)
        self.enable_button.setEnabled(self.may_edit and s is not None and not s.enabled)
        self.disable_button.setEnabled(self.may_edit and s is not None and bool(s.enabled))
        self.edit_button.setEnabled(self.may_edit and s is not None)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.edit_button.isEnabled():
            self.edit_cron()
            return
        super().keyPressEvent(event)

    # -- actions ----------------------------------------------------------------------------------
    def set_enabled(self, enabled: bool) -> None:
        s = selected_record(self.table)
        if s is None:
            return
        ctx, name = self.ctx, str(s.name)
        call_service(
            ctx,
            self,
            lambda _c: schedule_service.set_schedule(ctx.db.uow(), ctx.actor, name, enabled=enabled),
            lambda _r: self.refresh(),
        )

    def edit_cron(self) -> CronDialog | None:
        """Open the cron editor for the selected schedule; saving happens when it is accepted."""
        s = selected_record(self.table)
        if s is None or not self.may_edit:
            return None
        dialog = CronDialog(str(s.name), str(s.cron), self)
        dialog.accepted.connect(lambda: self._save_cron(str(s.name), dialog.cron))
        dialog.open()
        self.cron_dialog = dialog
        return dialog

    def _save_cron(self, name: str, cron: str) -> None:
        ctx = self.ctx
        call_service(
            ctx,
            self,
            lambda _c: schedule_service.set_schedule(ctx.db.uow(), ctx.actor, name, cron=cron),
            lambda _r: self.refresh(),
        )

    def save_state(self) -> None:
        self.save_columns("schedules", self.table)
