"""The base of every main view: refresh (F5), focus search (Ctrl+F), open detail (Enter)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t


class View(QWidget):
    """A main-window page. Subclasses load data through ``ctx.runner`` and services, never SQL."""

    title = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    def refresh(self) -> None:
        """Reload from the database (F5)."""

    def focus_search(self) -> None:
        """Put the cursor in the view's search box (Ctrl+F)."""

    def activated(self) -> None:
        """Called when the user navigates to this view."""
        self.refresh()

    def save_state(self) -> None:
        """Remember column widths and filters (called on close)."""


class PlaceholderView(View):
    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = title
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(t(title)))
