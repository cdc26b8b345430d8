"""The orders list table model: pages of ``OrderListRow`` read lazily from ``services.order_queries``."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from rexbit_desktop.services.orders.queries import OrderListOptions, OrderListRow, SortKey
from rexbit_desktop.ui.i18n import format_datetime, format_money, register, t
from rexbit_desktop.ui.orders.labels import order_fulfillment_label, payment_label
from rexbit_desktop.ui.runner import TaskRunner
from rexbit_desktop.ui.widgets.paged_model import Column, FetchPage, PagedTableModel

register(
    {
        "Number": "Numer",
        "Customer": "Klient",
        "Gross total": "Wartość brutto",
        "Status": "Status",
        "Payment": "Płatność",
        "Fulfilment": "Realizacja",
        "Warehouse": "Magazyn",
        "Integration": "Integracja",
        "Date": "Data",
        "typed in": "ręczne",
    }
)

# Column keys are the service's sort keys, so a header click maps straight to a server-side sort.
ORDER_COLUMNS = [
    Column(SortKey.NUMBER.value, "Number", width=140),
    Column(SortKey.CUSTOMER.value, "Customer", width=190),
    Column(SortKey.TOTAL_GROSS.value, "Gross total", align_right=True, width=110),
    Column(SortKey.STATUS.value, "Status", width=165),
    Column(SortKey.PAYMENT.value, "Payment", width=125),
    Column(SortKey.FULFILLMENT.value, "Fulfilment", width=130),
    Column(SortKey.WAREHOUSE.value, "Warehouse", width=80),
    Column(SortKey.INTEGRATION.value, "Integration", width=110),
    Column(SortKey.DATE.value, "Date", width=120),
]


class OrdersTableModel(PagedTableModel[OrderListRow]):
    def __init__(
        self, runner: TaskRunner, fetch: FetchPage | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(runner, ORDER_COLUMNS, fetch, parent)
        self._labels: dict[str, str] = {}
        self._colours: dict[str, QColor] = {}

    def set_options(self, options: OrderListOptions) -> None:
        """Status labels and colours from the order settings."""
        self._labels = {s.code: s.label for s in options.statuses}
        self._colours = {s.code: QColor(s.colour) for s in options.statuses}
        if self.rowCount():
            col = self.column_index(SortKey.STATUS.value)
            self.dataChanged.emit(self.index(0, col), self.index(self.rowCount() - 1, col))

    def display(self, row: OrderListRow, key: str) -> str:
        if key == SortKey.NUMBER:
            return row.number
        if key == SortKey.CUSTOMER:
            return row.customer_name or row.customer_email
        if key == SortKey.TOTAL_GROSS:
            return format_money(row.total_gross, row.currency)
        if key == SortKey.STATUS:
            return self._labels.get(row.status, row.status)
        if key == SortKey.PAYMENT:
            return payment_label(row.payment_status)
        if key == SortKey.FULFILLMENT:
            return order_fulfillment_label(
                row.fulfillment_status, row.reserved_qty, row.missing_qty, short_form=True
            )
        if key == SortKey.WAREHOUSE:
            return row.warehouse
        if key == SortKey.INTEGRATION:
            return row.integration or t("typed in")
        if key == SortKey.DATE:
            return format_datetime(row.created_at)
        return ""

    def tooltip(self, row: OrderListRow, key: str) -> str | None:
        if key == SortKey.CUSTOMER and row.customer_email:
            return row.customer_email
        if key == SortKey.FULFILLMENT:
            full = order_fulfillment_label(row.fulfillment_status, row.reserved_qty, row.missing_qty)
            return full if full != self.display(row, key) else None
        return None

    def decoration(self, row: OrderListRow, key: str) -> QColor | None:
        if key == SortKey.STATUS:
            return self._colours.get(row.status)
        return None
