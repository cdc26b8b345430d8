"""Application settings of this workstation: the language, and single-workstation mode (queued jobs
run in a worker inside the desktop app, so no separate ``rexbit queue work`` process is needed).

Both are stored in the workstation's QSettings, not per user: the language is needed before login,
and whether this computer runs jobs is a property of the computer.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.runner import TaskError

log = logging.getLogger(__name__)

LANGUAGE_KEY = "language"
RUN_JOBS_KEY = "workstation/run_jobs"

register(
    {
        "Preferences": "Preferencje",
        "Preferences…": "Preferencje…",
        "Run queued jobs on this computer": "Wykonuj zadania z kolejek na tym komputerze",
        "Single workstation: imports, syncs and other queued jobs run inside this program, "
        "so no separate worker process or server is needed. Leave it off when a server "
        "(rexbit serve) or workers run the queues.": (
            "Jedno stanowisko: importy, synchronizacje i inne zadania z kolejek wykonuje ten program, "
            "bez osobnego procesu workera ani serwera. Zostaw wyłączone, gdy kolejki obsługuje serwer "
            "(rexbit serve) lub workery."
        ),
        "Only a manager or an administrator can change this.": (
            "Zmienić to może tylko kierownik lub administrator."
        ),
        "Jobs: this computer": "Zadania: ten komputer",
        "The local worker could not be started": "Nie udało się uruchomić lokalnego workera",
    }
)


def _settings(ctx: AppContext) -> QSettings:
    return ctx.user_settings()


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def saved_language(settings: QSettings) -> str:
    value = str(settings.value(LANGUAGE_KEY, "pl"))
    return value if value in ("pl", "en") else "pl"


def run_jobs_here(settings: QSettings) -> bool:
    return _as_bool(settings.value(RUN_JOBS_KEY, False))


def _make_worker(ctx: AppContext) -> Any:
    """Create and start an in-process worker for every queue (blocks until it runs: call it off the
    GUI thread)."""
    from rexbit_desktop.queueing import QUEUES
    from rexbit_desktop.queueing.workers import start_local_worker

    worker = start_local_worker(ctx.db, QUEUES)
    log.info("local worker started for queues %s", ", ".join(QUEUES))
    return worker


def switch_local_worker(ctx: AppContext, wanted: bool, parent: QWidget | None = None) -> None:
    """Start or stop the local worker on the runner (starting waits for it to listen, stopping lets
    the current jobs finish: neither may freeze the window)."""
    if wanted and ctx.local_worker is None:

        def started(worker: Any) -> None:
            if ctx.local_worker is None:
                ctx.local_worker = worker
            else:  # started twice in a row: keep one
                ctx.runner.submit(lambda _c: worker.stop())

        def failed(err: TaskError) -> None:
            ctx.dialogs.error(parent, err, t("The local worker could not be started"))

        ctx.runner.submit(lambda _c: _make_worker(ctx), on_result=started, on_error=failed)
    elif not wanted and ctx.local_worker is not None:
        worker, ctx.local_worker = ctx.local_worker, None
        ctx.runner.submit(
            lambda _c: worker.stop(),
            on_error=lambda err: ctx.dialogs.error(parent, err),
        )


def start_local_worker_if_enabled(ctx: AppContext) -> None:
    """Called at start-up by the app: run jobs here when this workstation is set to."""
    if run_jobs_here(_settings(ctx)):
        switch_local_worker(ctx, True)


def stop_local_worker(ctx: AppContext) -> None:
    """At exit: stop the local worker, letting its current jobs finish (the window is already closed)."""
    worker, ctx.local_worker = ctx.local_worker, None
    if worker is not None:
        worker.stop()
        log.info("local worker stopped")


class PreferencesDialog(QDialog):
    """Language (everyone) and single-workstation mode (managers and administrators)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(t("Preferences"))
        settings = _settings(ctx)

        self.language_combo = QComboBox()
        self.language_combo.setObjectName("language")
        self.language_combo.addItem(t("Polish"), "pl")
        self.language_combo.addItem(t("English"), "en")
        self.language_combo.setCurrentIndex(0 if saved_language(settings) == "pl" else 1)
        self.language_note = QLabel(t("The language changes after a restart."))
        self.language_note.setObjectName("language_note")

        self.run_jobs_check = QCheckBox(t("Run queued jobs on this computer"))
        self.run_jobs_check.setObjectName("run_jobs")
        self.run_jobs_check.setChecked(run_jobs_here(settings))
        explanation = QLabel(
            t(
                "Single workstation: imports, syncs and other queued jobs run inside this program, "
                "so no separate worker process or server is needed. Leave it off when a server "
                "(rexbit serve) or workers run the queues."
            )
        )
        explanation.setWordWrap(True)
        explanation.setStyleSheet("color: palette(mid)")
        may_edit = ctx.can(Permission.SETTINGS_EDIT)
        self.run_jobs_check.setEnabled(may_edit)
        if not may_edit:
            self.run_jobs_check.setToolTip(t("Only a manager or an administrator can change this."))

        form = QFormLayout()
        form.addRow(t("Language"), self.language_combo)
        form.addRow("", self.language_note)
        form.addRow(t("Jobs: this computer"), self.run_jobs_check)
        form.addRow("", explanation)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(520, 240)

    def apply(self) -> None:
        """Save; start or stop the local worker right away when the switch changed."""
        settings = _settings(self.ctx)
        settings.setValue(LANGUAGE_KEY, self.language_combo.currentData())
        if self.ctx.can(Permission.SETTINGS_EDIT):
            wanted = self.run_jobs_check.isChecked()
            settings.setValue(RUN_JOBS_KEY, wanted)
            switch_local_worker(self.ctx, wanted, self.parentWidget())
        settings.sync()
        self.accept()
