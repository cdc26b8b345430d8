"""*Lista zamówień*: filter bar, the lazily paged orders table, count, CSV export, open detail, new order.

Everything is read through ``services.order_queries`` on the task runner. The last filters, the sort and
the column widths are remembered per user (``ctx.setting``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QDate, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.orders.batch import ScanHit, find_scanned, order_numbers
from rexbit_desktop.services.orders.queries import (
    EXPORT_COLUMNS,
    MANUAL,
    OrderCount,
    OrderListFilter,
    OrderListOptions,
    OrderListRow,
    OrderSort,
    SortKey,
    count_orders,
    export_orders_csv,
    list_orders,
    order_list_options,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_decimal, language, register, t
from rexbit_desktop.ui.mail.bulk_send import add_bulk_mail
from rexbit_desktop.ui.orders.bulk import BulkBar
from rexbit_desktop.ui.orders.labels import (
    FULFILLMENT_LABELS,
    PAYMENT_LABELS,
    fulfillment_label,
    payment_label,
)
from rexbit_desktop.ui.orders.model import OrdersTableModel
from rexbit_desktop.ui.orders.shipment_dialog import create_for_selection, dpd_protocol
from rexbit_desktop.ui.queue.base import widen_to_contents
from rexbit_desktop.ui.runner import TaskContext, TaskError
from rexbit_desktop.ui.widgets.filter_bar import FilterBar
from rexbit_desktop.ui.widgets.progress import run_with_progress

register(
    {
        "Show all orders": "Pokaż wszystkie zamówienia",
        "Payment:": "Płatność:",
        "Status:": "Status:",
        "Source:": "Źródło:",
        "Typed in by hand": "Wprowadzone ręcznie",
        "Search: number, customer, e-mail, SKU": "Szukaj: numer, klient, e-mail, SKU",
        "Orders: {n}": "Zamówień: {n}",
        "Orders: more than {n}": "Zamówień: ponad {n}",
        "Orders: about {n}": "Zamówień: około {n}",
        "Counting…": "Liczenie…",
        "Export CSV…": "Eksport CSV…",
        "New order…": "Nowe zamówienie…",
        "Open": "Otwórz",
        "Export orders": "Eksport zamówień",
        "CSV files (*.csv)": "Pliki CSV (*.csv)",
        "Exported {n} orders to {path}.": "Wyeksportowano {n} zamówień do {path}.",
        "Export finished": "Eksport zakończony",
        "Writing the CSV file…": "Zapisywanie pliku CSV…",
        "E-mail": "E-mail",
        "Currency": "Waluta",
        "Order number": "Numer zamówienia",
        "Customer e-mail": "E-mail klienta",
        "{column} (code)": "{column} (kod)",
        # messages of services.order_queries, shown through describe_error
        "The search text is too long (at most 200 characters).": "Szukany tekst jest za długi (najwyżej 200 znaków).",
        "The date range is empty: the start date is after the end date.": (
            "Zakres dat jest pusty: data początkowa jest późniejsza niż końcowa."
        ),
        "The export was cancelled; the file is incomplete.": "Eksport przerwano; plik nie został zapisany.",
    }
)

EXPORT_TITLES = {
    "number": "Order number",
    "customer_name": "Customer",
    "customer_email": "Customer e-mail",
    "total_gross": "Gross total",
    "currency": "Currency",
    "status": "Status",
    "payment_status": "Payment",
    "fulfillment_status": "Fulfilment",
    "warehouse": "Warehouse",
    "integration": "Integration",
    "created_at": "Date",
}

PAGE_SIZE = 200


def _day_start(day: QDate) -> datetime:
    """Local midnight of a day, as an aware datetime (the database keeps UTC)."""
    return datetime(day.year(), day.month(), day.day()).astimezone()


class OrdersTable(QTableView):
    """Enter opens the order (as double-click does)."""

    open_requested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._emit_open(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _emit_open(self, index: QModelIndex) -> None:
        row = index.data(Qt.ItemDataRole.UserRole + 1)
        if isinstance(row, OrderListRow):
            self.open_requested.emit(row.id)


class OrderListPanel(QWidget):
    order_opened = Signal(str)
    """The number of the order whose detail was opened."""

    def __init__(
        self,
        ctx: AppContext,
        open_detail: Callable[[str], None] | None = None,
        new_order: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._open_detail = open_detail
        self._new_order = new_order
        self.options: OrderListOptions | None = None
        self.sort = self._restored_sort()
        self.current_filter = OrderListFilter()
        # Orders picked elsewhere (the dashboard's "late now"): shown alone until "Show all".
        self.pinned_ids: tuple[int, ...] = ()
        self.last_count: OrderCount | None = None
        self._count_generation = 0
        self._loaded_once = False

        self.filters = FilterBar(placeholder=t("Search: number, customer, e-mail, SKU"))
        self.filters.add_combo("status", t("Status:"), [])
        self.filters.add_combo("payment", t("Payment:"), [])
        self.filters.add_combo("integration", t("Source:"), [])
        self.filters.add_date_range()
        self.filters.finish()
        self.filters.changed.connect(self.apply_filters)

        self.model = OrdersTableModel(ctx.runner)
        self.model.failed.connect(lambda err: self.ctx.dialogs.error(self, err))
        self.model.sort_requested.connect(self._sort_requested)
        self.table = OrdersTable()
        self.table.setObjectName("orders_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Shift/Ctrl select several orders for the bulk actions (Ctrl+A: every loaded row).
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for i, col in enumerate(self.model.columns):
            header.resizeSection(i, col.width)
        state = ctx.setting("orders/list/header")
        if isinstance(state, QByteArray | bytes):
            header.restoreState(QByteArray(state))
        header.setSortIndicatorShown(True)
        header.setSortIndicator(
            self.model.column_index(self.sort.key.value),
            Qt.SortOrder.DescendingOrder if self.sort.descending else Qt.SortOrder.AscendingOrder,
        )
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(lambda col, order: self.model.sort(col, order))
        self.table.doubleClicked.connect(self.table._emit_open)
        self.table.open_requested.connect(self._open_by_id)

        self.count_label = QLabel("")
        self.count_label.setObjectName("orders_count")
        self.export_button = QPushButton(t("Export CSV…"))
        self.export_button.setObjectName("orders_export")
        self.export_button.clicked.connect(self._ask_export)
        self.open_button = QPushButton(t("Open"))
        self.open_button.setObjectName("orders_open")
        self.open_button.clicked.connect(lambda: self.table._emit_open(self.table.currentIndex()))
        self.new_button = QPushButton(t("New order…"))
        self.new_button.setObjectName("orders_new")
        self.new_button.setEnabled(ctx.can(Permission.ORDERS_EDIT))
        self.new_button.clicked.connect(lambda: self._new_order() if self._new_order else None)
        self.refresh_button = QPushButton(t("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        # Carrier shipments for the selected orders, labels saved as one PDF (ui/orders/shipment_dialog).
        self.shipments_button = QPushButton(t("Create shipments…"))
        self.shipments_button.setObjectName("orders_create_shipments")
        self.shipments_button.setEnabled(ctx.can(Permission.ORDERS_EDIT))
        self.shipments_button.clicked.connect(self.create_shipments)
        self.protocol_button = QPushButton(t("DPD handover protocol…"))
        self.protocol_button.setObjectName("orders_dpd_protocol")
        self.protocol_button.setEnabled(ctx.can(Permission.ORDERS_EDIT))
        self.protocol_button.clicked.connect(lambda: dpd_protocol(self.ctx, self))
        self._all_in_filter: list[str] | None = None
        self.message_label = QLabel("")
        self.message_label.setObjectName("orders_message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()
        self.bulk = BulkBar(self)
        self.bulk_mail = add_bulk_mail(self.bulk)  # ui/mail/bulk_send.py
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        self.filters.search.returnPressed.connect(self._search_entered)
        self._reselect: set[str] = set()
        self.model.page_loaded.connect(lambda _n: self._restore_selection())
        fulfilment = self.model.column_index(SortKey.FULFILLMENT.value)  # "Częściowo (brakuje 2 szt.)" whole
        self.model.page_loaded.connect(lambda _n: widen_to_contents(self.table, fulfilment))

        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addStretch(1)
        for b in (
            self.refresh_button,
            self.export_button,
            self.protocol_button,
            self.shipments_button,
            self.open_button,
            self.new_button,
        ):
            bottom.addWidget(b)
        self.pinned_label = QLabel("")
        self.pinned_label.setObjectName("orders_pinned")
        self.unpin_button = QPushButton(t("Show all orders"))
        self.unpin_button.setObjectName("orders_unpin")
        self.unpin_button.clicked.connect(lambda: self.show_only((), ""))
        pinned = QHBoxLayout()
        pinned.addWidget(self.pinned_label, 1)
        pinned.addWidget(self.unpin_button)
        self.pinned_bar = QWidget()
        self.pinned_bar.setLayout(pinned)
        self.pinned_bar.setStyleSheet("background: #fff3cd;")
        self.pinned_bar.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(self.pinned_bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.bulk)
        layout.addWidget(self.message_label)
        layout.addLayout(bottom)

    # -- state ------------------------------------------------------------------------------------
    def _restored_sort(self) -> OrderSort:
        saved = str(self.ctx.setting("orders/list/sort", "") or "")
        key, _, direction = saved.partition(":")
        try:
            return OrderSort(SortKey(key), direction != "asc")
        except ValueError:
            return OrderSort()

    def save_state(self) -> None:
        self.ctx.set_setting("orders/list/header", self.table.horizontalHeader().saveState())
        self.ctx.set_setting("orders/list/filters", self.filters.values())
        self.ctx.set_setting(
            "orders/list/sort", f"{self.sort.key.value}:{'desc' if self.sort.descending else 'asc'}"
        )

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the options (labels, colours, integrations) and then the list."""
        actor, db = self.ctx.actor, self.ctx.db
        lang = language()
        self.ctx.runner.submit(
            lambda _c: order_list_options(db.uow(), actor, language=lang),
            on_result=self._options_loaded,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def _options_loaded(self, options: OrderListOptions) -> None:
        self.options = options
        self.model.set_options(options)
        self.filters.set_combo_items("status", [(s.label, s.code) for s in options.statuses])
        self.bulk.set_statuses([(s.label, s.code) for s in options.statuses])
        self.filters.set_combo_items("payment", [(payment_label(p), p) for p in options.payment_statuses])
        self.filters.set_combo_items(
            "integration", [(t("Typed in by hand"), MANUAL), *((name, i) for i, name in options.integrations)]
        )
        if not self._loaded_once:
            self._loaded_once = True
            saved = self.ctx.setting("orders/list/filters")
            if isinstance(saved, dict):
                self.filters.set_values(saved)
        self.apply_filters()

    def build_filter(self) -> OrderListFilter:
        status = self.filters.combo_value("status")
        payment = self.filters.combo_value("payment")
        integration = self.filters.combo_value("integration")
        start, end = self.filters.date_range()
        return OrderListFilter(
            statuses=(str(status),) if status else (),
            payment_statuses=(str(payment),) if payment else (),
            integration_ids=(int(integration),) if integration is not None else (),
            created_from=_day_start(start) if start else None,
            created_to=_day_start(end.addDays(1)) if end else None,
            search=self.filters.search_text(),
            order_ids=self.pinned_ids,
        )

    def show_only(self, order_ids: tuple[int, ...], title: str) -> None:
        """Show exactly these orders (with a bar naming why), or every order again when empty. An empty
        selection from elsewhere (nothing late) shows an empty list, not every order."""
        self.pinned_ids = tuple(order_ids) if order_ids else ()
        if title and not order_ids:
            self.pinned_ids = (0,)  # no order has id 0: "none of them"
        self.pinned_label.setText(title)
        self.pinned_bar.setVisible(bool(title))
        self.apply_filters()

    def apply_filters(self) -> None:
        try:
            flt = self.build_filter()
        except ValueError as exc:  # a remembered value that no longer parses
            self.ctx.dialogs.error(self, exc)
            return
        self.current_filter = flt
        self._all_in_filter = None
        self._reselect = set()
        self._reload()

    def _reload(self) -> None:
        actor, db, flt, sort = self.ctx.actor, self.ctx.db, self.current_filter, self.sort

        def fetch(after: Any) -> Any:
            return list_orders(db.uow(), actor, filters=flt, sort=sort, after=after, limit=PAGE_SIZE)

        self.model.reload(fetch)
        self._count_generation += 1
        generation = self._count_generation
        self.count_label.setText(t("Counting…"))
        self.ctx.runner.submit(
            lambda _c: count_orders(db.uow(), actor, filters=flt),
            on_result=lambda c: self._counted(generation, c),
            on_error=lambda err: self._count_failed(generation, err),
        )

    def _counted(self, generation: int, count: OrderCount) -> None:
        if generation != self._count_generation:
            return
        self.last_count = count
        n = format_decimal(count.value, 0)
        if count.exact:
            self.count_label.setText(t("Orders: {n}", n=n))
        elif self.current_filter.is_empty():
            self.count_label.setText(t("Orders: about {n}", n=n))
        else:
            self.count_label.setText(t("Orders: more than {n}", n=n))

    def _count_failed(self, generation: int, error: TaskError) -> None:
        if generation == self._count_generation:
            self.count_label.setText("")
            self.ctx.dialogs.error(self, error)

    def _sort_requested(self, key: str, descending: bool) -> None:
        self.sort = OrderSort(SortKey(key), descending)
        self._reload()

    # -- actions ----------------------------------------------------------------------------------
    def selected_row(self) -> OrderListRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def neighbour(self, number: str, step: int) -> str | None:
        """The order ``step`` rows after (before) ``number`` in the list as it is sorted now."""
        numbers = [r.number for r in self.model.rows]
        if number not in numbers:
            return None
        i = numbers.index(number) + step
        return numbers[i] if 0 <= i < len(numbers) else None

    def selected_rows(self) -> list[OrderListRow]:
        """The selected (loaded) rows, top to bottom."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.row_at(i) for i in rows) if r is not None]

    def selected_numbers(self) -> list[str]:
        """The numbers the bulk actions work on: every order of the filter after *Zaznacz wszystkie z
        filtra*, else the selected rows in the list's order."""
        if self._all_in_filter is not None:
            return list(self._all_in_filter)
        return [r.number for r in self.selected_rows()]

    def select_rows(self, numbers: Sequence[str]) -> None:
        wanted = set(numbers)
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for i, row in enumerate(self.model.rows):
            if row.number in wanted:
                selection.select(self.model.index(i, 0), flags)

    def select_all_in_filter(self) -> None:
        """Every order that matches the filter (up to the bulk limit), loaded or not."""
        actor, db, flt, sort = self.ctx.actor, self.ctx.db, self.current_filter, self.sort

        def done(numbers: list[str]) -> None:
            self.table.selectAll()
            self._all_in_filter = numbers
            self.bulk.update_selection(len(numbers), True)

        self.ctx.runner.submit(
            lambda _c: order_numbers(db.uow(), actor, filters=flt, sort=sort),
            on_result=done,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def _selection_changed(self) -> None:
        n = len(self.table.selectionModel().selectedRows())
        if self._all_in_filter is not None and n < len(self.model.rows):
            self._all_in_filter = None  # the user picked rows by hand again
        self.bulk.update_selection(
            len(self._all_in_filter) if self._all_in_filter is not None else n,
            self._all_in_filter is not None,
        )

    def reload_keeping_selection(self) -> None:
        """Reload after a bulk action; the same orders stay selected (as their rows arrive)."""
        keep = set(self.selected_numbers())
        self.apply_filters()
        self._reselect = keep
        if self.model.rows:  # already here (a synchronous runner): select now, else on the first page
            self._restore_selection()

    def _restore_selection(self) -> None:
        if not self._reselect:
            return
        wanted, self._reselect = self._reselect, set()
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for i, row in enumerate(self.model.rows):
            if row.number in wanted:
                selection.select(self.model.index(i, 0), flags)

    def show_message(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setVisible(bool(message))

    def _search_entered(self) -> None:
        """A scanner types a code and Enter: an order number, a WZ or tracking number opens the order;
        an EAN or SKU lists the orders with that product."""
        code = self.filters.search_text()
        if not code:
            return
        actor, db = self.ctx.actor, self.ctx.db

        def done(hit: ScanHit | None) -> None:
            if hit is None:
                return  # an ordinary search: the filter bar already applied it
            if hit.kind == "order" and hit.order_number:
                self.order_opened.emit(hit.order_number)
                if self._open_detail:
                    self._open_detail(hit.order_number)
                self.filters.search.selectAll()  # the next scan replaces the code
            elif hit.kind == "product" and hit.sku and hit.sku != code:
                self.filters.search.setText(hit.sku)
                self.filters.flush()

        self.ctx.runner.submit(
            lambda _c: find_scanned(db.uow(), actor, code),
            on_result=done,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def ask_export_selected(self) -> None:
        numbers = self.selected_numbers()
        if not numbers:
            self.ctx.dialogs.info(self, t("Orders"), t("Select orders first."))
            return
        last_dir = str(self.ctx.setting("orders/export_dir", "") or str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(
            self,
            t("Export orders"),
            os.path.join(last_dir, "zamowienia-zaznaczone.csv"),
            t("CSV files (*.csv)"),
        )
        if path:
            self.ctx.set_setting("orders/export_dir", str(Path(path).parent))
            self.export_csv(Path(path), numbers=numbers)

    def create_shipments(self) -> None:
        create_for_selection(
            self.ctx, self, self.selected_numbers(), on_done=lambda _o, _p: self.apply_filters()
        )

    def _open_by_id(self, order_id: int) -> None:
        row = next((r for r in self.model.rows if r.id == order_id), None)
        if row is not None:
            self.order_opened.emit(row.number)
            if self._open_detail:
                self._open_detail(row.number)

    def _ask_export(self) -> None:
        last_dir = str(self.ctx.setting("orders/export_dir", "") or str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(
            self, t("Export orders"), os.path.join(last_dir, "zamowienia.csv"), t("CSV files (*.csv)")
        )
        if path:
            self.ctx.set_setting("orders/export_dir", str(Path(path).parent))
            self.export_csv(Path(path))

    def export_labels(self) -> dict[str, dict[str, str]]:
        """Words for the codes of the CSV export (each followed by a column with the code)."""
        statuses = {s.code: s.label for s in self.options.statuses} if self.options else {}
        return {
            "status": statuses,
            "payment_status": {code: payment_label(code) for code in PAYMENT_LABELS},
            "fulfillment_status": {code: fulfillment_label(code) for code in FULFILLMENT_LABELS},
        }

    def export_csv(
        self,
        path: Path,
        on_done: Callable[[int], None] | None = None,
        *,
        numbers: Sequence[str] | None = None,
    ) -> None:
        """Stream the filtered, sorted list (or only the orders ``numbers``) to ``path`` (UTF-8 with BOM,
        ';' — what Excel opens); codes as words, each followed by a column with the code."""
        actor, db, sort = self.ctx.actor, self.ctx.db, self.sort
        flt = OrderListFilter(numbers=tuple(numbers)) if numbers else self.current_filter
        labels = self.export_labels()
        headers = [
            h
            for c in EXPORT_COLUMNS
            for h in (
                [t(EXPORT_TITLES[c]), t("{column} (code)", column=t(EXPORT_TITLES[c]))]
                if c in labels
                else [t(EXPORT_TITLES[c])]
            )
        ]
        decimal_comma = language() == "pl"
        partial = path.with_name(path.name + ".part")

        def work(c: TaskContext) -> int:
            try:
                with partial.open("w", encoding="utf-8-sig", newline="") as out:
                    n = export_orders_csv(
                        db.uow(),
                        actor,
                        out,
                        filters=flt,
                        sort=sort,
                        headers=headers,
                        labels=labels,
                        decimal_comma=decimal_comma,
                        progress=c.progress,
                        cancelled=c.cancelled,
                    )
                partial.replace(path)
            except BaseException:
                with contextlib.suppress(OSError):
                    partial.unlink()
                raise
            return n

        def done(n: int) -> None:
            self.ctx.dialogs.info(
                self, t("Export finished"), t("Exported {n} orders to {path}.", n=n, path=str(path))
            )
            if on_done:
                on_done(n)

        run_with_progress(
            self,
            self.ctx.runner,
            t("Export orders"),
            work,
            on_result=done,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
            label=t("Writing the CSV file…"),
        )
