"""A table model that reads its rows page by page in the background (``canFetchMore``/``fetchMore``).

The view asks for more rows when the user scrolls near the end; the page is read on the task runner
(never on the GUI thread) and appended with ``beginInsertRows``. Sorting and filtering happen on the
server: ``sort()`` emits ``sort_requested`` and the owner calls ``reload()`` with the new query.
A generation number drops pages that arrive after a reload (a filter changed while a page was loading).

Subclasses implement ``display(row, key)`` and may override ``foreground/background/alignment/tooltip``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.runner import TaskContext, TaskError, TaskRunner

R = TypeVar("R")

AnyIndex = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
"""``index.data(ROW_ROLE)`` is the row object (a DTO) behind a line."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class PageResult(Generic[R]):
    """What a fetch function returns (any object with ``rows`` and ``next_cursor`` will do).

    ``next_cursor`` None means "no more pages"."""

    rows: list[R]
    next_cursor: Any = None


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    """English; shown through ``t()``."""
    align_right: bool = False
    sortable: bool = True
    width: int = 120


FetchPage = Callable[[Any], Any]
"""``fetch(after_cursor) -> Page``; runs in the background, so it must not touch widgets."""


class PagedTableModel(QAbstractTableModel, Generic[R]):
    loading_changed = Signal(bool)
    failed = Signal(object)
    """A ``TaskError`` from the background fetch (the owner shows it with ``ctx.dialogs.error``)."""
    page_loaded = Signal(int)
    """Number of rows loaded so far, after each page."""
    sort_requested = Signal(str, bool)
    """(column key, descending): the owner reloads with the new server-side sort."""

    def __init__(
        self,
        runner: TaskRunner,
        columns: Sequence[Column],
        fetch: FetchPage | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.columns = list(columns)
        self._fetch = fetch
        self._rows: list[R] = []
        self._cursor: Any = None
        self._has_more = False
        self._loading = False
        self._generation = 0

    # -- loading ----------------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def rows(self) -> list[R]:
        return self._rows

    def row_at(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def reload(self, fetch: FetchPage | None = None) -> None:
        """Drop every row and read the first page (with a new query when ``fetch`` is given)."""
        if fetch is not None:
            self._fetch = fetch
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._cursor = None
        self._has_more = self._fetch is not None
        self._set_loading(False)
        self.endResetModel()
        if self._has_more:
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._has_more and not self._loading

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:
        if parent.isValid() or not self._has_more or self._loading or self._fetch is None:
            return
        generation = self._generation
        cursor = self._cursor
        fetch = self._fetch
        self._set_loading(True)

        def work(_ctx: TaskContext) -> Any:
            return fetch(cursor)

        self.runner.submit(
            work,
            on_result=lambda page: self._append(generation, page),
            on_error=lambda err: self._fail(generation, err),
        )

    def _append(self, generation: int, page: Any) -> None:
        if generation != self._generation:
            return  # a reload happened meanwhile: this page belongs to the old query
        rows = list(page.rows)
        self._cursor = page.next_cursor
        self._has_more = page.next_cursor is not None
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self._set_loading(False)
        self.page_loaded.emit(len(self._rows))

    def _fail(self, generation: int, error: TaskError) -> None:
        if generation != self._generation:
            return
        self._has_more = False
        self._set_loading(False)
        self.failed.emit(error)

    def _set_loading(self, value: bool) -> None:
        if self._loading != value:
            self._loading = value
            self.loading_changed.emit(value)

    # -- Qt model ---------------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return t(self.columns[section].title)
            if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[section].align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not (0 <= index.column() < len(self.columns)):
            return None
        row = self._rows[index.row()]
        key = self.columns[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, key)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self.columns[index.column()].align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, key)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.background(row, key)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.decoration(row, key)
        if role == ROW_ROLE:
            return row
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self.columns) and self.columns[column].sortable:
            self.sort_requested.emit(self.columns[column].key, order == Qt.SortOrder.DescendingOrder)

    def column_index(self, key: str) -> int:
        return next((i for i, c in enumerate(self.columns) if c.key == key), -1)

    # -- for subclasses ---------------------------------------------------------------------------
    def display(self, row: R, key: str) -> str:
        value = getattr(row, key, "")
        return "" if value is None else str(value)

    def tooltip(self, row: R, key: str) -> str | None:
        return None

    def foreground(self, row: R, key: str) -> QColor | None:
        return None

    def background(self, row: R, key: str) -> QColor | None:
        return None

    def decoration(self, row: R, key: str) -> QColor | None:
        """A colour here is drawn as a small square before the text (status colours)."""
        return None
