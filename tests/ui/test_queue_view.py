"""Kolejki: counts per queue, failed jobs with their error, retry / retry all / flush, roles, auto refresh."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QThreadPool, QTimer

from rexbit_desktop.domain.errors import PermissionDenied
from rexbit_desktop.domain.roles import Role
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services.ops import queue as queue_service
from rexbit_desktop.ui.queue.view import QueuesView
from tests.support.ui import make_ctx


@pytest.fixture
def failed_jobs(db, monkeypatch):  # type: ignore[no-untyped-def]
    """Two jobs that really failed in a real worker (one try each), and one still waiting."""
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")
    a = defer_job(db, "diagnostics:fail", message="Plik dostawcy nie istnieje")
    b = defer_job(db, "diagnostics:fail", message="Brak kolumny EAN")
    run_workers(db, [WorkerSettings(queues=("default",), tries=1, sleep=0.1, stop_when_empty=True)])
    waiting = defer_job(db, "diagnostics:noop", queue="import")
    return a, b, waiting


def _row(view, table: str, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    model = getattr(view, table).model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_queue_view_shows_counts_and_failed_jobs_with_errors(qtbot, db, failed_jobs, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    a, b, _waiting = failed_jobs
    view = QueuesView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(view)
    view.refresh()
    qtmodeltester.check(view.queues_model)
    qtmodeltester.check(view.failed_model)

    stats = {row.queue: row for row in view.queues_model.rows()}
    assert list(stats)[:4] == ["integrations", "import", "default", "orders"]
    assert stats["default"].failed == 2 and stats["import"].waiting == 1
    headers = [
        view.queues_model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(view.queues_model.columnCount())
    ]
    assert headers[:4] == ["Kolejka", "Oczekujące", "Zaplanowane na później", "W toku"]
    assert sorted(int(x) for x in _row(view, "failed_table", 0)) == sorted([a, b])
    errors = _row(view, "failed_table", 6)
    assert any("Brak kolumny EAN" in e for e in errors) and any("Plik dostawcy" in e for e in errors)

    # selecting a job shows its full traceback
    view.failed_table.selectRow(0)
    assert "Traceback" in view.error_text.toPlainText()
    assert "RuntimeError" in view.error_text.toPlainText()
    shown = view.error_text.toPlainText()
    view.refresh()  # what the timer does every few seconds: the selection and its traceback stay
    assert view.failed_table.selectionModel().selectedRows()[0].row() == 0
    assert view.error_text.toPlainText() == shown


def test_retry_one_then_flush_the_rest(qtbot, db, failed_jobs) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER)
    view = QueuesView(ctx)
    qtbot.addWidget(view)
    view.refresh()
    view.failed_table.selectRow(0)
    retried_id = view.failed_model.record(0).id
    assert view.retry_button.isEnabled()
    view.retry_button.click()
    assert [j.id for j in view.failed_model.rows()] != [] and retried_id not in [
        j.id for j in view.failed_model.rows()
    ]
    assert "Zadania zwrócone do kolejek: 1" in view.status_label.text()
    stats = {s.queue: s for s in view.queues_model.rows()}
    assert stats["default"].waiting == 1 and stats["default"].failed == 1

    view.restart_button.click()
    assert "zrestartują" in view.status_label.text()
    from rexbit_desktop.jobs.worker import restart_signal_time

    assert restart_signal_time(db) is not None

    view.flush_button.click()
    assert ctx.dialogs.confirms and "Usunąć" in ctx.dialogs.confirms[-1][0]
    assert view.failed_model.rowCount() == 0
    assert queue_service.list_failed_jobs(db.uow(), ctx.actor) == []
    assert not view.flush_button.isEnabled() and not view.retry_all_button.isEnabled()


def test_retry_all_asks_first_and_does_nothing_when_refused(qtbot, db, failed_jobs) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.ADMIN)
    view = QueuesView(ctx)
    qtbot.addWidget(view)
    view.refresh()
    ctx.dialogs.answer = False
    view.retry_all_button.click()
    assert view.failed_model.rowCount() == 2
    ctx.dialogs.answer = True
    view.retry_all_button.click()
    assert view.failed_model.rowCount() == 0
    assert {s.queue: s.waiting for s in view.queues_model.rows()}["default"] == 2


def test_operator_sees_failed_jobs_but_cannot_retry_or_flush(qtbot, db, failed_jobs) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    view = QueuesView(ctx)
    qtbot.addWidget(view)
    view.refresh()
    assert view.failed_model.rowCount() == 2
    view.failed_table.selectRow(0)
    for button in (view.retry_button, view.retry_all_button, view.flush_button):
        assert not button.isEnabled()
        assert "kierownik" in button.toolTip()
    assert not view.restart_button.isEnabled()
    # the service refuses anyway, and the view shows that as a dialog, not a crash
    view.flush()
    assert ctx.dialogs.errors and "Nie masz uprawnień" in ctx.dialogs.errors[-1][0]
    with pytest.raises(PermissionDenied):
        queue_service.flush_failed_jobs(db.uow(), ctx.actor)
    assert len(queue_service.list_failed_jobs(db.uow(), ctx.actor)) == 2


def test_queue_view_refreshes_by_itself_only_while_visible(qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")
    view = QueuesView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(view)
    view.timer.setInterval(50)
    assert not view.timer.isActive()
    view.show()
    qtbot.waitExposed(view)
    assert view.timer.isActive()
    view.refresh()
    assert {s.queue: s.waiting for s in view.queues_model.rows()}["orders"] == 0
    defer_job(db, "diagnostics:noop", queue="orders")  # someone else defers a job
    qtbot.waitUntil(
        lambda: {s.queue: s.waiting for s in view.queues_model.rows()}["orders"] == 1, timeout=5000
    )
    view.hide()
    assert not view.timer.isActive()


def test_slow_queue_service_does_not_block_the_window(qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A real TaskRunner: while the (slowed) service call runs in the pool, the GUI thread keeps
    processing events, and the result lands in the table afterwards."""
    ctx = make_ctx(db, Role.MANAGER, sync=False)
    ctx.runner.pool = QThreadPool()
    real = queue_service.queue_stats

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.6)
        return real(*args, **kwargs)

    monkeypatch.setattr(queue_service, "queue_stats", slow)
    view = QueuesView(ctx)
    qtbot.addWidget(view)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    view.refresh()
    assert view.loading == 1 and view.queues_model.rowCount() == 0  # returned at once
    qtbot.waitUntil(lambda: view.loading == 0, timeout=10000)
    timer.stop()
    assert view.queues_model.rowCount() >= 4
    assert len(ticks) >= 10
    ctx.runner.wait()


def test_choosing_a_queue_shows_and_retries_only_its_failed_jobs(qtbot, db, failed_jobs) -> None:  # type: ignore[no-untyped-def]
    other = defer_job(db, "diagnostics:fail", queue="orders", message="Brak przewoźnika")
    run_workers(db, [WorkerSettings(queues=("orders",), tries=1, sleep=0.1, stop_when_empty=True)])
    ctx = make_ctx(db, Role.MANAGER)
    view = QueuesView(ctx)
    qtbot.addWidget(view)
    view.refresh()
    assert view.failed_model.rowCount() == 3
    row = [q.queue for q in view.queues_model.rows()].index("orders")
    view.queues_table.selectRow(row)
    assert [j.id for j in view.failed_model.rows()] == [other]
    assert view.failed_title.text() == "<b>Nieudane zadania: orders</b>"
    assert not view.all_queues_button.isHidden()
    view.refresh()  # the auto refresh keeps the chosen queue
    assert [j.id for j in view.failed_model.rows()] == [other]
    view.retry_all_button.click()
    assert "wszystkie" not in ctx.dialogs.confirms[-1][1].lower() and "(1)" in ctx.dialogs.confirms[-1][1]
    stats = {s.queue: s for s in queue_service.queue_stats(db.uow(), ctx.actor)}
    assert stats["orders"].failed == 0 and stats["orders"].waiting == 1
    assert stats["default"].failed == 2  # the other queue's failed jobs were left alone
    view.all_queues_button.click()
    assert view.failed_model.rowCount() == 2 and view.all_queues_button.isHidden()
    view.flush_button.click()
    assert "ze wszystkich kolejek (2)" in ctx.dialogs.confirms[-1][1]


def test_retries_with_their_back_off_and_run_states_are_shown(qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 18: a job waiting for its retry (attempt, next try, the error) and import runs with their
    state are visible here as in ``rexbit queue retrying`` / ``queue runs``."""
    from sqlalchemy import text

    from rexbit_desktop.jobs.worker import parse_backoff
    from rexbit_desktop.services.ops import queue_activity

    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")
    job = defer_job(db, "diagnostics:fail", message="Serwer dostawcy nie odpowiada")
    run_workers(
        db,
        [
            WorkerSettings(
                queues=("default",), tries=3, backoff=parse_backoff("600"), sleep=0.1, stop_when_empty=True
            )
        ],
    )
    with db.engine.begin() as conn:
        integration = conn.execute(
            text(
                "INSERT INTO integrations (type, name, config) VALUES ('supplier_feed', 'Hurtownia X', '{}') RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO import_runs (integration_id, status, message, finished_at) VALUES"
                " (:i, 'failed', 'Cannot fetch the feed http://u:***@h/f.csv: timed out.', now()), (:i, 'running', NULL, NULL)"
            ),
            {"i": integration},
        )
    view = QueuesView(make_ctx(db, Role.OPERATOR))
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: view.retry_model.rowCount() == 1, timeout=10000)
    (waiting,) = view.retry_model.rows()
    assert waiting.id == job and waiting.attempts == 1 and waiting.next_try_at is not None
    assert _row(view, "retry_table", 5) == ["RuntimeError: Serwer dostawcy nie odpowiada"]
    assert view.tabs.tabText(1) == "Czekają na ponowienie (1)"
    statuses = _row(view, "runs_table", 3)
    assert statuses == ["w toku", "nieudane"]  # running first
    assert "timed out" in _row(view, "runs_table", 6)[1]
    assert [
        r.status for r in queue_activity.list_recent_runs(db.uow(), make_ctx(db, Role.OPERATOR).actor)
    ] == [
        "running",
        "failed",
    ]


def _clipped(table) -> list[str]:  # type: ignore[no-untyped-def]
    """Columns narrower than their title (or, for all but the last, than their widest cell)."""
    header = table.horizontalHeader()
    model = table.model()
    out = []
    for c in range(model.columnCount()):
        if header.isSectionHidden(c):
            continue
        title = model.headerData(c, Qt.Orientation.Horizontal)
        if header.sectionSize(c) < header.sectionSizeHint(c):
            out.append(f"{title}: {header.sectionSize(c)} < title {header.sectionSizeHint(c)}")
        elif c < model.columnCount() - 1 and header.sectionSize(c) < min(table.sizeHintForColumn(c), 380):
            out.append(f"{title}: {header.sectionSize(c)} < contents {table.sizeHintForColumn(c)}")
    return out


@pytest.mark.parametrize("language", ["pl", "en"])
def test_columns_fit_their_titles(qtbot, db, failed_jobs, language) -> None:  # type: ignore[no-untyped-def]
    """No clipped titles ("ttempt", "integ…") in any table of the view, with or without rows."""
    from rexbit_desktop.ui.i18n import set_language

    set_language(language)
    empty = QueuesView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(empty)
    empty.resize(1000, 700)
    empty.show()
    empty.queue_filter = "orders"  # no failed jobs there
    empty.refresh()
    view = QueuesView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.refresh()
    for v in (empty, view):
        for name in ("queues_table", "failed_table", "retry_table", "runs_table"):
            assert not _clipped(getattr(v, name)), (name, _clipped(getattr(v, name)))

    # Widths remembered while the table was narrow or empty do not clip titles or cells later.
    for c in range(view.failed_model.columnCount()):
        view.failed_table.horizontalHeader().resizeSection(c, 12)
    view.save_state()
    again = QueuesView(view.ctx)
    qtbot.addWidget(again)
    again.resize(1000, 700)
    again.show()
    again.refresh()
    assert not _clipped(again.failed_table), _clipped(again.failed_table)


def test_every_queue_has_words() -> None:
    """A queue added later (mail) is named in words too, not by its code alone."""
    from rexbit_desktop.queueing.queues import QUEUES
    from rexbit_desktop.ui.queue.view import queue_label

    assert all(queue_label(q) != q for q in QUEUES), [q for q in QUEUES if queue_label(q) == q]
