"""Integracje: supplier feeds and PrestaShop connections. For a feed: its import profiles (mappings
editor with a preview), *Import now* with progress and cancel, *Queue import*, *Link products*, and the
run history with errors and line numbers. For a shop: *Test connection*, *Pull products*, *Import
orders* and *Sync now* with progress and cancel, and the last runs (availability and orders)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services import integrations as integration_service
from rexbit_desktop.services.integrations import IntegrationDTO
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, register, t
from rexbit_desktop.ui.integrations.dialogs import PrestaShopDialog, SupplierFeedDialog
from rexbit_desktop.ui.integrations.feed_page import NO_IMPORT_WORKER, FeedPage
from rexbit_desktop.ui.integrations.runs_table import (
    RUNS_POLL_MS,
    _status,
    _status_colour,
)
from rexbit_desktop.ui.integrations.shop_page import ShopPage
from rexbit_desktop.ui.queue.base import ServiceView, call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel
from rexbit_desktop.ui.runner import TaskError
from rexbit_desktop.ui.widgets.progress import ProgressDialog, run_with_progress

register(
    {
        "Type": "Typ",
        "supplier feed": "plik dostawcy",
        "PrestaShop (database)": "PrestaShop (baza)",
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
        NO_IMPORT_WORKER: (
            "Żaden proces nie wykonuje teraz importów, więc import czeka w kolejce. Włącz „Wykonuj zadania z "
            "kolejek na tym komputerze” w Preferencjach albo poproś administratora o uruchomienie serwera zadań."
        ),
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


INTEGRATION_TYPES = {"supplier_feed": "supplier feed", "prestashop_db": "PrestaShop (database)"}


def integration_type_label(code: str) -> str:
    """An integration's type in words (English mode showed the code ``supplier_feed``)."""
    return t(INTEGRATION_TYPES[code]) if code in INTEGRATION_TYPES else code


class IntegrationsView(ShopPage, FeedPage, ServiceView):
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
                Column(t("Type"), lambda i: integration_type_label(i.type)),
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
            self.detail_title.setText(
                f"<b>{integration.name}</b> — {integration_type_label(integration.type)}"
            )
            if integration.type == "supplier_feed":
                self.pages.setCurrentWidget(self.feed_page)
                self._load_feed(integration.id)
            else:
                self.pages.setCurrentWidget(self.shop_page)
                self.connection_text.setPlainText(self._describe_config(integration))
                self._load_sync_runs(integration.id)
                self.stock_panel.load(integration.id)
        self._update_buttons()

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
        self.stock_panel.update_button()
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
