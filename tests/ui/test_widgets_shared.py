"""The shared widgets: paged table model, filter bar, progress dialog with cancel."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QDate, QModelIndex, Qt, QThreadPool
from PySide6.QtWidgets import QPushButton, QTableView

from rexbit_desktop.domain.errors import Cancelled
from rexbit_desktop.ui.runner import SyncRunner, TaskContext, TaskRunner
from rexbit_desktop.ui.widgets import (
    ROW_ROLE,
    Column,
    FilterBar,
    PagedTableModel,
    PageResult,
    run_with_progress,
)


@dataclass(frozen=True)
class Item:
    n: int
    name: str


ITEMS = [Item(i, f"pozycja {i}") for i in range(1, 26)]


def fetch_pages(after: int | None, size: int = 10) -> PageResult[Item]:
    start = after or 0
    rows = ITEMS[start : start + size]
    nxt = start + size if start + size < len(ITEMS) else None
    return PageResult(rows, nxt)


class DeferredRunner(SyncRunner):
    """Holds submitted work until ``run_all``: lets a test interleave a reload with a page in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list = []  # type: ignore[type-arg]

    def submit(self, fn, on_result=None, on_error=None, on_progress=None):  # type: ignore[no-untyped-def]
        self.pending.append((fn, on_result, on_error, on_progress))

    def run_all(self) -> None:
        pending, self.pending = self.pending, []
        for fn, on_result, on_error, on_progress in pending:
            SyncRunner.submit(self, fn, on_result, on_error, on_progress)


def _model(runner=None) -> PagedTableModel[Item]:  # type: ignore[no-untyped-def]
    cols = [Column("n", "Number", align_right=True), Column("name", "Untranslated test column")]
    return PagedTableModel(runner or SyncRunner(), cols, fetch_pages)


def test_model_passes_qt_model_tester_while_pages_arrive(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = _model()
    model.reload()
    qtmodeltester.check(model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    qtmodeltester.check(model)
    assert model.rowCount() == 25
    assert model.index(24, 1).data() == "pozycja 25"
    assert model.index(0, 0).data(ROW_ROLE) == ITEMS[0]
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Untranslated test column"


def test_view_fetches_more_rows_when_scrolled(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = _model()
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(400, 150)
    view.setModel(model)
    model.reload()
    view.show()
    assert model.rowCount() >= 10
    first = model.rowCount()
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > first, timeout=3000)


def test_a_reload_drops_the_page_of_the_old_query(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = DeferredRunner()
    model = _model(runner)
    model.reload()  # page 1 of the old query is in flight
    model.reload(lambda after: PageResult([Item(99, "nowe")], None))
    runner.run_all()
    assert [r.n for r in model.rows] == [99]
    assert not model.canFetchMore(QModelIndex())


def test_sorting_asks_the_owner_for_a_server_side_sort(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = _model()
    with qtbot.waitSignal(model.sort_requested) as blocker:
        model.sort(1, Qt.SortOrder.DescendingOrder)
    assert blocker.args == ["name", True]


def test_a_failed_page_is_reported_not_swallowed(qtbot) -> None:  # type: ignore[no-untyped-def]
    def broken(after):  # type: ignore[no-untyped-def]
        raise RuntimeError("baza nie odpowiada")

    model = PagedTableModel(SyncRunner(), [Column("n", "Number")], broken)
    errors: list = []  # type: ignore[type-arg]
    model.failed.connect(errors.append)
    model.reload()
    assert len(errors) == 1 and "baza nie odpowiada" in str(errors[0].exception)
    assert not model.loading


def test_background_paging_keeps_the_event_loop_running(qtbot) -> None:  # type: ignore[no-untyped-def]
    def slow(after):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return fetch_pages(after)

    runner = TaskRunner(QThreadPool())
    model = PagedTableModel(runner, [Column("n", "Number")], slow)
    model.reload()
    assert model.loading and model.rowCount() == 0  # returned at once; the page comes later
    qtbot.waitUntil(lambda: model.rowCount() == 10, timeout=5000)
    runner.wait()


def test_filter_bar_debounces_typing_and_round_trips_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    bar = FilterBar(debounce_ms=50)
    qtbot.addWidget(bar)
    bar.add_combo("status", "Status", [("Opłacone", "paid"), ("Wysłane", "shipped")])
    bar.add_date_range()
    bar.finish()
    changes: list[int] = []
    bar.changed.connect(lambda: changes.append(1))
    qtbot.keyClicks(bar.search, "kowal")
    assert changes == []  # nothing while typing
    qtbot.waitUntil(lambda: changes == [1], timeout=2000)
    bar.combos["status"].setCurrentIndex(2)
    assert bar.combo_value("status") == "shipped" and len(changes) == 2
    assert bar.combos["status"].itemText(0) == "Wszystkie"
    bar.date_from_on.setChecked(True)  # type: ignore[union-attr]
    bar.date_from.setDate(QDate(2026, 11, 2))  # type: ignore[union-attr]
    values = bar.values()
    assert values == {"search": "kowal", "status": "shipped", "date_from": "2026-11-02", "date_to": ""}

    other = FilterBar()
    qtbot.addWidget(other)
    other.add_combo("status", "", [("Opłacone", "paid"), ("Wysłane", "shipped")])
    other.add_date_range()
    restored: list[int] = []
    other.changed.connect(lambda: restored.append(1))
    other.set_values(values)
    assert other.values() == values and restored == []
    other.clear()
    assert other.values() == {"search": "", "status": "", "date_from": "", "date_to": ""}
    assert restored == [1]


def test_progress_dialog_cancel_stops_the_work(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner(QThreadPool())
    seen: list = []  # type: ignore[type-arg]
    errors: list = []  # type: ignore[type-arg]

    def work(ctx: TaskContext) -> int:
        for i in range(1000):
            if ctx.cancelled():
                raise Cancelled()
            ctx.progress(i, 1000, "")
            time.sleep(0.01)
        return 1000

    dialog = run_with_progress(None, runner, "Eksport", work, on_result=seen.append, on_error=errors.append)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.value() > 2, timeout=3000)
    cancel = dialog.findChild(QPushButton)
    assert cancel.text() == "Anuluj"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert seen == [] and isinstance(errors[0].exception, Cancelled)
    runner.wait()
