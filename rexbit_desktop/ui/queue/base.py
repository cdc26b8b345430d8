"""What the Produkty / Integracje / Kolejki / Harmonogram views share: calling a service on the runner
with errors shown as dialogs, and remembering column widths per user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.runner import CancelToken, TaskContext, TaskError
from rexbit_desktop.ui.view import View

T = TypeVar("T")


def call_service(
    ctx: AppContext,
    parent: QWidget,
    fn: Callable[[TaskContext], T],
    on_result: Callable[[T], None] | None = None,
    *,
    on_progress: Callable[[int, int | None, str], None] | None = None,
    on_done: Callable[[], None] | None = None,
) -> CancelToken:
    """Run ``fn`` on the thread pool; its result goes to ``on_result`` on the GUI thread, an error to
    an error dialog. ``on_done`` runs after either (to re-enable buttons)."""

    def result(value: T) -> None:
        try:
            if on_result is not None:
                on_result(value)
        finally:
            if on_done is not None:
                on_done()

    def error(err: TaskError) -> None:
        try:
            ctx.dialogs.error(parent, err)
        finally:
            if on_done is not None:
                on_done()

    return ctx.runner.submit(fn, on_result=result, on_error=error, on_progress=on_progress)


class ServiceView(View):
    """A main view whose data comes from services through the runner."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.loading = 0
        """How many loads are in flight (tests wait for 0)."""

    def load(self, fn: Callable[[TaskContext], T], on_result: Callable[[T], None]) -> CancelToken:
        self.loading += 1

        def done() -> None:
            self.loading -= 1

        return call_service(self.ctx, self, fn, on_result, on_done=done)

    # -- column widths per user -------------------------------------------------------------------
    def restore_columns(self, key: str, table: QTableView) -> None:
        state = self.ctx.setting(f"{key}/columns")
        if isinstance(state, QByteArray | bytes):
            table.horizontalHeader().restoreState(QByteArray(state))
            table.setProperty("fitted", True)  # the user's widths win over fitting to contents

    def fit_once(self, table: QTableView, max_width: int = 380) -> None:
        """Fit the columns to their contents after the first load (not on later refreshes, which
        would undo the user's widths)."""
        if table.property("fitted") or table.model() is None or table.model().rowCount() == 0:
            return
        table.setProperty("fitted", True)
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        for column in range(header.count()):
            if header.sectionSize(column) > max_width:
                header.resizeSection(column, max(max_width, header.sectionSizeHint(column)))

    def fit_columns(self, table: QTableView, max_width: int = 380) -> None:
        """Widen every column that is narrower than its title or (up to ``max_width``) its contents:
        after each load, also over the user's remembered widths (a width saved while the table was empty
        clipped titles and cells: "ttempt", "integ…"). Never narrows a column."""
        fit_to_titles_and_contents(table, max_width)

    def save_columns(self, key: str, table: QTableView) -> None:
        self.ctx.set_setting(f"{key}/columns", table.horizontalHeader().saveState())


def configure_table(table: QTableView, *, stretch_last: bool = True) -> None:
    """Row selection, no editing in place, alternating rows, compact rows."""
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setStretchLastSection(stretch_last)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    if table.model() is not None:
        # Until rows arrive the columns are as wide as their titles (an empty table showed clipped titles).
        table.resizeColumnsToContents()


def selected_record(table: QTableView) -> Any:
    from rexbit_desktop.ui.queue.table import RECORD_ROLE

    rows = table.selectionModel().selectedRows() if table.selectionModel() else []
    if not rows:
        return None
    return rows[0].data(RECORD_ROLE)


def fit_to_titles_and_contents(table: QTableView, max_width: int = 380) -> None:
    header = table.horizontalHeader()
    model = table.model()
    if model is None:
        return
    last = header.count() - 1
    for column in range(header.count()):
        if header.isSectionHidden(column):
            continue
        needed = header.sectionSizeHint(column)
        if column != last or not header.stretchLastSection():
            needed = max(needed, min(table.sizeHintForColumn(column), max_width))
        if header.sectionSize(column) < needed:
            header.resizeSection(column, needed)


def widen_to_contents(table: QTableView, column: int) -> None:
    """Widen one column to its loaded cells (also over a remembered width); never narrows it."""
    needed = table.sizeHintForColumn(column)
    if table.horizontalHeader().sectionSize(column) < needed:
        table.horizontalHeader().resizeSection(column, needed)
