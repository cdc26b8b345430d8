"""Pulpit: the KPI dashboard (managers and admins) or the operator's own day.

Figures come from ``services.kpi`` on the task runner; charts are pyqtgraph widgets (each can be saved as
PNG), the whole dashboard exports to PDF and CSV. "Late now" and every backlog cell open the orders list
showing exactly those orders.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.kpi import AGE_BUCKETS, BACKLOG_STATUSES, Period, period_for
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services import kpi
from rexbit_desktop.services.kpi.dto import status_look
from rexbit_desktop.services.orders.queries import MANUAL, order_list_options
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_date, format_datetime, format_decimal, language, t, tn
from rexbit_desktop.ui.kpi.settings import KpiSettingsDialog
from rexbit_desktop.ui.kpi.widgets import (
    Chart,
    Tile,
    colour_swatch,
    definition,
    fill_table,
    make_table,
    run_status,
)
from rexbit_desktop.ui.view import View

PERIODS = (
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("custom", "Custom"),
)
CURRENT_PEN = "#1e88e5"
PREVIOUS_PEN = "#9e9e9e"
BUCKET_COLOURS = ("#43a047", "#1e88e5", "#ffb300", "#e53935")


class DashboardView(View):
    title = "Dashboard"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.dashboard: kpi.Dashboard | None = None
        self.my_day: kpi.OperatorDay | None = None
        self.full = ctx.can(Permission.REPORTS_VIEW)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # (tests set the moment)
        self.settings_dialog: KpiSettingsDialog | None = None
        self._options_loaded = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.status_label = QLabel("")
        self.status_label.setObjectName("dashboard_status")
        if self.full:
            outer.addLayout(self._build_toolbar())
            outer.addWidget(self.dates_row)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.body = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.status_label)
        if self.full:
            self._build_dashboard()
        self._build_my_day()
        self.body.addStretch(1)

    # -- building ---------------------------------------------------------------------------------
    def _build_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.period_combo = QComboBox()
        self.period_combo.setObjectName("dashboard_period")
        for code, title in PERIODS:
            self.period_combo.addItem(t(title), code)
        self.period_combo.setCurrentIndex(2)
        self.from_edit = QDateEdit(QDate.currentDate().addDays(-29))
        self.to_edit = QDateEdit(QDate.currentDate())
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.period_combo.currentIndexChanged.connect(self._period_changed)
        self.integration_combo = QComboBox()
        self.integration_combo.setObjectName("dashboard_integration")
        self.warehouse_combo = QComboBox()
        self.warehouse_combo.setObjectName("dashboard_warehouse")
        for combo in (self.integration_combo, self.warehouse_combo):
            # Long integration names do not widen the toolbar past the window.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.addItem(t("All"), None)
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh_button = QPushButton(t("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        self.pdf_button = QPushButton(t("Export PDF…"))
        self.pdf_button.setObjectName("dashboard_pdf")
        self.pdf_button.clicked.connect(lambda: self._ask_export("pdf"))
        self.csv_button = QPushButton(t("Export CSV…"))
        self.csv_button.setObjectName("dashboard_csv")
        self.csv_button.clicked.connect(lambda: self._ask_export("csv"))
        self.settings_button = QPushButton(t("KPI settings…"))
        self.settings_button.setObjectName("dashboard_settings")
        self.settings_button.clicked.connect(self.open_settings)
        self.settings_button.setVisible(self.ctx.can(Permission.SETTINGS_EDIT))
        bar.addWidget(QLabel(t("Period:")))
        bar.addWidget(self.period_combo)
        # The dates of a custom period on a row of their own, shown for it (the toolbar fits 1280 pixels).
        self.dates_row = QWidget()
        self.dates_row.setObjectName("dashboard_dates")
        dates = QHBoxLayout(self.dates_row)
        dates.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel(t("From")), self.from_edit, QLabel(t("To")), self.to_edit):
            dates.addWidget(w)
        dates.addStretch(1)
        self.dates_row.setVisible(False)
        bar.addSpacing(12)
        bar.addWidget(QLabel(t("Source:")))
        bar.addWidget(self.integration_combo)
        bar.addWidget(QLabel(t("Warehouse:")))
        bar.addWidget(self.warehouse_combo)
        bar.addStretch(1)
        for b in (self.refresh_button, self.pdf_button, self.csv_button, self.settings_button):
            bar.addWidget(b)
        return bar

    def _build_dashboard(self) -> None:
        tiles = QGridLayout()
        self.tiles = {
            "orders": Tile("orders", t("Orders")),
            "gross": Tile("gross", t("Gross value")),
            "average": Tile("average", t("Average order")),
            "returns": Tile("returns", t("Returns")),
            "fulfilment": Tile("fulfilment", t("Fulfilment (median / p90)")),
            "late": Tile("late", t("Late")),
            "late_now": Tile("late_now", t("Late now"), on_click=self.open_late_now),
            "reservation": Tile("reservation", t("Reservation level")),
        }
        for i, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, i // 4, i % 4)
        self.body.addLayout(tiles)

        self.orders_chart = Chart(
            "orders_per_day", t("Orders per day"), definition("orders"), self.save_chart
        )
        self.value_chart = Chart(
            "value_per_day", t("Gross value per day"), definition("gross"), self.save_chart
        )
        self.backlog_chart = Chart(
            "backlog", t("Backlog by age (working days)"), definition("backlog"), self.save_chart
        )
        charts = QGridLayout()
        charts.addWidget(self.orders_chart, 0, 0)
        charts.addWidget(self.value_chart, 0, 1)
        charts.addWidget(self.backlog_chart, 1, 0)
        self.backlog_table = make_table(
            "backlog", [t("Status"), *(b[0] for b in AGE_BUCKETS)], definition("backlog")
        )
        self.backlog_table.cellClicked.connect(self._backlog_clicked)
        self.backlog_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.backlog_table.setCursor(Qt.CursorShape.PointingHandCursor)
        charts.addWidget(self.backlog_table, 1, 1)
        self.body.addLayout(charts)

        tables = QGridLayout()
        self.top_units_table = make_table(
            "top_units", [t("SKU"), t("Product"), t("Units"), t("Value")], definition("top_products")
        )
        self.top_value_table = make_table(
            "top_value", [t("SKU"), t("Product"), t("Units"), t("Value")], definition("top_products")
        )
        self.short_table = make_table("short", [t("SKU"), t("Product"), t("Units")], definition("short"))
        self.stock_table = make_table(
            "stock_value",
            [t("Warehouse"), t("Units"), t("Value"), t("Without price")],
            definition("stock_value"),
        )
        self.health_table = make_table(
            "health",
            [t("Integration"), t("Kind"), t("Last run"), t("Result"), t("Failures")],
            definition("health"),
        )
        for i, (title, table) in enumerate(
            (
                (t("Top products by units"), self.top_units_table),
                (t("Top products by value"), self.top_value_table),
                (t("Units short by product"), self.short_table),
                (t("Stock value by warehouse"), self.stock_table),
                (t("Shop sync and feeds"), self.health_table),
            )
        ):
            box = QGroupBox(title)
            lay = QVBoxLayout(box)
            lay.addWidget(table)
            tables.addWidget(box, i // 2, i % 2)
        self.body.addLayout(tables)

    def _build_my_day(self) -> None:
        box = QGroupBox(t("My day"))
        box.setObjectName("my_day")
        self.my_day_label = QLabel("")
        self.my_day_label.setObjectName("my_day_text")
        self.my_day_label.setWordWrap(True)
        lay = QVBoxLayout(box)
        lay.addWidget(self.my_day_label)
        self.body.addWidget(box)

    # -- loading ----------------------------------------------------------------------------------
    def _period_changed(self) -> None:
        custom = self.period_combo.currentData() == "custom"
        self.from_edit.setEnabled(custom)
        self.to_edit.setEnabled(custom)
        self.dates_row.setVisible(custom)
        self.refresh()

    def period(self, today: date) -> Period:
        code = self.period_combo.currentData()
        if code == "custom":
            return Period(self.from_edit.date().toPython(), self.to_edit.date().toPython())
        return period_for(str(code), today)

    def filters(self) -> kpi.KpiFilter:
        integration = self.integration_combo.currentData()
        warehouse = self.warehouse_combo.currentData()
        return kpi.KpiFilter(
            (int(integration),) if integration is not None else (),
            (int(warehouse),) if warehouse is not None else (),
        )

    def refresh(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: kpi.operator_day(db.uow(), actor),
            on_result=self._show_my_day,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )
        if not self.full:
            return
        if not self._options_loaded:
            self._options_loaded = True
            self.ctx.runner.submit(
                lambda _c: order_list_options(db.uow(), actor, language=language()),
                on_result=self._show_options,
                on_error=lambda err: self.ctx.dialogs.error(self, err),
            )
        moment = self.clock()
        try:
            period = self.period(moment.astimezone().date())
        except ValidationError as exc:  # a custom range that ends before it starts
            self.ctx.dialogs.error(self, exc)
            return
        flt = self.filters()
        self.status_label.setText(t("Computing…"))
        self.ctx.runner.submit(
            lambda _c: kpi.compute_dashboard(db.uow(), actor, period, filters=flt, now=moment),
            on_result=self.show_dashboard,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def _show_options(self, options: Any) -> None:
        for combo in (self.integration_combo, self.warehouse_combo):
            combo.blockSignals(True)
        self.integration_combo.addItem(t("Typed in by hand"), MANUAL)
        for i, name in options.integrations:
            self.integration_combo.addItem(name, i)
        for i, code in options.warehouses:
            self.warehouse_combo.addItem(code, i)
        for combo in (self.integration_combo, self.warehouse_combo):
            combo.blockSignals(False)

    def _show_my_day(self, day: kpi.OperatorDay) -> None:
        self.my_day = day
        lines = [t("What you did today ({day})", day=format_date(day.day))]
        for status, n in sorted(day.status_changes.items()):
            lines.append(f"• {t('Moved to: {status}', status=day.status_label(status, language()))}: {n}")
        lines.append(f"• {t('WZ issued')}: {day.wz_issued}")
        if not day.status_changes and not day.wz_issued:
            lines.append(t("Nothing yet today."))
        self.my_day_label.setText("\n".join(lines))

    def show_dashboard(self, d: kpi.Dashboard) -> None:
        self.dashboard = d
        money = lambda v: format_decimal(v, 2) + " zł" if v is not None else "–"  # noqa: E731
        prev = lambda v: t("previous: {value}", value=v)  # noqa: E731
        self.tiles["orders"].set(
            format_decimal(d.current.orders, 0), prev(format_decimal(d.previous.orders, 0))
        )
        self.tiles["gross"].set(money(d.current.gross), prev(money(d.previous.gross)))
        self.tiles["average"].set(money(d.current.average), prev(money(d.previous.average)))
        self.tiles["returns"].set(
            format_decimal(d.current.returns, 0), prev(format_decimal(d.previous.returns, 0))
        )
        hours = lambda v: format_decimal(v, 1) if v is not None else "–"  # noqa: E731
        self.tiles["fulfilment"].set(
            t("{median} h / {p90} h", median=hours(d.fulfilment_median_h), p90=hours(d.fulfilment_p90_h)),
            t("working hours"),
        )
        pct = lambda v: (format_decimal(v, 1) + " %") if v is not None else "–"  # noqa: E731
        self.tiles["late"].set(pct(d.late_pct), t("{n} of {total} shipped", n=d.late, total=d.shipped))
        self.tiles["late_now"].set(format_decimal(d.late_now, 0), tn("{n} open order", d.open_orders))
        self.tiles["late_now"].value.setStyleSheet(
            "font-size: 18pt; font-weight: 600;" + (" color: #c62828;" if d.late_now else "")
        )
        self.tiles["reservation"].set(
            pct(d.reservation_pct),
            t("{done} of {total} lines", done=d.reserved_lines, total=d.reservation_lines),
        )
        self._draw_charts(d)
        self._fill_tables(d)
        self.status_label.setText(t("Computed {when}", when=format_datetime(d.computed_at)))

    def _draw_charts(self, d: kpi.Dashboard) -> None:
        labels = [p.day.strftime("%d.%m") for p in d.per_day]
        xs = list(range(len(d.per_day)))
        current_name = f"{format_date(d.period.first)} – {format_date(d.period.last)}"
        previous_name = f"{format_date(d.previous_period.first)} – {format_date(d.previous_period.last)}"
        self.orders_chart.clear()
        self.orders_chart.plot.plot(
            xs,
            [p.orders for p in d.previous_per_day],
            pen=pg.mkPen(PREVIOUS_PEN, width=1.5, style=Qt.PenStyle.DashLine),
            name=previous_name,
        )
        self.orders_chart.plot.plot(
            xs,
            [p.orders for p in d.per_day],
            pen=pg.mkPen(CURRENT_PEN, width=2.5),
            symbol="o",
            symbolSize=5,
            symbolBrush=CURRENT_PEN,
            name=current_name,
        )
        self.orders_chart.set_x_labels(labels)
        self.value_chart.clear()
        self.value_chart.plot.addItem(
            pg.BarGraphItem(x=xs, height=[float(p.gross) for p in d.per_day], width=0.7, brush=CURRENT_PEN)
        )
        self.value_chart.set_x_labels(labels)
        self.backlog_chart.clear()
        n = len(AGE_BUCKETS)
        width = 0.8 / n
        for b, (label, _, _) in enumerate(AGE_BUCKETS):
            heights = [d.backlog_count(s, label) for s in BACKLOG_STATUSES]
            bars = pg.BarGraphItem(
                x=[i - 0.4 + width * (b + 0.5) for i in range(len(BACKLOG_STATUSES))],
                height=heights,
                width=width * 0.95,
                brush=QColor(BUCKET_COLOURS[b]),
                name=label,
            )
            self.backlog_chart.plot.addItem(bars)
        self.backlog_chart.set_x_labels([d.status_label(s, language()) for s in BACKLOG_STATUSES])

    def _fill_tables(self, d: kpi.Dashboard) -> None:
        fill_table(
            self.backlog_table,
            [
                [
                    d.status_label(s, language()),
                    *(format_decimal(d.backlog_count(s, b[0]), 0) for b in AGE_BUCKETS),
                ]
                for s in BACKLOG_STATUSES
            ],
        )
        for row, s in enumerate(
            BACKLOG_STATUSES
        ):  # the status's colour from the order settings, as in the list
            item = self.backlog_table.item(row, 0)
            item.setIcon(colour_swatch(status_look(d.statuses, s).colour))

        def sales(rows):
            return [[p.sku, p.name, format_decimal(p.units, 0), format_decimal(p.gross, 2)] for p in rows]

        fill_table(self.top_units_table, sales(d.top_by_units), right_from=2)
        fill_table(self.top_value_table, sales(d.top_by_value), right_from=2)
        fill_table(
            self.short_table,
            [[s.sku, s.name, format_decimal(s.units, 0)] for s in d.short_products],
            right_from=2,
        )
        fill_table(
            self.stock_table,
            [
                [
                    f"{v.code} {v.name}",
                    format_decimal(v.units, 0),
                    format_decimal(v.value, 2),
                    format_decimal(v.unpriced_products, 0),
                ]
                for v in d.stock_value
            ],
        )
        fill_table(
            self.health_table,
            [
                [
                    h.integration,
                    t("shop sync") if h.kind == "sync" else t("feed import"),
                    format_datetime(h.last_finished_at) if h.last_finished_at else "",
                    run_status(h.last_status),
                    format_decimal(h.failures_in_period, 0),
                ]
                for h in d.health
            ],
            right_from=4,
        )

    # -- actions ----------------------------------------------------------------------------------
    def _open_orders(self, ids: list[int], title: str) -> None:
        window = self.window()
        show_view = getattr(window, "show_view", None)
        if show_view is None:
            return
        orders_view = show_view("orders")
        panel = orders_view.list_panel
        orders_view.tabs.setCurrentWidget(panel)
        panel.show_only(tuple(ids), title)

    def open_late_now(self) -> None:
        db, actor, flt = self.ctx.db, self.ctx.actor, self.filters()
        self.ctx.runner.submit(
            lambda _c: kpi.late_order_ids(db.uow(), actor, filters=flt),
            on_result=lambda ids: self._open_orders(ids, t("Dashboard: late now ({n})", n=len(ids))),
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def _backlog_clicked(self, row: int, column: int) -> None:
        if column == 0 or row >= len(BACKLOG_STATUSES):
            return
        status, bucket = BACKLOG_STATUSES[row], AGE_BUCKETS[column - 1][0]
        db, actor, flt = self.ctx.db, self.ctx.actor, self.filters()
        self.ctx.runner.submit(
            lambda _c: kpi.late_order_ids(
                db.uow(), actor, filters=flt, status=status, bucket=bucket, late_only=False
            ),
            on_result=lambda ids: self._open_orders(
                ids,
                t(
                    "Dashboard: {status}, {bucket} working days ({n})",
                    status=self.dashboard.status_label(status, language()) if self.dashboard else status,
                    bucket=bucket,
                    n=len(ids),
                ),
            ),
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def open_settings(self) -> None:
        """The KPI settings editor; saving recomputes the dashboard."""
        db, actor = self.ctx.db, self.ctx.actor

        def show(settings: Any) -> None:
            self.settings_dialog = KpiSettingsDialog(self.ctx, settings, self._settings_saved, self)
            self.settings_dialog.open()

        self.ctx.runner.submit(
            lambda _c: kpi.get_kpi_settings(db.uow(), actor),
            on_result=show,
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )

    def _settings_saved(self, _settings: Any) -> None:
        self.status_label.setText(t("KPI settings saved."))
        self.refresh()

    def save_chart(self, chart: Chart, path: Path | None = None) -> Path | None:
        if path is None:
            last_dir = str(self.ctx.setting("dashboard/export_dir", "") or str(Path.home()))
            name, _ = QFileDialog.getSaveFileName(
                self,
                t("Save chart as PNG…"),
                os.path.join(last_dir, f"{chart.key}.png"),
                t("PNG images (*.png)"),
            )
            if not name:
                return None
            path = Path(name)
            self.ctx.set_setting("dashboard/export_dir", str(path.parent))
        try:
            chart.save_png(path)
        except OSError as exc:
            self.ctx.dialogs.error(self, exc)
            return None
        self.status_label.setText(t("Saved: {path}", path=str(path)))
        return path

    def _ask_export(self, kind: str) -> None:
        if self.dashboard is None:
            return
        last_dir = str(self.ctx.setting("dashboard/export_dir", "") or str(Path.home()))
        name, _ = QFileDialog.getSaveFileName(
            self,
            t("Export the dashboard"),
            os.path.join(last_dir, f"pulpit.{kind}"),
            t("PDF files (*.pdf)") if kind == "pdf" else t("CSV files (*.csv)"),
        )
        if name:
            self.ctx.set_setting("dashboard/export_dir", str(Path(name).parent))
            self.export(kind, Path(name))

    def export(self, kind: str, path: Path) -> None:
        """Write the dashboard shown now as PDF or CSV (in the background; the path is shown after)."""
        d, lang = self.dashboard, language()
        if d is None:
            return

        def work(_c: Any) -> Path:
            if kind == "pdf":
                path.write_bytes(kpi.dashboard_pdf(d, lang))
            else:
                path.write_text(kpi.dashboard_csv(d, lang), encoding="utf-8-sig")
            return path

        self.ctx.runner.submit(
            work,
            on_result=lambda p: self.status_label.setText(t("Saved: {path}", path=str(p))),
            on_error=lambda err: self.ctx.dialogs.error(self, err),
        )
