"""The PrestaShop page of the integrations view: *Test connection*, *Pull products*, *Sync now* and
*Import orders* with progress and cancel, and the last runs (availability and orders)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.services.shop import availability as shop_sync
from rexbit_desktop.services.shop import catalog as shop_catalog
from rexbit_desktop.services.shop import connection as shop_connection
from rexbit_desktop.services.shop import orders as shop_orders
from rexbit_desktop.ui.i18n import format_datetime, t
from rexbit_desktop.ui.integrations.runs_table import (
    SYNC_KIND_COLUMN,
    _count,
    _duration,
    _kind,
    _status,
    _status_colour,
)
from rexbit_desktop.ui.integrations.stock_panel import StockPanel
from rexbit_desktop.ui.queue.base import call_service, configure_table
from rexbit_desktop.ui.queue.table import Column, RecordTableModel


class ShopPage:
    """Part of ``IntegrationsView`` (``view.py``)."""

    # -- PrestaShop page --------------------------------------------------------------------------
    def _build_shop_page(self) -> QWidget:
        self.connection_text = QPlainTextEdit()
        self.connection_text.setObjectName("connection_text")
        self.connection_text.setReadOnly(True)
        self.test_button = QPushButton(t("Test connection"))
        self.test_button.setObjectName("test_connection")
        self.test_button.clicked.connect(self.test_connection)
        self.pull_button = QPushButton(t("Pull products"))
        self.pull_button.setObjectName("pull_products")
        self.pull_button.setToolTip(t("Read the shop's catalog: new products and links to the shop's items."))
        self.pull_button.clicked.connect(self.pull_products)
        self.orders_button = QPushButton(t("Import orders"))
        self.orders_button.setObjectName("import_orders")
        self.orders_button.setToolTip(
            t("Take in the shop's new and changed orders (and those that failed before).")
        )
        self.orders_button.clicked.connect(self.import_orders)
        self.sync_button = QPushButton(t("Sync now"))
        self.sync_button.setObjectName("sync_now")
        self.sync_button.clicked.connect(self.sync_now)
        self.dry_run_check = QCheckBox(t("Dry run (write nothing)"))
        self.dry_run_check.setObjectName("dry_run")
        self.full_check = QCheckBox(t("All products (not only changed)"))
        self.full_check.setObjectName("full")
        bar = QHBoxLayout()
        bar.addWidget(self.test_button)
        bar.addWidget(self.pull_button)
        bar.addWidget(self.orders_button)
        bar.addStretch(1)
        bar.addWidget(self.dry_run_check)
        bar.addWidget(self.full_check)
        bar.addWidget(self.sync_button)
        connection = QWidget()
        cl = QVBoxLayout(connection)
        cl.addLayout(bar)
        cl.addWidget(self.connection_text, 1)

        self.sync_model: RecordTableModel[Any] = RecordTableModel(
            [
                Column(t("Started"), lambda r: format_datetime(r.started_at)),
                Column(t("Kind"), lambda r: _kind(r.kind)),
                Column(t("Status"), lambda r: _status(r.status), colour=lambda r: _status_colour(r.status)),
                Column(t("Examined"), lambda r: str(r.examined), numeric=True),
                Column(t("To write"), lambda r: _count(r, "to_write", "availability"), numeric=True),
                Column(t("Written"), lambda r: _count(r, "written", "availability"), numeric=True),
                Column(t("Created orders"), lambda r: _count(r, "created", "orders"), numeric=True),
                Column(t("Updated orders"), lambda r: _count(r, "updated", "orders"), numeric=True),
                Column(t("Retried"), lambda r: _count(r, "retried", "orders"), numeric=True),
                Column(t("Unchanged"), lambda r: str(r.skipped_unchanged), numeric=True),
                Column(
                    t("Missing in shop"), lambda r: _count(r, "missing_in_shop", "availability"), numeric=True
                ),
                Column(
                    t("Errors"),
                    lambda r: str(r.errors),
                    numeric=True,
                    colour=lambda r: "#b00020" if r.errors else None,
                ),
                Column(t("Duration"), lambda r: _duration(r.duration_s), numeric=True),
                Column(t("Started by"), lambda r: r.started_by),
                Column(t("Message"), lambda r: r.message or "", tooltip=lambda r: r.message),
            ]
        )
        self.sync_table = QTableView()
        self.sync_table.setObjectName("sync_table")
        self.sync_table.setModel(self.sync_model)
        configure_table(self.sync_table)
        self.shop_tabs = QTabWidget()
        self.shop_tabs.addTab(connection, t("Connection"))
        self.shop_tabs.addTab(self.sync_table, t("Sync runs"))
        self.stock_panel = StockPanel(self)
        self.shop_tabs.addTab(self.stock_panel, t("Shop stock"))
        return self.shop_tabs

    def _load_sync_runs(self, integration_id: int) -> None:
        ctx = self.ctx

        def show(runs: list[Any]) -> None:
            if self.current is not None and self.current.id == integration_id:
                self.sync_model.set_rows(runs)
                self.fit_once(self.sync_table)
                # Fitted to the first runs seen, which may all be of one kind: the kind stays readable.
                self.sync_table.resizeColumnToContents(SYNC_KIND_COLUMN)

        self.load(
            lambda _c: shop_sync.list_sync_runs(ctx.db.uow(), ctx.actor, integration_id=integration_id), show
        )

    def test_connection(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid = self.ctx, integration.id
        self.test_button.setEnabled(False)

        def show(report: Any) -> None:
            lines = [t("Connection works") if report.ok else t("Connection problems"), ""]
            lines.append(f"{t('Target')}: {report.target}")
            if report.server_version:
                lines.append(f"{t('Database server')}: {report.server_version}")
            lines.append(f"{t('PrestaShop version')}: {report.prestashop_version}")
            if report.shop_name:
                lines.append(f"{t('Shop')}: {report.shop_name} (id {report.id_shop})")
            if report.stock_keying:
                lines.append(f"{t('Stock keying')}: {report.stock_keying}")
            if report.languages:
                langs = ", ".join(f"{lang.iso_code}{'*' if lang.synced else ''}" for lang in report.languages)
                lines.append(f"{t('Languages')}: {langs}")
            if report.problems:
                lines += ["", t("Problems") + ":"] + [f"• {p}" for p in report.problems]
            self.connection_text.setPlainText("\n".join(lines))
            self.connection_text.setStyleSheet("" if report.ok else "color: #b00020")

        call_service(
            ctx,
            self,
            lambda _c: shop_connection.check_shop_connection(ctx.db.uow(), ctx.actor, integration_id=iid),
            show,
            on_done=self._update_buttons,
        )

    def pull_products(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid = self.ctx, integration.id

        def work(c: Any) -> Any:
            return shop_catalog.pull_products(
                ctx.db.uow(), ctx.actor, integration_id=iid, progress=c.progress, cancel=c.cancelled
            )

        def done(r: Any) -> None:
            self._say(
                t(
                    "Pulled {items} shop items: {created} new products, {links} new links to the shop.",
                    items=r.items,
                    created=r.products_created,
                    links=r.links_created,
                )
            )

        self._with_progress(t("Pulling products: {name}", name=integration.name), work, done)

    def sync_now(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid = self.ctx, integration.id
        dry_run, full = self.dry_run_check.isChecked(), self.full_check.isChecked()

        def work(c: Any) -> Any:
            return shop_sync.sync_availability(
                ctx.db.uow(),
                ctx.actor,
                integration_id=iid,
                dry_run=dry_run,
                full=full,
                progress=c.progress,
                cancel=c.cancelled,
            )

        def done(result: Any) -> None:
            self._say(
                t(
                    "Sync {status}: examined {examined}, written {written}, unchanged {unchanged}, errors {errors}.",
                    status=_status(result.status),
                    examined=result.examined,
                    written=result.written,
                    unchanged=result.skipped_unchanged,
                    errors=result.errors,
                )
            )
            self._load_sync_runs(iid)
            self.shop_tabs.setCurrentIndex(1)

        self._with_progress(t("Syncing availability: {name}", name=integration.name), work, done)

    def import_orders(self) -> None:
        """The shop's new and changed orders into ours (``orders sync-external``), with progress and cancel."""
        integration = self.current
        if integration is None:
            return
        ctx, iid = self.ctx, integration.id

        def work(c: Any) -> Any:
            return shop_orders.sync_orders(
                ctx.db.uow(), ctx.actor, integration_id=iid, progress=c.progress, cancel=c.cancelled
            )

        def done(result: Any) -> None:
            lines = [
                t(
                    "Orders import {status}: examined {examined}, new {created}, updated {updated}, retried {retried}, "
                    "errors {errors}; still to retry {pending}.",
                    status=_status(result.status),
                    examined=result.examined,
                    created=result.created,
                    updated=result.updated,
                    retried=result.retried,
                    errors=result.errors,
                    pending=result.retry_pending,
                )
            ]
            lines += [
                t("shop order {id}: {reason}", id=d["id_order"], reason=d["reason"])
                if d.get("id_order") is not None
                else str(d["reason"])
                for d in result.error_details[:5]
            ]
            self._say("\n".join(lines))
            self._load_sync_runs(iid)
            self.shop_tabs.setCurrentIndex(1)

        self._with_progress(t("Importing orders: {name}", name=integration.name), work, done)
