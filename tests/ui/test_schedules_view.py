"""Harmonogram: schedules with cron, next run and last result; enable / disable / edit cron; roles."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from rexbit_desktop.domain.errors import PermissionDenied
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.ops import schedules as schedule_service
from rexbit_desktop.ui.schedules.view import CronDialog, SchedulesView
from tests.support.ui import make_ctx

DEFAULTS = {
    "fetch-mail",
    "import-supplier-feeds",
    "prune-failed-jobs",
    "refresh-kpi",
    "push-stock",
    "release-expired-reservations",
    "sync-availability",
    "sync-orders",
    "track-shipments",
    # automation (migration 0015)
    "automation-events",
    "webhook-deliveries",
    "automation-in-status",
}


def _view(qtbot, db, role: Role) -> SchedulesView:  # type: ignore[no-untyped-def]
    view = SchedulesView(make_ctx(db, role))
    qtbot.addWidget(view)
    view.show()
    view.refresh()
    return view


def _select(view: SchedulesView, name: str) -> int:
    for row, s in enumerate(view.model.rows()):
        if s.name == name:
            view.table.selectRow(row)
            return row
    raise AssertionError(name)


def _cell(view: SchedulesView, row: int, title: str) -> str:
    titles = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())]
    return str(view.model.index(row, titles.index(title)).data())


def test_schedules_list_shows_cron_next_run_and_last_result(qtbot, db, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    system = Actor.system()
    info = schedule_service.get_schedule(db.uow(), system, "prune-failed-jobs")
    due = datetime.now(schedule_service.local_timezone()).replace(microsecond=0)
    tick = schedule_service.fire_schedule(db.uow(), system, info.id, due)

    view = _view(qtbot, db, Role.MANAGER)
    qtmodeltester.check(view.model)
    assert {s.name for s in view.model.rows()} == DEFAULTS
    row = _select(view, "sync-availability")
    assert _cell(view, row, "Cron") == "*/30 * * * *"
    assert _cell(view, row, "Włączony") == "tak"
    next_run = _cell(view, row, "Następne uruchomienie")
    assert next_run.endswith((":00", ":30")) and "." in next_run  # dd.mm.yyyy hh:mm
    row = _select(view, "prune-failed-jobs")
    assert _cell(view, row, "Argumenty") == "hours=168"
    assert _cell(view, row, "Ostatnie uruchomienie") != ""
    words = {"deferred": "czeka w kolejce", "skipped": "pominięte", "task_missing": "brak zadania"}
    assert _cell(view, row, "Ostatni wynik").startswith(words[tick.status.value])


def test_manager_disables_enables_and_edits_cron(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db, Role.MANAGER)
    system = Actor.system()
    row = _select(view, "sync-orders")
    assert view.disable_button.isEnabled() and not view.enable_button.isEnabled()
    view.disable_button.click()
    assert not schedule_service.get_schedule(db.uow(), system, "sync-orders").enabled
    row = _select(view, "sync-orders")  # the selection survives the refresh
    assert _cell(view, row, "Następne uruchomienie") == "wyłączony"
    assert view.enable_button.isEnabled() and not view.disable_button.isEnabled()
    view.enable_button.click()
    assert schedule_service.get_schedule(db.uow(), system, "sync-orders").enabled

    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter on the selected schedule opens the editor
    dialog = view.cron_dialog
    assert isinstance(dialog, CronDialog) and dialog.isVisible()
    assert dialog.cron == "*/10 * * * *"
    assert dialog.is_valid() and "Najbliższe uruchomienia" in dialog.preview.text()
    dialog.cron_edit.clear()
    qtbot.keyClicks(dialog.cron_edit, "*/61 * * *")
    assert not dialog.is_valid()
    assert "Nieprawidłowe wyrażenie cron" in dialog.preview.text()
    assert "Ma pól: 4" in dialog.preview.text() and "fields" not in dialog.preview.text()
    dialog.cron_edit.clear()
    qtbot.keyClicks(dialog.cron_edit, "61 * * * *")
    assert "Pole „minuta” ma nieprawidłową wartość „61”" in dialog.preview.text()
    assert "Error" not in dialog.preview.text() and "valid" not in dialog.preview.text()
    qtbot.keyClick(dialog.cron_edit, Qt.Key.Key_Return)  # an invalid expression is not saved
    assert dialog.isVisible()
    assert schedule_service.get_schedule(db.uow(), system, "sync-orders").cron == "*/10 * * * *"
    dialog.cron_edit.clear()
    qtbot.keyClicks(dialog.cron_edit, "  */15   6-22 * * 1-5 ")
    assert dialog.is_valid()
    qtbot.keyClick(dialog.cron_edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert schedule_service.get_schedule(db.uow(), system, "sync-orders").cron == "*/15 6-22 * * 1-5"
    row = _select(view, "sync-orders")
    assert _cell(view, row, "Cron") == "*/15 6-22 * * 1-5"
    assert view.ctx.dialogs.errors == []


def test_operator_sees_schedules_but_cannot_change_them(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db, Role.OPERATOR)
    assert len(view.model.rows()) == len(DEFAULTS)
    _select(view, "sync-orders")
    for button in (view.enable_button, view.disable_button, view.edit_button):
        assert not button.isEnabled()
        assert "kierownik" in button.toolTip()
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.cron_dialog is None  # Enter opens no editor for an operator
    view.set_enabled(False)  # the service refuses even if the view were asked to
    assert view.ctx.dialogs.errors and "Nie masz uprawnień" in view.ctx.dialogs.errors[-1][0]
    assert schedule_service.get_schedule(db.uow(), Actor.system(), "sync-orders").enabled
    with pytest.raises(PermissionDenied):
        schedule_service.set_schedule(db.uow(), view.ctx.actor, "sync-orders", cron="* * * * *")


def test_last_result_is_the_jobs_real_outcome(qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A run whose job failed says so ("zadanie nie powiodło się"), not "zadanie w kolejce"."""
    from sqlalchemy import text

    from rexbit_desktop.jobs.worker import WorkerSettings, run_workers

    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")
    with db.engine.begin() as conn:
        sid = conn.execute(
            text(
                "INSERT INTO schedules (name, task, arguments, cron) VALUES"
                " ('always-fails', 'diagnostics:fail', '{\"message\": \"x\"}'::jsonb, '* * * * *') RETURNING id"
            )
        ).scalar_one()
    due = datetime.now(schedule_service.local_timezone()).replace(microsecond=0)
    schedule_service.fire_schedule(db.uow(), Actor.system(), sid, due)
    run_workers(db, [WorkerSettings(queues=("default",), tries=1, sleep=0.1, stop_when_empty=True)])
    view = _view(qtbot, db, Role.MANAGER)
    row = _select(view, "always-fails")
    assert _cell(view, row, "Ostatni wynik") == "zadanie nie powiodło się"
