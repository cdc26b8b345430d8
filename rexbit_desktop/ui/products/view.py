"""Produkty: the catalog with stock (on hand / reserved / available per warehouse) and the best supplier
offer, searched on the server and read page by page; a detail pane with every supplier offer; manual
link / unlink of supplier items; receiving stock (PZ)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.catalog import prices
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.catalog.products import (
    ProductDetailDTO,
    ShopLinkDTO,
    SupplierOfferDTO,
)
from rexbit_desktop.services.stock import stock
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_money, format_quantity, register, t
from rexbit_desktop.ui.products.dialogs import LinkDialog, ProductEditDialog, ReceiveDialog
from rexbit_desktop.ui.products.model import ProductsModel, _delivery
from rexbit_desktop.ui.products.shop_stock import ShopStockBox
from rexbit_desktop.ui.queue.base import ServiceView, call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel
from rexbit_desktop.ui.widgets.filter_bar import FilterBar

register(
    {
        "Edit product…": "Edytuj produkt…",
        "Only managers and administrators edit products.": "Produkty edytują kierownicy i administratorzy.",
        "Sale price saved.": "Zapisano cenę sprzedaży.",
        "SKU": "SKU",
        "EAN": "EAN",
        "Name": "Nazwa",
        "Unit": "J.m.",
        "On hand": "Stan",
        "Reserved": "Zarezerwowane",
        "Available": "Dostępne",
        "Per warehouse": "Wg magazynów",
        "Best supplier offer": "Najlepsza oferta dostawcy",
        "Supplier stock": "Stan u dostawcy",
        "Delivery": "Dostawa",
        "Purchase price": "Cena zakupu",
        "Warehouse": "Magazyn",
        "Supplier": "Dostawca",
        "Integration": "Integracja",
        "Item id": "Id pozycji",
        "Supplier SKU": "SKU dostawcy",
        "Supplier EAN": "EAN dostawcy",
        "Link": "Powiązanie",
        "Updated": "Aktualizacja",
        "auto": "automatyczne",
        "manual": "ręczne",
        "Search SKU, EAN or name…": "Szukaj SKU, EAN lub nazwy…",
        "Only active": "Tylko aktywne",
        "Show": "Pokaż",
        "Products: {n}": "Produkty: {n}",
        "Products: {shown} of {n}": "Produkty: {shown} z {n}",
        "Stock": "Stan magazynowy",
        "Supplier offers": "Oferty dostawców",
        "Shop links": "Powiązania ze sklepem",
        "Shop": "Sklep",
        "Shop item (product:combination)": "Pozycja w sklepie (produkt:kombinacja)",
        "Shop reference": "Indeks w sklepie",
        "Shop EAN": "EAN w sklepie",
        "not linked to any shop": "niepowiązany z żadnym sklepem",
        "Receive stock (PZ)…": "Przyjęcie (PZ)…",
        "Link a supplier item…": "Powiąż pozycję dostawcy…",
        "Unlink": "Odłącz",
        "Select a product.": "Wybierz produkt.",
        "VAT {rate}%": "VAT {rate}%",
        "inactive": "nieaktywny",
        "no supplier offers": "brak ofert dostawców",
        "Receive stock": "Przyjęcie towaru",
        "Quantity": "Ilość",
        "Net purchase price": "Cena zakupu netto",
        "Comment": "Uwagi",
        "optional": "opcjonalnie",
        "Receive": "Przyjmij",
        "Received on {number}: {qty} {unit} into {warehouse}.": (
            "Przyjęto dokumentem {number}: {qty} {unit} do magazynu {warehouse}."
        ),
        "Waiting orders reserved from this receipt: {n}.": (
            "Zarezerwowano z tej dostawy dla oczekujących zamówień: {n}."
        ),
        "Stock received": "Towar przyjęty",
        "There is no warehouse yet: add one in the order settings.": (
            "Nie ma jeszcze magazynu: dodaj go w ustawieniach zamówień."
        ),
        "Link a supplier item": "Powiąż pozycję dostawcy",
        "Supplier feed": "Plik dostawcy",
        "Unlinked items": "Niepowiązane pozycje",
        "Filter items…": "Filtruj pozycje…",
        "Link to {sku}": "Powiąż z {sku}",
        "Unlink this supplier item?": "Odłączyć tę pozycję dostawcy?",
        "{supplier} item {item} will no longer count as an offer for {sku}; automatic linking will "
        "leave it alone.": (
            "Pozycja {item} dostawcy {supplier} przestanie być ofertą dla {sku}; automatyczne "
            "łączenie nie powiąże jej ponownie."
        ),
        "Only people who may run integrations can link supplier items.": (
            "Łączyć pozycje dostawców mogą tylko osoby uprawnione do uruchamiania integracji."
        ),
        "You may not receive stock.": "Nie masz uprawnień do przyjmowania towaru.",
    }
)

SEARCH_DELAY_MS = 300


class ProductsView(ServiceView):
    title = "Products"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.may_link = ctx.can(Permission.INTEGRATIONS_RUN)
        self.may_receive = ctx.can(Permission.STOCK_RECEIVE)
        self.may_edit = ctx.can(Permission.SETTINGS_EDIT)
        self.edit_dialog: ProductEditDialog | None = None
        self.detail: ProductDetailDTO | None = None
        self.message = ""
        self.receive_dialog: ReceiveDialog | None = None
        self.link_dialog: LinkDialog | None = None

        # -- filter bar (the shared one: debounced search, Enter searches at once, Clear filters)
        self.filters = FilterBar(self, debounce_ms=SEARCH_DELAY_MS, placeholder=t("Search SKU, EAN or name…"))
        self.filters.setObjectName("filters")
        self.filters.add_combo("status", t("Show"), [(t("Only active"), "active")])
        self.filters.finish()
        saved = ctx.setting("products/filters")
        if saved:
            try:
                self.filters.set_values(json.loads(str(saved)))
            except ValueError:
                pass  # an unreadable remembered filter is forgotten
        self.filters.changed.connect(self.refresh)
        self.search_edit = self.filters.search
        self.count_label = QLabel("")
        self.count_label.setObjectName("count")
        bar = QHBoxLayout()
        bar.addWidget(self.filters, 1)
        bar.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignTop)

        # -- list
        self.model = ProductsModel(ctx)
        self.model.failed.connect(lambda err: ctx.dialogs.error(self, err))
        self.model.page_loaded.connect(lambda _n: self._page_loaded())
        self.table = QTableView()
        self.table.setObjectName("products_table")
        self.table.setModel(self.model)
        configure_table(self.table)
        for i, c in enumerate(ProductsModel.COLUMNS):
            self.table.setColumnWidth(i, c.width)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.activated.connect(lambda _i: self.open_detail())

        # -- detail
        self.detail_title = QLabel(t("Select a product."))
        self.detail_title.setObjectName("detail_title")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextFormat(Qt.TextFormat.RichText)
        self.stock_model: RecordTableModel[Any] = RecordTableModel(
            [
                Column(t("Warehouse"), lambda s: s.warehouse_code),
                Column(t("On hand"), lambda s: format_quantity(s.on_hand), numeric=True),
                Column(t("Reserved"), lambda s: format_quantity(s.reserved), numeric=True),
                Column(
                    t("Available"),
                    lambda s: format_quantity(s.on_hand - s.reserved),
                    numeric=True,
                    colour=lambda s: "#b00020" if s.on_hand - s.reserved <= 0 else None,
                ),
            ]
        )
        self.stock_table = QTableView()
        self.stock_table.setObjectName("stock_table")
        self.stock_table.setModel(self.stock_model)
        configure_table(self.stock_table, stretch_last=False)
        self.stock_table.setMaximumHeight(24 * 4 + 28)
        self.offers_model: RecordTableModel[SupplierOfferDTO] = RecordTableModel(
            [
                Column(t("Supplier"), lambda o: o.supplier_name or ""),
                Column(t("Integration"), lambda o: o.integration_name),
                Column(t("Supplier stock"), lambda o: format_quantity(o.stock_quantity), numeric=True),
                Column(t("Delivery"), _delivery, numeric=True),
                Column(t("Purchase price"), lambda o: format_money(o.purchase_price), numeric=True),
                Column(t("Item id"), lambda o: o.external_id),
                Column(t("Supplier SKU"), lambda o: o.external_sku or ""),
                Column(t("Supplier EAN"), lambda o: o.external_ean or ""),
                Column(t("Link"), lambda o: t(o.link_source)),
                Column(t("Updated"), lambda o: (o.updated_at or "")[:16].replace("T", " ")),
            ]
        )
        self.offers_table = QTableView()
        self.offers_table.setObjectName("offers_table")
        self.offers_table.setModel(self.offers_model)
        configure_table(self.offers_table)
        self.offers_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.shop_links_model: RecordTableModel[ShopLinkDTO] = RecordTableModel(
            [
                Column(t("Shop"), lambda s: s.integration_name),
                Column(t("Shop item (product:combination)"), lambda s: s.external_id),
                Column(t("Shop reference"), lambda s: s.external_sku or ""),
                Column(t("Shop EAN"), lambda s: s.external_ean or ""),
                Column(t("Link"), lambda s: t(s.link_source)),
            ]
        )
        self.shop_links_table = QTableView()
        self.shop_links_table.setObjectName("shop_links_table")
        self.shop_links_table.setModel(self.shop_links_model)
        configure_table(self.shop_links_table)
        self.shop_links_table.setMaximumHeight(24 * 3 + 28)

        self.receive_button = QPushButton(t("Receive stock (PZ)…"))
        self.receive_button.setObjectName("receive")
        self.receive_button.clicked.connect(lambda: self.receive_stock())
        self.edit_button = QPushButton(t("Edit product…"))
        self.edit_button.setObjectName("edit_product")
        self.edit_button.clicked.connect(lambda: self.edit_product())
        if not self.may_edit:
            self.edit_button.setToolTip(t("Only managers and administrators edit products."))
        self.link_button = QPushButton(t("Link a supplier item…"))
        self.link_button.setObjectName("link")
        self.link_button.clicked.connect(lambda: self.link_item())
        self.unlink_button = QPushButton(t("Unlink"))
        self.unlink_button.setObjectName("unlink")
        self.unlink_button.clicked.connect(self.unlink_selected)
        if not self.may_receive:
            self.receive_button.setToolTip(t("You may not receive stock."))
        if not self.may_link:
            for b in (self.link_button, self.unlink_button):
                b.setToolTip(t("Only people who may run integrations can link supplier items."))
        self.message_label = QLabel("")
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)

        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(6, 0, 0, 0)
        dl.addWidget(self.detail_title)
        dl.addWidget(QLabel("<b>" + t("Stock") + "</b>"))
        dl.addWidget(self.stock_table)
        offers_bar = QHBoxLayout()
        offers_bar.addWidget(QLabel("<b>" + t("Supplier offers") + "</b>"))
        offers_bar.addStretch(1)
        offers_bar.addWidget(self.link_button)
        offers_bar.addWidget(self.unlink_button)
        dl.addLayout(offers_bar)
        dl.addWidget(self.offers_table, 1)
        dl.addWidget(QLabel("<b>" + t("Shop links") + "</b>"))
        dl.addWidget(self.shop_links_table)
        self.shop_stock = ShopStockBox(self)
        dl.addWidget(self.shop_stock)
        actions = QHBoxLayout()
        actions.addWidget(self.receive_button)
        actions.addWidget(self.edit_button)
        actions.addStretch(1)
        dl.addLayout(actions)
        dl.addWidget(self.message_label)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self.restore_columns("products", self.table)
        self.setTabOrder(self.search_edit, self.filters.combos["status"])
        self.setTabOrder(self.filters.combos["status"], self.table)
        self.setTabOrder(self.table, self.offers_table)
        self._update_buttons()

    # -- list -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        search = self.filters.search_text()
        only_active = self.filters.combo_value("status") == "active"
        self.ctx.set_setting("products/filters", json.dumps(self.filters.values()))
        self.model.query(search, only_active)
        if self.detail is not None:
            self._load_detail(self.detail.id)

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _page_loaded(self) -> None:
        self._update_count()
        if self.model.rowCount() == 0:
            self._clear_detail()  # nothing matches: no detail of a product the list no longer shows
            return
        if self.table.currentIndex().isValid():
            return
        # After a reload keep the product whose detail is shown if the list still has it; else (a search
        # narrowed the list to other products) the detail follows the list's first product.
        shown = self.detail.id if self.detail is not None else None
        row = next((i for i, r in enumerate(self.model.rows) if r.id == shown), 0)
        self.table.setCurrentIndex(self.model.index(row, 0))
        if self.detail is not None and self.model.rows[row].id != self.detail.id:
            self._load_detail(self.model.rows[row].id)

    def _clear_detail(self) -> None:
        self.detail = None
        self.detail_title.setText(t("Select a product."))
        self.stock_model.set_rows([])
        self.offers_model.set_rows([])
        self.shop_links_model.set_rows([])
        self._update_buttons()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(
            t("Products: {n}", n=total)
            if shown >= total
            else t("Products: {shown} of {n}", shown=shown, n=total)
        )

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is not None:
            self._load_detail(row.id)

    def open_detail(self) -> None:
        """Enter on a row: load its detail and put the focus on the offers."""
        row = self.model.row_at(self.table.currentIndex().row())
        if row is not None:
            self._load_detail(row.id)
            self.offers_table.setFocus()

    # -- detail -----------------------------------------------------------------------------------
    def _load_detail(self, product_id: int) -> None:
        ctx = self.ctx
        self.load(
            lambda _c: catalog.show_product(ctx.db.uow(), ctx.actor, product_id=product_id), self._show_detail
        )

    def _show_detail(self, detail: ProductDetailDTO) -> None:
        self.detail = detail
        flags = "" if detail.active else f" <span style='color:#808080'>({t('inactive')})</span>"
        ean = f" · {t('EAN')} {detail.ean}" if detail.ean else ""
        self.detail_title.setText(
            f"<b>{detail.sku}</b> — {detail.name}{flags}<br>"
            f"<span style='color:#606060'>{t('Unit')}: {detail.unit}{ean} · "
            f"{t('VAT {rate}%', rate=format_quantity(detail.vat_rate))} · {t('Sale price (gross)')}: "
            f"{format_money(detail.price_gross) if detail.price_gross is not None else t('no price')}</span>"
        )
        self.stock_model.set_rows(detail.stock)
        self.offers_model.set_rows(detail.offers)
        self.fit_once(self.offers_table)
        self.shop_links_model.set_rows(detail.shop_links)
        self.shop_links_table.setToolTip("" if detail.shop_links else t("not linked to any shop"))
        self.shop_stock.load(detail.sku, bool(detail.shop_links))
        if not detail.offers:
            self.offers_table.setToolTip(t("no supplier offers"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.detail is not None
        self.receive_button.setEnabled(has and self.may_receive)
        self.edit_button.setEnabled(has and self.may_edit)
        self.link_button.setEnabled(has and self.may_link)
        self.unlink_button.setEnabled(
            has and self.may_link and selected_record(self.offers_table) is not None
        )

    def _say(self, text: str) -> None:
        self.message = text
        self.message_label.setText(text)

    # -- actions ----------------------------------------------------------------------------------
    def receive_stock(self, values: dict[str, Any] | None = None) -> None:
        """Receive stock (PZ) for the shown product; without ``values``, ask for them in a dialog."""
        detail = self.detail
        if detail is None:
            return
        ctx = self.ctx
        if values is None:

            def ask(warehouses: list[Any]) -> None:
                if not warehouses:
                    ctx.dialogs.info(
                        self,
                        t("Receive stock"),
                        t("There is no warehouse yet: add one in the order settings."),
                    )
                    return
                dialog = ReceiveDialog(detail, warehouses, self)
                dialog.accepted.connect(lambda: self.receive_stock(dialog.values()))
                dialog.open()
                self.receive_dialog = dialog

            call_service(ctx, self, lambda _c: stock.list_warehouses(ctx.db.uow(), ctx.actor), ask)
            return

        def received(receipt: Any) -> None:
            doc = receipt.document
            text = t(
                "Received on {number}: {qty} {unit} into {warehouse}.",
                number=doc.number or "PZ",
                qty=format_quantity(values["qty"]),
                unit=detail.unit,
                warehouse=doc.warehouse_code,
            )
            if receipt.filled_shortages:
                text += " " + t(
                    "Waiting orders reserved from this receipt: {n}.", n=len(receipt.filled_shortages)
                )
            self._say(text)
            self.refresh()

        call_service(
            ctx,
            self,
            lambda _c: stock.receive_stock(ctx.db.uow(), ctx.actor, sku=detail.sku, **values),
            received,
        )

    def edit_product(self) -> None:
        """The shown product's sale price with VAT, in a dialog that checks it before saving."""
        detail = self.detail
        if detail is None:
            return
        dialog = ProductEditDialog(detail, self)
        ctx = self.ctx

        def save() -> None:
            price = dialog.price_gross()
            call_service(
                ctx,
                self,
                lambda _c: prices.set_sale_price(
                    ctx.db.uow(), ctx.actor, product_id=detail.id, price_gross=price
                ),
                lambda shown: (self._show_detail(shown), self._say(t("Sale price saved."))),
            )

        dialog.accepted.connect(save)
        dialog.open()
        self.edit_dialog = dialog

    def link_item(self, integration_id: int | None = None, external_id: str | None = None) -> None:
        """Link a supplier's item to the shown product; without an item, let the user pick one."""
        detail = self.detail
        if detail is None:
            return
        if integration_id is None or external_id is None:
            dialog = LinkDialog(self.ctx, detail, self)

            def chosen() -> None:
                offer = dialog.selected()
                if offer is not None:
                    self.link_item(offer.integration_id, offer.external_id)

            dialog.accepted.connect(chosen)
            dialog.open()
            self.link_dialog = dialog
            return
        ctx, iid, eid = self.ctx, int(integration_id), str(external_id)
        call_service(
            ctx,
            self,
            lambda _c: catalog.link_offer(
                ctx.db.uow(), ctx.actor, integration_id=iid, external_id=eid, product_id=detail.id
            ),
            lambda _o: self.refresh(),
        )

    def unlink_selected(self) -> None:
        offer: SupplierOfferDTO | None = selected_record(self.offers_table)
        detail = self.detail
        if offer is None or detail is None:
            return
        if not self.ctx.dialogs.confirm(
            self,
            t("Unlink this supplier item?"),
            t(
                "{supplier} item {item} will no longer count as an offer for {sku}; automatic linking will "
                "leave it alone.",
                supplier=offer.supplier_name or offer.integration_name,
                item=offer.external_id,
                sku=detail.sku,
            ),
        ):
            return
        ctx = self.ctx
        call_service(
            ctx,
            self,
            lambda _c: catalog.unlink_offer(
                ctx.db.uow(), ctx.actor, integration_id=offer.integration_id, external_id=offer.external_id
            ),
            lambda _o: self.refresh(),
        )

    def save_state(self) -> None:
        self.save_columns("products", self.table)
