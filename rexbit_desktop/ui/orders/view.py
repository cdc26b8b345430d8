"""*Zamówienia*: tabs *Lista zamówień*, *Ustawienia*, *Reguły automatyzacji* and *Webhooki*; the detail
opens in its own window."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.mail.panel import add_mail_settings_tab
from rexbit_desktop.ui.orders.automation_panel import AutomationPanel
from rexbit_desktop.ui.orders.detail import OrderDetailDialog
from rexbit_desktop.ui.orders.list_panel import OrderListPanel
from rexbit_desktop.ui.orders.new_order import NewOrderDialog
from rexbit_desktop.ui.orders.settings_panel import OrderSettingsPanel
from rexbit_desktop.ui.orders.webhooks_panel import WebhooksPanel
from rexbit_desktop.ui.view import View


class OrdersView(View):
    title = "Orders"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.list_panel = OrderListPanel(ctx, open_detail=self.open_detail, new_order=self.new_order)
        self.settings_panel = OrderSettingsPanel(ctx)
        self.automation_panel = AutomationPanel(ctx)
        self.webhooks_panel = WebhooksPanel(ctx)
        # Saved settings (labels, colours) apply to the list at once, without F5.
        self.settings_panel.saved.connect(lambda _s: self.list_panel.refresh())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("orders_tabs")
        self.tabs.addTab(self.list_panel, t("Order list"))
        self.tabs.addTab(self.settings_panel, t("Settings"))
        self.tabs.addTab(self.automation_panel, t("Automation rules"))
        self.tabs.addTab(self.webhooks_panel, t("Webhooks"))
        self.mail_panel = add_mail_settings_tab(self.tabs, ctx)  # managers and admins only
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.detail_windows: list[QWidget] = []
        self._settings_loaded = False

    def refresh(self) -> None:
        current = self.tabs.currentWidget()
        if current is self.settings_panel:
            self.settings_panel.load()
        elif current in (self.automation_panel, self.webhooks_panel, self.mail_panel):
            current.load()  # type: ignore[attr-defined]
        else:
            self.list_panel.refresh()

    def activated(self) -> None:
        if self.list_panel.options is None:
            self.list_panel.refresh()

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.list_panel)
        self.list_panel.filters.search.setFocus()
        self.list_panel.filters.search.selectAll()

    def save_state(self) -> None:
        self.list_panel.save_state()

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.settings_panel and not self._settings_loaded:
            self._settings_loaded = True
            self.settings_panel.load()
        elif self.tabs.currentWidget() in (self.automation_panel, self.webhooks_panel):
            self.tabs.currentWidget().load()  # type: ignore[attr-defined]

    def open_detail(self, number: str) -> QWidget:
        dialog = OrderDetailDialog(self.ctx, number, parent=self)
        dialog.navigate = self.list_panel.neighbour
        dialog.changed.connect(self.list_panel.apply_filters)
        dialog.finished.connect(lambda _r, d=dialog: self._forget(d))
        self.detail_windows.append(dialog)
        dialog.show()
        dialog.load()
        return dialog

    def new_order(self) -> QWidget:
        dialog = NewOrderDialog(self.ctx, parent=self)
        dialog.created.connect(lambda number: (self.list_panel.apply_filters(), self.open_detail(number)))
        dialog.show()
        self.detail_windows.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._forget(d))
        return dialog

    def _forget(self, dialog: QWidget) -> None:
        if dialog in self.detail_windows:
            self.detail_windows.remove(dialog)
