"""Reusable widgets for every view: a lazily paged table model, a filter bar, a progress dialog."""

from rexbit_desktop.ui.widgets.filter_bar import FilterBar
from rexbit_desktop.ui.widgets.paged_model import ROW_ROLE, Column, PagedTableModel, PageResult
from rexbit_desktop.ui.widgets.progress import ProgressDialog, run_with_progress

__all__ = [
    "ROW_ROLE",
    "Column",
    "FilterBar",
    "PageResult",
    "PagedTableModel",
    "ProgressDialog",
    "run_with_progress",
]
