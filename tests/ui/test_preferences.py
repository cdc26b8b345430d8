"""Preferences: the language, and single-workstation mode (a real local worker runs queued jobs)."""

from __future__ import annotations

from rexbit_desktop.domain.roles import Role
from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services.ops import queue as queue_service
from rexbit_desktop.ui.preferences import (
    LANGUAGE_KEY,
    RUN_JOBS_KEY,
    PreferencesDialog,
    run_jobs_here,
    saved_language,
    start_local_worker_if_enabled,
    stop_local_worker,
)
from tests.support.ui import make_ctx


def test_language_is_saved_for_the_next_start(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    dialog = PreferencesDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.language_combo.currentText() == "Polski"
    assert dialog.language_note.text() == "Język zmieni się po ponownym uruchomieniu."
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.apply()
    assert saved_language(ctx.user_settings()) == "en"
    assert ctx.user_settings().value(LANGUAGE_KEY) == "en"
    again = PreferencesDialog(ctx)
    qtbot.addWidget(again)
    assert again.language_combo.currentData() == "en"


def test_operator_cannot_switch_single_workstation_mode(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    dialog = PreferencesDialog(ctx)
    qtbot.addWidget(dialog)
    assert not dialog.run_jobs_check.isEnabled()
    assert "kierownik" in dialog.run_jobs_check.toolTip()
    dialog.run_jobs_check.setChecked(True)  # even if the box were ticked somehow
    dialog.apply()
    assert not run_jobs_here(ctx.user_settings())
    assert ctx.local_worker is None


def test_run_jobs_here_starts_a_local_worker_that_runs_queued_jobs(qtbot, db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")
    ctx = make_ctx(db, Role.MANAGER)
    dialog = PreferencesDialog(ctx)
    qtbot.addWidget(dialog)
    assert not dialog.run_jobs_check.isChecked()
    dialog.run_jobs_check.setChecked(True)
    dialog.apply()
    try:
        assert run_jobs_here(ctx.user_settings())
        assert ctx.local_worker is not None and ctx.local_worker.running
        marker = tmp_path / "marker.txt"
        defer_job(db, "diagnostics:noop", queue="import", marker=str(marker))
        qtbot.waitUntil(lambda: marker.exists() and "run" in marker.read_text(), timeout=15000)

        # switching it off stops the worker; a job deferred now waits for someone else
        dialog2 = PreferencesDialog(ctx)
        qtbot.addWidget(dialog2)
        assert dialog2.run_jobs_check.isChecked()
        dialog2.run_jobs_check.setChecked(False)
        dialog2.apply()
        assert ctx.local_worker is None
        assert not run_jobs_here(ctx.user_settings())
        defer_job(db, "diagnostics:noop", queue="import")
        stats = {s.queue: s for s in queue_service.queue_stats(db.uow(), ctx.actor)}
        assert stats["import"].waiting == 1 and stats["import"].running == 0
    finally:
        stop_local_worker(ctx)


def test_start_up_starts_the_worker_only_when_the_workstation_is_set_to(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER)
    start_local_worker_if_enabled(ctx)
    assert ctx.local_worker is None
    ctx.user_settings().setValue(RUN_JOBS_KEY, True)
    start_local_worker_if_enabled(ctx)
    try:
        assert ctx.local_worker is not None and ctx.local_worker.running
    finally:
        stop_local_worker(ctx)
    assert ctx.local_worker is None


def test_main_window_file_menu_opens_preferences(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QAction

    from rexbit_desktop.ui.main_window import MainWindow
    from rexbit_desktop.ui.queue.view import QueuesView

    window = MainWindow(make_ctx(db, Role.MANAGER), views=[("queues", "Queues", QueuesView)])
    qtbot.addWidget(window)
    action = window.findChild(QAction, "preferences")
    assert action is not None and action.text() == "Preferencje…"


def test_english_is_used_when_chosen(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from rexbit_desktop.ui.i18n import set_language
    from rexbit_desktop.ui.queue.view import QueuesView

    set_language("en")  # what the app does at start with the saved language
    view = QueuesView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(view)
    view.refresh()
    assert view.queues_model.headerData(0, Qt.Orientation.Horizontal) == "Queue"
    assert view.retry_all_button.text() == "Retry all"
