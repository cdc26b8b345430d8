"""Integracje: supplier feeds and PrestaShop connections. For a feed: its import profiles (mappings
editor with a preview), *Import now* with progress and cancel, *Queue import*, *Link products*, and the
run history with errors and line numbers. For a shop: *Test connection*, *Pull products*, *Import
orders* and *Sync now* with progress and cancel, and the last runs (availability and orders)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services import integrations as integration_service
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.feeds import runs as imports_runs
from rexbit_desktop.services.feeds.runs import ImportRunDTO
from rexbit_desktop.services.integrations import ImportProfileDTO, IntegrationDTO
from rexbit_desktop.services.shop import availability as shop_sync
from rexbit_desktop.services.shop import catalog as shop_catalog
from rexbit_desktop.services.shop import connection as shop_connection
from rexbit_desktop.services.shop import orders as shop_orders
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, format_decimal, register, t
from rexbit_desktop.ui.integrations.dialogs import PrestaShopDialog, ProfileDialog, SupplierFeedDialog
from rexbit_desktop.ui.queue.base import ServiceView, call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel
from rexbit_desktop.ui.runner import TaskError
from rexbit_desktop.ui.widgets.progress import ProgressDialog, run_with_progress

register(
    {
        "Type": "Typ",
        "supplier_feed": "plik dostawcy",
        "prestashop_db": "PrestaShop (baza)",
        "Supplier": "Dostawca",
        "Active": "Aktywna",
        "yes": "tak",
        "no": "nie",
        "Profiles": "Profile",
        "Last import": "Ostatni import",
        "New supplier feed…": "Nowy plik dostawcy…",
        "New PrestaShop connection…": "Nowe połączenie PrestaShop…",
        "Edit…": "Edytuj…",
        "Import profiles": "Profile importu",
        "Import runs": "Historia importów",
        "Connection": "Połączenie",
        "Sync runs": "Historia synchronizacji",
        "New profile…": "Nowy profil…",
        "Edit profile…": "Edytuj profil…",
        "Import now": "Importuj teraz",
        "Queue import": "Dodaj import do kolejki",
        "Link products": "Powiąż produkty",
        "Test connection": "Sprawdź połączenie",
        "Sync now": "Synchronizuj teraz",
        "Pull products": "Pobierz produkty",
        "Import orders": "Pobierz zamówienia",
        "Take in the shop's new and changed orders (and those that failed before).": (
            "Pobiera nowe i zmienione zamówienia ze sklepu (oraz te, których wcześniej nie udało się pobrać)."
        ),
        "Importing orders: {name}": "Pobieranie zamówień: {name}",
        "Orders import {status}: examined {examined}, new {created}, updated {updated}, retried {retried}, "
        "errors {errors}; still to retry {pending}.": (
            "Pobieranie zamówień – {status}: sprawdzone {examined}, nowe {created}, zaktualizowane {updated}, "
            "ponowione {retried}, błędy {errors}; do ponowienia {pending}."
        ),
        "shop order {id}: {reason}": "zamówienie w sklepie {id}: {reason}",
        "Kind": "Rodzaj",
        "availability": "dostępność",
        "orders": "zamówienia",
        "Created orders": "Utworzone",
        "Updated orders": "Zaktualizowane",
        "Retried": "Ponowione",
        "Read the shop's catalog: new products and links to the shop's items.": (
            "Czyta katalog sklepu: nowe produkty i powiązania z pozycjami sklepu."
        ),
        "Pulling products: {name}": "Pobieranie produktów: {name}",
        "Pulled {items} shop items: {created} new products, {links} new links to the shop.": (
            "Pobrano pozycje sklepu: {items}; nowe produkty: {created}, nowe powiązania ze sklepem: {links}."
        ),
        "Dry run (write nothing)": "Próba (bez zapisu)",
        "All products (not only changed)": "Wszystkie produkty (nie tylko zmienione)",
        "Format": "Format",
        "Source": "Źródło",
        "Mapped fields": "Zmapowane pola",
        "Columns": "Kolumny",
        "Started": "Start",
        "Profile": "Profil",
        "Status": "Status",
        "Read": "Odczytane",
        "Valid": "Poprawne",
        "Invalid": "Błędne",
        "Matched": "Dopasowane",
        "Unmatched": "Niedopasowane",
        "Ambiguous": "Niejednoznaczne",
        "Zeroed": "Wyzerowane",
        "Duration": "Czas",
        "Started by": "Uruchomił",
        "Examined": "Sprawdzone",
        "To write": "Do zapisu",
        "Written": "Zapisane",
        "Unchanged": "Bez zmian",
        "Missing in shop": "Brak w sklepie",
        "Errors": "Błędy",
        "Message": "Komunikat",
        "queued": "w kolejce",
        "running": "w toku",
        "succeeded": "zakończone",
        "failed": "nieudane",
        "cancelled": "anulowane",
        "{s} s": "{s} s",
        "line {line}: {reason}": "wiersz {line}: {reason}",
        "Select a run to see its errors.": "Wybierz import, aby zobaczyć błędy.",
        "No errors.": "Brak błędów.",
        "Select an integration.": "Wybierz integrację.",
        "Importing {name}": "Import: {name}",
        "Syncing availability: {name}": "Synchronizacja dostępności: {name}",
        "Import finished: {status}. Read {read}, valid {valid}, invalid {invalid}, matched {matched}.": (
            "Import – {status}. Odczytane {read}, poprawne {valid}, błędne {invalid}, dopasowane {matched}."
        ),
        "Import queued as job {job} (run {run}).": "Import dodany do kolejki jako zadanie {job} (import {run}).",
        "Linked {linked} of {examined} items; ambiguous {ambiguous}, unmatched {unmatched}.": (
            "Powiązano {linked} z {examined} pozycji; niejednoznaczne {ambiguous}, niedopasowane {unmatched}."
        ),
        "Sync {status}: examined {examined}, written {written}, unchanged {unchanged}, errors {errors}.": (
            "Synchronizacja – {status}: sprawdzone {examined}, zapisane {written}, bez zmian {unchanged}, "
            "błędy {errors}."
        ),
        "Connection works": "Połączenie działa",
        "Connection problems": "Problemy z połączeniem",
        "Target": "Cel",
        "Database server": "Serwer bazy",
        "PrestaShop version": "Wersja PrestaShop",
        "Shop": "Sklep",
        "Stock keying": "Klucz stanów",
        "Languages": "Języki",
        "Problems": "Problemy",
        "Password": "Hasło",
        "set": "ustawione",
        "not set": "nieustawione",
        "from the environment variable {name}": "ze zmiennej środowiskowej {name}",
        "Writes availability into the shop": "Zapisuje dostępność w sklepie",
        "Only an administrator can create or edit integrations.": (
            "Tworzyć i edytować integracje może tylko administrator."
        ),
        "You may not run integrations.": "Nie masz uprawnień do uruchamiania integracji.",
        "Editing a saved integration is not available yet (no service for it).": (
            "Edycja zapisanej integracji nie jest jeszcze dostępna (brak usługi)."
        ),
        "Integration saved": "Integracja zapisana",
    }
)


RUNS_POLL_MS = 3000
SYNC_KIND_COLUMN = 1


def _status(value: str | None) -> str:
    return t(value) if value else ""


def _status_colour(value: str | None) -> str | None:
    return {"failed": "#b00020", "cancelled": "#a06000", "succeeded": "#1b7a1b"}.get(value or "")


def _kind(value: str) -> str:
    return {"availability": t("availability"), "orders": t("orders")}.get(value, value)


def _count(run: Any, name: str, kind: str) -> str:
    """A count that means something for this kind of run only (blank for the other kind)."""
    return str(getattr(run, name)) if run.kind == kind else ""


def _duration(seconds: float | None) -> str:
    return "" if seconds is None else t("{s} s", s=format_decimal(seconds, 1))


def _run_errors(run: ImportRunDTO) -> str:
    lines = [
        t("line {line}: {reason}", line=e.get("line", "?"), reason=e.get("reason", e))
        if isinstance(e, dict)
        else str(e)
        for e in run.errors
    ]
    if run.message:
        lines.insert(0, run.message)
    return "\n".join(lines) or t("No errors.")


class IntegrationsView(ServiceView):
    title = "Integrations"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.may_edit = ctx.can(Permission.INTEGRATIONS_EDIT)
        self.may_run = ctx.can(Permission.INTEGRATIONS_RUN)
        self.current: IntegrationDTO | None = None
        self.message = ""
        self.progress: ProgressDialog | None = None
        self.busy = False
        self._show_newest_run = False
        self.runs_timer = QTimer(self)
        self.runs_timer.setSingleShot(True)
        self.runs_timer.setInterval(RUNS_POLL_MS)
        self.runs_timer.timeout.connect(self._poll_runs)

        # -- list of integrations
        self.model: RecordTableModel[IntegrationDTO] = RecordTableModel(
            [
                Column(t("Name"), lambda i: i.name),
                Column(t("Type"), lambda i: t(i.type)),
                Column(t("Supplier"), lambda i: i.contractor_name or ""),
                Column(
                    t("Active"),
                    lambda i: t("yes") if i.enabled else t("no"),
                    colour=lambda i: None if i.enabled else "#808080",
                ),
                Column(
                    t("Profiles"),
                    lambda i: str(i.profiles) if i.type == "supplier_feed" else "",
                    numeric=True,
                ),
                Column(
                    t("Last import"),
                    lambda i: (format_datetime(i.last_run_at) + " " + _status(i.last_run_status)).strip(),
                    colour=lambda i: _status_colour(i.last_run_status),
                ),
            ]
        )
        self.table = QTableView()
        self.table.setObjectName("integrations_table")
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())

        self.new_feed_button = QPushButton(t("New supplier feed…"))
        self.new_feed_button.setObjectName("new_feed")
        self.new_feed_button.clicked.connect(lambda: self.create_integration())
        self.new_shop_button = QPushButton(t("New PrestaShop connection…"))
        self.new_shop_button.setObjectName("new_shop")
        self.new_shop_button.clicked.connect(lambda: self.create_integration(shop=True))
        self.edit_button = QPushButton(t("Edit…"))
        self.edit_button.setObjectName("edit")
        self.edit_button.clicked.connect(lambda: self.edit_integration())
        self.refresh_button = QPushButton(t("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        for b in (self.new_feed_button, self.new_shop_button, self.edit_button):
            b.setEnabled(self.may_edit)
            if not self.may_edit:
                b.setToolTip(t("Only an administrator can create or edit integrations."))
        if not self._can_update_integrations():
            self.edit_button.setEnabled(False)
            self.edit_button.setToolTip(
                t("Editing a saved integration is not available yet (no service for it).")
            )
        top = QHBoxLayout()
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        top.addWidget(self.new_feed_button)
        top.addWidget(self.new_shop_button)
        top.addWidget(self.edit_button)

        self.detail_title = QLabel(t("Select an integration."))
        self.detail_title.setObjectName("detail_title")
        self.message_label = QLabel("")
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(QWidget())
        self.feed_page = self._build_feed_page()
        self.shop_page = self._build_shop_page()
        self.pages.addWidget(self.feed_page)
        self.pages.addWidget(self.shop_page)

        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.detail_title)
        ll.addWidget(self.pages, 1)
        ll.addWidget(self.message_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.restore_columns("integrations", self.table)
        self._update_buttons()

    @staticmethod
    def _can_update_integrations() -> bool:
        return hasattr(integration_service, "update_integration")

    # -- supplier feed page -----------------------------------------------------------------------
    def _build_feed_page(self) -> QWidget:
        self.profiles_model: RecordTableModel[ImportProfileDTO] = RecordTableModel(
            [
                Column(t("Name"), lambda p: p.name),
                Column(t("Format"), lambda p: p.format.upper()),
                Column(t("Source"), lambda p: p.source_location, tooltip=lambda p: p.source_location),
                Column(t("Mapped fields"), lambda p: ", ".join(f"{k}←{v}" for k, v in p.mappings.items())),
                Column(t("Columns"), lambda p: str(len(p.last_headers or [])), numeric=True),
                Column(t("Enabled"), lambda p: t("yes") if p.enabled else t("no")),
            ]
        )
        self.profiles_table = QTableView()
        self.profiles_table.setObjectName("profiles_table")
        self.profiles_table.setModel(self.profiles_model)
        configure_table(self.profiles_table)
        self.profiles_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.profiles_table.doubleClicked.connect(lambda _i: self.edit_profile())

        self.new_profile_button = QPushButton(t("New profile…"))
        self.new_profile_button.setObjectName("new_profile")
        self.new_profile_button.clicked.connect(lambda: self.edit_profile(new=True))
        self.edit_profile_button = QPushButton(t("Edit profile…"))
        self.edit_profile_button.setObjectName("edit_profile")
        self.edit_profile_button.clicked.connect(lambda: self.edit_profile())
        self.import_button = QPushButton(t("Import now"))
        self.import_button.setObjectName("import_now")
        self.import_button.clicked.connect(self.import_now)
        self.queue_import_button = QPushButton(t("Queue import"))
        self.queue_import_button.setObjectName("queue_import")
        self.queue_import_button.clicked.connect(self.queue_import)
        self.link_button = QPushButton(t("Link products"))
        self.link_button.setObjectName("link_products")
        self.link_button.clicked.connect(self.link_products)
        bar = QHBoxLayout()
        bar.addWidget(self.new_profile_button)
        bar.addWidget(self.edit_profile_button)
        bar.addStretch(1)
        bar.addWidget(self.import_button)
        bar.addWidget(self.queue_import_button)
        bar.addWidget(self.link_button)
        profiles = QWidget()
        pl = QVBoxLayout(profiles)
        pl.addLayout(bar)
        pl.addWidget(self.profiles_table, 1)

        self.runs_model: RecordTableModel[ImportRunDTO] = RecordTableModel(
            [
                Column(t("Started"), lambda r: format_datetime(r.started_at)),
                Column(t("Profile"), lambda r: r.task_name or ""),
                Column(t("Status"), lambda r: _status(r.status), colour=lambda r: _status_colour(r.status)),
                Column(t("Read"), lambda r: str(r.rows_read), numeric=True),
                Column(t("Valid"), lambda r: str(r.rows_valid), numeric=True),
                Column(
                    t("Invalid"),
                    lambda r: str(r.rows_invalid),
                    numeric=True,
                    colour=lambda r: "#b00020" if r.rows_invalid else None,
                ),
                Column(t("Matched"), lambda r: str(r.matched), numeric=True),
                Column(t("Unmatched"), lambda r: str(r.unmatched), numeric=True),
                Column(t("Ambiguous"), lambda r: str(r.ambiguous), numeric=True),
                Column(t("Zeroed"), lambda r: str(r.zeroed), numeric=True),
                Column(t("Duration"), lambda r: _duration(r.duration_s), numeric=True),
                Column(t("Started by"), lambda r: r.started_by),
            ]
        )
        self.runs_table = QTableView()
        self.runs_table.setObjectName("runs_table")
        self.runs_table.setModel(self.runs_model)
        configure_table(self.runs_table)
        self.runs_table.selectionModel().selectionChanged.connect(lambda *_: self._show_run_errors())
        self.run_errors = QPlainTextEdit()
        self.run_errors.setObjectName("run_errors")
        self.run_errors.setReadOnly(True)
        self.run_errors.setPlaceholderText(t("Select a run to see its errors."))
        runs = QSplitter(Qt.Orientation.Vertical)
        runs.addWidget(self.runs_table)
        runs.addWidget(self.run_errors)
        runs.setStretchFactor(0, 3)
        runs.setStretchFactor(1, 1)

        self.feed_tabs = QTabWidget()
        self.feed_tabs.addTab(profiles, t("Import profiles"))
        self.feed_tabs.addTab(runs, t("Import runs"))
        return self.feed_tabs

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
        return self.shop_tabs

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        ctx = self.ctx
        self.load(lambda _c: integration_service.list_integrations(ctx.db.uow(), ctx.actor), self._show)

    def _show(self, integrations: list[IntegrationDTO]) -> None:
        saved = self.ctx.setting("integrations/selected")
        keep = self.current.id if self.current else (int(saved) if str(saved or "").isdigit() else None)
        self.model.set_rows(integrations)
        self.fit_once(self.table)
        if keep is None and integrations:
            keep = integrations[0].id  # the detail pane is never empty when there is something to show
        if keep is not None:
            self.select_integration(keep)
        if selected_record(self.table) is None:
            self._selected()

    def select_integration(self, integration_id: int) -> None:
        for row, i in enumerate(self.model.rows()):
            if i.id == integration_id:
                self.table.selectRow(row)
                return

    def _selected(self) -> None:
        integration: IntegrationDTO | None = selected_record(self.table)
        self.current = integration
        if integration is None:
            self.pages.setCurrentIndex(0)
            self.detail_title.setText(t("Select an integration."))
        else:
            self.ctx.set_setting("integrations/selected", integration.id)
            self.detail_title.setText(f"<b>{integration.name}</b> — {t(integration.type)}")
            if integration.type == "supplier_feed":
                self.pages.setCurrentWidget(self.feed_page)
                self._load_feed(integration.id)
            else:
                self.pages.setCurrentWidget(self.shop_page)
                self.connection_text.setPlainText(self._describe_config(integration))
                self._load_sync_runs(integration.id)
        self._update_buttons()

    def _load_feed(self, integration_id: int) -> None:
        ctx = self.ctx

        def fetch(_c: Any) -> tuple[list[ImportProfileDTO], list[ImportRunDTO]]:
            profiles = integration_service.list_import_profiles(
                ctx.db.uow(), ctx.actor, integration_id=integration_id
            )
            runs = imports_runs.list_runs(ctx.db.uow(), ctx.actor, integration_id=integration_id, limit=100)
            return profiles, runs

        def show(data: tuple[list[ImportProfileDTO], list[ImportRunDTO]]) -> None:
            if self.current is None or self.current.id != integration_id:
                return
            profiles, runs = data
            selected = selected_record(self.profiles_table)
            self.profiles_model.set_rows(profiles)
            self.runs_model.set_rows(runs)
            self.fit_once(self.profiles_table)
            self.fit_once(self.runs_table)
            row = next(
                (i for i, p in enumerate(profiles) if selected and p.id == selected.id), 0 if profiles else -1
            )
            if row >= 0:
                self.profiles_table.selectRow(row)
            selected_run = selected_record(self.runs_table)
            if self._show_newest_run and runs:
                self._show_newest_run = False
                self.runs_table.selectRow(0)  # the run just finished, with its errors
            elif selected_run is not None:
                for i, r in enumerate(runs):
                    if r.id == selected_run.id:
                        self.runs_table.selectRow(i)
            # A run waiting in the queue or running in a worker: look again in a few seconds.
            if any(r.status in ("queued", "running") for r in runs):
                self.runs_timer.start()
            self._update_buttons()

        self.load(fetch, show)

    def _poll_runs(self) -> None:
        if self.current is not None and self.current.type == "supplier_feed" and self.isVisible():
            if self.loading == 0:
                self._load_feed(self.current.id)
            else:
                self.runs_timer.start()

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

    def _describe_config(self, integration: IntegrationDTO) -> str:
        cfg = integration.config
        if cfg.get("password_env"):
            password = t("from the environment variable {name}", name=cfg["password_env"])
        else:
            password = t("set") if cfg.get("password") else t("not set")  # never the password itself
        lines = [
            f"{t('Target')}: {cfg.get('user', '')}@{cfg.get('host', '')}:{cfg.get('port', '')}/{cfg.get('database', '')}",
            f"{t('Password')}: {password}",
            f"{t('Table prefix')}: {cfg.get('prefix', '')}",
            f"{t('Shop id')}: {cfg.get('id_shop', '')}",
            f"{t('Minimum stock')}: {cfg.get('min_stock_threshold', '')}",
            f"{t('Writes availability into the shop')}: {t('yes') if cfg.get('product_listing_enabled') else t('no')}",
        ]
        return "\n".join(lines)

    def _show_run_errors(self) -> None:
        run: ImportRunDTO | None = selected_record(self.runs_table)
        self.run_errors.setPlainText("" if run is None else _run_errors(run))

    def _update_buttons(self) -> None:
        feed = self.current is not None and self.current.type == "supplier_feed"
        shop = self.current is not None and self.current.type == "prestashop_db"
        has_profile = selected_record(self.profiles_table) is not None
        busy = self.busy
        self.new_profile_button.setEnabled(feed and self.may_edit)
        self.edit_profile_button.setEnabled(feed and self.may_edit and has_profile)
        self.import_button.setEnabled(
            feed and self.may_run and self.profiles_model.rowCount() > 0 and not busy
        )
        self.queue_import_button.setEnabled(feed and self.may_run and self.profiles_model.rowCount() > 0)
        self.link_button.setEnabled(feed and self.may_run)
        self.test_button.setEnabled(shop and self.may_run)
        self.sync_button.setEnabled(shop and self.may_run and not busy)
        self.pull_button.setEnabled(shop and self.may_run and not busy)
        self.orders_button.setEnabled(shop and self.may_run and not busy)
        self.edit_button.setEnabled(
            self.current is not None and self.may_edit and self._can_update_integrations()
        )
        if not self.may_run:
            for b in (
                self.import_button,
                self.queue_import_button,
                self.link_button,
                self.test_button,
                self.pull_button,
                self.orders_button,
                self.sync_button,
            ):
                b.setToolTip(t("You may not run integrations."))
        if not self.may_edit:
            for b in (self.new_profile_button, self.edit_profile_button):
                b.setToolTip(t("Only an administrator can create or edit integrations."))

    def _say(self, text: str) -> None:
        self.message = text
        self.message_label.setText(text)

    def _reload_current(self) -> None:
        self.refresh()

    # -- integrations -----------------------------------------------------------------------------
    def create_integration(self, shop: bool = False, values: dict[str, Any] | None = None) -> None:
        """New supplier feed or PrestaShop connection (tests pass ``values`` instead of the dialog)."""
        if values is None:
            dialog: SupplierFeedDialog | PrestaShopDialog = (
                PrestaShopDialog(None, self) if shop else SupplierFeedDialog(self)
            )
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            values = dialog.values()
        ctx, v = self.ctx, dict(values)

        def created(integration: IntegrationDTO) -> None:
            self.current = integration
            self._say(t("Integration saved") + f": {integration.name}")
            self.refresh()

        call_service(
            ctx,
            self,
            lambda _c: integration_service.create_integration(ctx.db.uow(), ctx.actor, **v),
            created,
        )

    def edit_integration(self, values: dict[str, Any] | None = None) -> None:
        integration = self.current
        if integration is None or not self._can_update_integrations():
            return
        if values is None:
            dialog: QDialog
            if integration.type == "prestashop_db":
                dialog = PrestaShopDialog(integration, self)
            else:
                dialog = SupplierFeedDialog(self, existing=integration)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            values = dialog.values()  # type: ignore[attr-defined]
        ctx, iid, v = self.ctx, integration.id, dict(values)
        v.pop("type", None)
        update = integration_service.update_integration

        def saved(_i: Any) -> None:
            self._say(t("Integration saved") + f": {integration.name}")
            self.refresh()

        call_service(ctx, self, lambda _c: update(ctx.db.uow(), ctx.actor, iid, **v), saved)

    # -- profiles ---------------------------------------------------------------------------------
    def edit_profile(self, new: bool = False) -> ProfileDialog | None:
        integration = self.current
        if integration is None or integration.type != "supplier_feed" or not self.may_edit:
            return None
        profile = None if new else selected_record(self.profiles_table)
        if not new and profile is None:
            return None
        dialog = ProfileDialog(self.ctx, integration.id, profile, self)
        dialog.accepted.connect(lambda: self._load_feed(integration.id))
        dialog.open()
        return dialog

    # -- running ----------------------------------------------------------------------------------
    def _profile_id(self) -> int | None:
        profile: ImportProfileDTO | None = selected_record(self.profiles_table)
        return profile.id if profile else None

    def import_now(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid, task_id = self.ctx, integration.id, self._profile_id()

        def work(c: Any) -> list[ImportRunDTO]:
            return imports.import_now(
                ctx.db.uow,
                ctx.actor,
                integration_id=iid,
                task_id=task_id,
                progress=c.progress,
                cancel=c.cancelled,
            )

        def done(runs: list[ImportRunDTO]) -> None:
            run = runs[-1] if runs else None
            if run is not None:
                self._say(
                    t(
                        "Import finished: {status}. Read {read}, valid {valid}, invalid {invalid}, matched {matched}.",
                        status=_status(run.status),
                        read=run.rows_read,
                        valid=run.rows_valid,
                        invalid=run.rows_invalid,
                        matched=run.matched,
                    )
                )
            self._show_newest_run = True
            self.refresh()
            self.feed_tabs.setCurrentIndex(1)

        self._with_progress(t("Importing {name}", name=integration.name), work, done)

    def queue_import(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid, task_id = self.ctx, integration.id, self._profile_id()

        def work(_c: Any) -> list[tuple[int, int]]:
            from rexbit_desktop.queueing import defer_job

            out = []
            for run in imports.create_import_runs(
                ctx.db.uow(), ctx.actor, integration_id=iid, task_id=task_id
            ):
                job_id = defer_job(
                    ctx.db,
                    "imports:execute_integration_import",
                    integration_id=iid,
                    task_id=run.task_id,
                    run_id=run.id,
                )
                imports_runs.set_run_job(ctx.db.uow(), run.id, job_id)
                out.append((run.id, job_id))
            return out

        def queued(out: list[tuple[int, int]]) -> None:
            self._say(
                " ".join(t("Import queued as job {job} (run {run}).", job=job, run=run) for run, job in out)
            )
            self.refresh()

        call_service(ctx, self, work, queued)

    def link_products(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid = self.ctx, integration.id

        def linked(r: Any) -> None:
            self._say(
                t(
                    "Linked {linked} of {examined} items; ambiguous {ambiguous}, unmatched {unmatched}.",
                    linked=r.linked,
                    examined=r.examined,
                    ambiguous=r.ambiguous,
                    unmatched=r.unmatched,
                )
            )

        call_service(
            ctx,
            self,
            lambda _c: catalog.link_integration_products(ctx.db.uow(), ctx.actor, integration_id=iid),
            linked,
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

    def _with_progress(self, title: str, work: Any, done: Any) -> None:
        """Run ``work`` with a progress dialog whose Cancel stops it; one long run at a time."""

        def finished(value: Any) -> None:
            self.busy = False
            done(value)
            self._update_buttons()

        def failed(err: TaskError) -> None:
            self.busy = False
            self._update_buttons()
            self.ctx.dialogs.error(self, err)
            self.refresh()

        self.busy = True
        self._update_buttons()
        self.progress = run_with_progress(
            self, self.ctx.runner, title, work, on_result=finished, on_error=failed
        )

    def save_state(self) -> None:
        self.save_columns("integrations", self.table)
