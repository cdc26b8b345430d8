"""Kolejki: waiting / running / failed per queue, the failed jobs with their errors, and retry, retry all,
flush. Refreshes by itself every few seconds while it is visible."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.ops import queue as queue_service
from rexbit_desktop.services.ops import queue_activity
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, register, t
from rexbit_desktop.ui.integrations.runs_table import failed_run_message, import_summary
from rexbit_desktop.ui.queue.base import ServiceView, call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel

register(
    {
        "Queue": "Kolejka",
        "Waiting": "Oczekujące",
        "Running": "W toku",
        "Failed": "Nieudane",
        "Oldest waiting": "Najstarsze oczekujące",
        "Failed jobs": "Nieudane zadania",
        "ID": "ID",
        "Task": "Zadanie",
        "Arguments": "Argumenty",
        "Attempts": "Próby",
        "Failed at": "Niepowodzenie",
        "Error": "Błąd",
        "Retry": "Ponów",
        "Retry all": "Ponów wszystkie",
        "Delete all failed": "Usuń wszystkie nieudane",
        "Delete all failed jobs?": "Usunąć wszystkie nieudane zadania?",
        "All {n} failed jobs of every queue will be deleted with their errors. This cannot be undone.": (
            "Wszystkie nieudane zadania ze wszystkich kolejek ({n}) zostaną usunięte razem z błędami. "
            "Tego nie można cofnąć."
        ),
        "Retry all failed jobs?": "Ponowić wszystkie nieudane zadania?",
        "{n} failed jobs go back to their queues with their full number of tries.": (
            "Nieudane zadania ({n}) wrócą do kolejek z pełną liczbą prób."
        ),
        "Jobs sent back to their queues: {n}": "Zadania zwrócone do kolejek: {n}",
        "Failed jobs deleted: {n}": "Usunięte nieudane zadania: {n}",
        "Refreshed {time}; refreshes by itself every {s} s.": (
            "Odświeżono {time}; odświeża się samo co {s} s."
        ),
        "Only a manager or an administrator can retry or delete failed jobs.": (
            "Ponawiać i usuwać nieudane zadania może tylko kierownik lub administrator."
        ),
        "Select a failed job to see its full error.": "Wybierz nieudane zadanie, aby zobaczyć pełny błąd.",
        "No failed jobs.": "Brak nieudanych zadań.",
        "Queues": "Kolejki",
        "Scheduled later": "Zaplanowane na później",
        "Select a queue to see only its failed jobs.": "Wybierz kolejkę, aby zobaczyć tylko jej nieudane zadania.",
        "Failed jobs: {queue}": "Nieudane zadania: {queue}",
        "Orders queue": "Zamówienia",
        "Imports queue": "Importy",
        "Integrations queue": "Integracje",
        "Other jobs queue": "Pozostałe",
        "E-mail queue": "E-mail",
        "All queues": "Wszystkie kolejki",
        "Restart workers": "Restartuj workery",
        "Restart workers?": "Zrestartować workery?",
        "Every worker on every computer finishes its current job and exits; its supervisor starts it again.": (
            "Każdy worker na każdym komputerze kończy bieżące zadanie i wychodzi; jego nadzorca uruchamia go ponownie."
        ),
        "Workers were asked to restart after their current job.": (
            "Workery zrestartują się po bieżącym zadaniu."
        ),
        "Workers connected: {n}; jobs on this computer: {local}": (
            "Połączone workery: {n}; zadania na tym komputerze: {local}"
        ),
        "on": "włączone",
        "off": "wyłączone",
        "Left failed (the same job is already waiting): {n}": (
            "Pozostawione jako nieudane (to samo zadanie już czeka): {n}"
        ),
        "Waiting for a retry": "Czekają na ponowienie",
        "Next try": "Następna próba",
        "now": "teraz",
        "Last error": "Ostatni błąd",
        "No job waits for a retry.": "Żadne zadanie nie czeka na ponowienie.",
        "Runs": "Przebiegi",
        "Kind": "Rodzaj",
        "Integration": "Integracja",
        "Status": "Status",
        "Started": "Start",
        "Finished": "Koniec",
        "Message": "Komunikat",
        "import": "import",
        "availability": "dostępność",
        "orders": "zamówienia",
        "queued": "w kolejce",
        "running": "w toku",
        "succeeded": "zakończone",
        "failed": "nieudane",
        "cancelled": "anulowane",
        "Failed jobs wait this long before each retry (the worker's --backoff); the error is the one of the last attempt.": (
            "Nieudane zadania czekają tyle przed każdą kolejną próbą (--backoff workera); błąd pochodzi z ostatniej próby."
        ),
        "{n} s": "{n} s",
        "{n} min": "{n} min",
        "{n} h": "{n} h",
    }
)

AUTO_REFRESH_MS = 5000


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 120:
        return t("{n} s", n=s)
    if s < 7200:
        return t("{n} min", n=s // 60)
    return t("{n} h", n=s // 3600)


QUEUE_LABELS = {
    "orders": "Orders queue",
    "import": "Imports queue",
    "integrations": "Integrations queue",
    "default": "Other jobs queue",
    "mail": "E-mail queue",
}


def queue_label(code: str) -> str:
    """A queue in words, with its name for ``rexbit queue work --queue`` after it."""
    return f"{t(QUEUE_LABELS[code])} ({code})" if code in QUEUE_LABELS else code


def _run_message(run: Any) -> str:
    """A finished import in words from its counts (its stored summary is English); else the message."""
    if run.kind == "import" and run.status == "succeeded" and run.counts:
        return import_summary(*run.counts)
    if run.kind == "import" and getattr(run, "message_code", None):
        return failed_run_message(run)
    return str(run.message or "")


class QueuesView(ServiceView):
    title = "Queues"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.may_manage = ctx.can(Permission.QUEUE_MANAGE)

        self.queues_model: RecordTableModel[Any] = RecordTableModel(
            [
                Column(t("Queue"), lambda q: queue_label(str(q.queue))),
                Column(t("Waiting"), lambda q: str(q.waiting), numeric=True),
                Column(t("Scheduled later"), lambda q: str(q.scheduled), numeric=True),
                Column(t("Running"), lambda q: str(q.running), numeric=True),
                Column(
                    t("Failed"),
                    lambda q: str(q.failed),
                    numeric=True,
                    colour=lambda q: "#b00020" if q.failed else None,
                ),
                Column(t("Oldest waiting"), lambda q: _age(q.oldest_waiting_seconds), numeric=True),
            ]
        )
        self.queues_table = QTableView()
        self.queues_table.setObjectName("queues_table")
        self.queues_table.setModel(self.queues_model)
        configure_table(self.queues_table, stretch_last=False)
        self.queues_table.setMaximumHeight(24 * 6 + 30)
        self.queues_table.setToolTip(t("Select a queue to see only its failed jobs."))
        self.queues_table.selectionModel().selectionChanged.connect(lambda *_: self._queue_chosen())
        self.queue_filter: str | None = None
        """The queue whose failed jobs are shown (None: every queue)."""

        self.failed_model: RecordTableModel[Any] = RecordTableModel(
            [
                Column(t("ID"), lambda j: str(j.id), numeric=True),
                Column(t("Queue"), lambda j: queue_label(str(j.queue))),
                Column(t("Task"), lambda j: j.task),
                Column(t("Arguments"), lambda j: j.arguments, tooltip=lambda j: j.arguments),
                Column(t("Attempts"), lambda j: str(j.attempts), numeric=True),
                Column(t("Failed at"), lambda j: format_datetime(j.failed_at)),
                Column(
                    t("Error"),
                    lambda j: j.error,
                    tooltip=lambda j: j.error,
                    colour=lambda _j: "#b00020",
                ),
            ]
        )
        self.failed_table = QTableView()
        self.failed_table.setObjectName("failed_table")
        self.failed_table.setModel(self.failed_model)
        configure_table(self.failed_table)
        self.failed_table.selectionModel().selectionChanged.connect(lambda *_: self._show_error())

        self.retry_model: RecordTableModel[Any] = RecordTableModel(
            [
                Column(t("ID"), lambda j: str(j.id), numeric=True),
                Column(t("Queue"), lambda j: str(j.queue)),
                Column(t("Task"), lambda j: j.task),
                Column(t("Attempts"), lambda j: str(j.attempts), numeric=True),
                Column(
                    t("Next try"), lambda j: format_datetime(j.next_try_at) if j.next_try_at else t("now")
                ),
                Column(t("Last error"), lambda j: j.error, tooltip=lambda j: j.error),
            ]
        )
        self.retry_table = QTableView()
        self.retry_table.setObjectName("retry_table")
        self.retry_table.setModel(self.retry_model)
        self.retry_table.setToolTip(
            t(
                "Failed jobs wait this long before each retry (the worker's --backoff); "
                "the error is the one of the last attempt."
            )
        )
        configure_table(self.retry_table)
        run_colours = {"failed": "#b00020", "running": "#1565c0", "queued": "#1565c0"}
        self.runs_model: RecordTableModel[Any] = RecordTableModel(
            [
                Column(t("Kind"), lambda r: t(r.kind)),
                Column(t("ID"), lambda r: str(r.id), numeric=True),
                Column(t("Integration"), lambda r: r.integration_name),
                Column(t("Status"), lambda r: t(r.status), colour=lambda r: run_colours.get(r.status)),
                Column(t("Started"), lambda r: format_datetime(r.started_at)),
                Column(t("Finished"), lambda r: format_datetime(r.finished_at) if r.finished_at else ""),
                Column(t("Message"), _run_message, tooltip=_run_message),
            ]
        )
        self.runs_table = QTableView()
        self.runs_table.setObjectName("runs_table")
        self.runs_table.setModel(self.runs_model)
        configure_table(self.runs_table)

        self.error_text = QPlainTextEdit()
        self.error_text.setObjectName("error_text")
        self.error_text.setReadOnly(True)
        self.error_text.setPlaceholderText(t("Select a failed job to see its full error."))

        self.refresh_button = QPushButton(t("Refresh"))
        self.refresh_button.setObjectName("refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.retry_button = QPushButton(t("Retry"))
        self.retry_button.setObjectName("retry")
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button = QPushButton(t("Retry all"))
        self.retry_all_button.setObjectName("retry_all")
        self.retry_all_button.clicked.connect(self.retry_all)
        self.restart_button = QPushButton(t("Restart workers"))
        self.restart_button.setObjectName("restart_workers")
        self.restart_button.setToolTip(
            t(
                "Every worker on every computer finishes its current job and exits; its supervisor starts it again."
            )
        )
        self.restart_button.clicked.connect(self.restart_workers)
        self.restart_button.setEnabled(self.may_manage)
        self.flush_button = QPushButton(t("Delete all failed"))
        self.flush_button.setObjectName("flush")
        self.flush_button.clicked.connect(self.flush)
        for button in (self.retry_button, self.retry_all_button, self.flush_button):
            button.setEnabled(False)
            if not self.may_manage:
                button.setToolTip(t("Only a manager or an administrator can retry or delete failed jobs."))
        self.message = ""
        self._restoring = False
        self._tracebacks: dict[int, str] = {}
        """Full tracebacks of failed jobs already read (a failed job's attempts do not change)."""
        self.workers_label = QLabel("")
        self.workers_label.setObjectName("workers")
        self.status_label = QLabel("")
        self.status_label.setObjectName("status")
        self.status_label.setStyleSheet("color: palette(mid)")

        top = QHBoxLayout()
        top.addWidget(self.refresh_button)
        top.addWidget(self.status_label, 1)
        top.addWidget(self.workers_label)
        top.addWidget(self.restart_button)
        actions = QHBoxLayout()
        self.failed_title = QLabel("<b>" + t("Failed jobs") + "</b>")
        self.failed_title.setObjectName("failed_title")
        self.all_queues_button = QPushButton(t("All queues"))
        self.all_queues_button.setObjectName("all_queues")
        self.all_queues_button.clicked.connect(self.queues_table.clearSelection)
        self.all_queues_button.setVisible(False)
        actions.addWidget(self.failed_title)
        actions.addWidget(self.all_queues_button)
        actions.addStretch(1)
        actions.addWidget(self.retry_button)
        actions.addWidget(self.retry_all_button)
        actions.addWidget(self.flush_button)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(actions)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.failed_table)
        splitter.addWidget(self.error_text)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        lower_layout.addWidget(splitter, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("<b>" + t("Queues") + "</b>"))
        layout.addWidget(self.queues_table)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("queue_tabs")
        self.tabs.addTab(lower, t("Failed jobs"))
        self.tabs.addTab(self.retry_table, t("Waiting for a retry"))
        self.tabs.addTab(self.runs_table, t("Runs"))
        layout.addWidget(self.tabs, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(AUTO_REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.restore_columns("queues/failed", self.failed_table)

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        ctx, chosen = self.ctx, self.queue_filter

        def fetch(_c: Any) -> tuple[list[Any], ...]:
            queues = queue_service.queue_stats(ctx.db.uow(), ctx.actor)
            failed = queue_service.list_failed_jobs(ctx.db.uow(), ctx.actor, queue=chosen)
            workers = queue_service.list_workers(ctx.db.uow(), ctx.actor)
            retrying = queue_activity.list_retrying_jobs(ctx.db.uow(), ctx.actor, queue=chosen)
            runs = queue_activity.list_recent_runs(ctx.db.uow(), ctx.actor)
            return queues, failed, workers, retrying, runs

        self.load(fetch, self._show)

    def _tick(self) -> None:
        if self.loading == 0 and self.isVisible():
            self.refresh()

    def _show(self, data: tuple[list[Any], ...]) -> None:
        queues, failed, workers, retrying, runs = data
        self.retry_model.set_rows(retrying)
        self.runs_model.set_rows(runs)
        self.tabs.setTabText(1, f"{t('Waiting for a retry')} ({len(retrying)})")
        still_failed = {job.id for job in failed}
        self._tracebacks = {k: v for k, v in self._tracebacks.items() if k in still_failed}
        alive = [w for w in workers if w.seconds_since_heartbeat < 60]
        local = t("on") if self.ctx.local_worker is not None else t("off")
        self.workers_label.setText(
            t("Workers connected: {n}; jobs on this computer: {local}", n=len(alive), local=local)
        )
        selected = selected_record(self.failed_table)
        self._restoring = True
        self.queues_model.set_rows(queues)
        for row, q in enumerate(queues):
            if q.queue == self.queue_filter:
                self.queues_table.selectRow(row)
        self._restoring = False
        self.failed_model.set_rows(failed)
        self.fit_once(self.queues_table)
        self.fit_once(self.failed_table)
        for table in (self.queues_table, self.failed_table, self.retry_table, self.runs_table):
            self.fit_columns(table)
        if selected is not None:
            for row, job in enumerate(failed):
                if job.id == selected.id:
                    self.failed_table.selectRow(row)
                    break
        refreshed = t(
            "Refreshed {time}; refreshes by itself every {s} s.",
            time=datetime.now().strftime("%H:%M:%S"),
            s=AUTO_REFRESH_MS // 1000,
        )
        self.status_label.setText(f"{self.message} · {refreshed}" if self.message else refreshed)
        if not failed:
            self.error_text.setPlaceholderText(t("No failed jobs."))
        self._update_buttons()

    def _queue_chosen(self) -> None:
        if self._restoring:
            return
        chosen = selected_record(self.queues_table)
        self.queue_filter = chosen.queue if chosen is not None else None
        self.failed_title.setText(
            "<b>"
            + (t("Failed jobs: {queue}", queue=self.queue_filter) if self.queue_filter else t("Failed jobs"))
            + "</b>"
        )
        self.all_queues_button.setVisible(self.queue_filter is not None)
        self.refresh()

    def _show_error(self) -> None:
        job = selected_record(self.failed_table)
        self._update_buttons()
        if job is None:
            self.error_text.clear()
            return
        cached = self._tracebacks.get(job.id)
        if cached is not None:  # an auto refresh re-selects the job: no need to read it again
            self.error_text.setPlainText(cached)
            return
        self.error_text.setPlainText(job.error)
        ctx, job_id = self.ctx, int(job.id)

        def show(detail: Any) -> None:
            parts = [
                f"#{a.attempt} · {format_datetime(a.failed_at)} · {a.worker}\n{a.traceback.rstrip()}"
                for a in detail.attempts
            ]
            text = "\n\n".join(parts) or detail.job.error
            self._tracebacks[detail.job.id] = text
            current = selected_record(self.failed_table)
            if current is not None and current.id == detail.job.id:
                self.error_text.setPlainText(text)

        # An error here means the job was retried or flushed meanwhile: keep the short error shown.
        ctx.runner.submit(
            lambda _c: queue_service.failed_job_detail(ctx.db.uow(), ctx.actor, job_id),
            on_result=show,
            on_error=lambda _err: None,
        )

    def _update_buttons(self) -> None:
        has_failed = self.failed_model.rowCount() > 0
        any_failed = any(q.failed for q in self.queues_model.rows())
        self.retry_button.setEnabled(self.may_manage and selected_record(self.failed_table) is not None)
        self.retry_all_button.setEnabled(self.may_manage and has_failed)
        self.flush_button.setEnabled(self.may_manage and any_failed)

    # -- actions ----------------------------------------------------------------------------------
    def retry_selected(self) -> None:
        job = selected_record(self.failed_table)
        if job is None:
            return
        ctx, job_id = self.ctx, int(job.id)
        call_service(
            ctx,
            self,
            lambda _c: queue_service.retry_failed_jobs(ctx.db.uow(), ctx.actor, [job_id]),
            self._retried,
        )

    def retry_all(self) -> None:
        """Retry every failed job shown (of the chosen queue, or of every queue)."""
        ids = None if self.queue_filter is None else [int(j.id) for j in self.failed_model.rows()]
        n = self.failed_model.rowCount()
        if not self.ctx.dialogs.confirm(
            self,
            t("Retry all failed jobs?"),
            t("{n} failed jobs go back to their queues with their full number of tries.", n=n),
        ):
            return
        ctx = self.ctx
        call_service(
            ctx,
            self,
            lambda _c: queue_service.retry_failed_jobs(ctx.db.uow(), ctx.actor, ids),
            self._retried,
        )

    def flush(self) -> None:
        """Delete the failed jobs of every queue (the service has no per-queue flush: the count says so)."""
        n = sum(q.failed for q in self.queues_model.rows())
        if not self.ctx.dialogs.confirm(
            self,
            t("Delete all failed jobs?"),
            t(
                "All {n} failed jobs of every queue will be deleted with their errors. This cannot be undone.",
                n=n,
            ),
        ):
            return
        ctx = self.ctx

        def flushed(count: Any) -> None:
            self.refresh()
            self.message = t("Failed jobs deleted: {n}", n=count)
            self.status_label.setText(self.message)

        call_service(ctx, self, lambda _c: queue_service.flush_failed_jobs(ctx.db.uow(), ctx.actor), flushed)

    def restart_workers(self) -> None:
        if not self.ctx.dialogs.confirm(
            self,
            t("Restart workers?"),
            t(
                "Every worker on every computer finishes its current job and exits; its supervisor starts it again."
            ),
        ):
            return
        ctx = self.ctx

        def signalled(_at: Any) -> None:
            self.message = t("Workers were asked to restart after their current job.")
            self.status_label.setText(self.message)

        call_service(
            ctx, self, lambda _c: queue_service.request_worker_restart(ctx.db.uow(), ctx.actor), signalled
        )

    def _retried(self, result: queue_service.RetryResult) -> None:
        self.refresh()
        self.message = t("Jobs sent back to their queues: {n}", n=len(result.retried))
        if result.skipped:
            self.message += " " + t(
                "Left failed (the same job is already waiting): {n}", n=len(result.skipped)
            )
        self.status_label.setText(self.message)

    # -- visibility -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()
        super().hideEvent(event)

    def save_state(self) -> None:
        self.save_columns("queues/failed", self.failed_table)
