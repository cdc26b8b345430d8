"""The dialogs of the products view: receive stock (a PZ), link a supplier's offer, edit the sale price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.prices import parse_sale_price
from rexbit_desktop.services import integrations as integration_service
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.catalog.products import (
    ProductDetailDTO,
    SupplierOfferDTO,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_decimal, format_money, format_quantity, language, register, t
from rexbit_desktop.ui.messages import phrase_error
from rexbit_desktop.ui.queue.base import call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel


class ReceiveDialog(QDialog):
    """Quantity, warehouse, optional net price and comment for a PZ."""

    def __init__(
        self, product: ProductDetailDTO, warehouses: list[Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Receive stock") + f" — {product.sku}")
        self.warehouse_combo = QComboBox()
        self.warehouse_combo.setObjectName("warehouse")
        for w in warehouses:
            self.warehouse_combo.addItem(f"{w.code} — {w.name}", w.code)
            if w.is_default:
                self.warehouse_combo.setCurrentIndex(self.warehouse_combo.count() - 1)
        self.qty = QDoubleSpinBox()
        self.qty.setObjectName("quantity")
        whole = product.unit.strip(". ").lower() in ("szt", "pcs", "kpl", "op")
        self.qty.setDecimals(0 if whole else 3)
        self.qty.setRange(1 if whole else 0.001, 1_000_000)
        if language() == "pl":
            self.qty.setLocale(QLocale(QLocale.Language.Polish, QLocale.Country.Poland))
        self.qty.setValue(1)
        self.qty.setSuffix(f" {product.unit}")
        self.price = QLineEdit()
        self.price.setObjectName("price")
        self.price.setPlaceholderText(t("optional"))
        self.comment = QLineEdit()
        self.comment.setObjectName("comment")
        form = QFormLayout()
        form.addRow(QLabel(f"<b>{product.sku}</b> {product.name}"))
        form.addRow(t("Warehouse"), self.warehouse_combo)
        form.addRow(t("Quantity"), self.qty)
        form.addRow(t("Net purchase price"), self.price)
        form.addRow(t("Comment"), self.comment)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("Receive"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def values(self) -> dict[str, Any]:
        price = self.price.text().strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
        return {
            "warehouse": self.warehouse_combo.currentData(),
            "qty": Decimal(str(round(self.qty.value(), 3))),
            "price_net": Decimal(price) if price else None,
            "comment": self.comment.text().strip() or None,
        }


class LinkDialog(QDialog):
    """Pick a supplier feed, then one of its unlinked items, to link to the product."""

    def __init__(self, ctx: AppContext, product: ProductDetailDTO, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.product = product
        self.setWindowTitle(t("Link a supplier item") + f" — {product.sku}")
        self.feed_combo = QComboBox()
        self.feed_combo.setObjectName("feed")
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filter")
        self.filter_edit.setPlaceholderText(t("Filter items…"))
        self.model: RecordTableModel[SupplierOfferDTO] = RecordTableModel(
            [
                Column(t("Item id"), lambda o: o.external_id),
                Column(t("Supplier SKU"), lambda o: o.external_sku or ""),
                Column(t("Supplier EAN"), lambda o: o.external_ean or ""),
                Column(t("Supplier stock"), lambda o: format_quantity(o.stock_quantity), numeric=True),
                Column(t("Purchase price"), lambda o: format_money(o.purchase_price), numeric=True),
            ]
        )
        self.table = QTableView()
        self.table.setObjectName("unlinked")
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.doubleClicked.connect(lambda _i: self._accept_if_selected())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("Link to {sku}", sku=product.sku))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        self.buttons.accepted.connect(self._accept_if_selected)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(t("Supplier feed"), self.feed_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(t("Unlinked items")))
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(720, 460)
        self._all: list[SupplierOfferDTO] = []
        self.feed_combo.currentIndexChanged.connect(lambda _i: self._load_items())
        self.filter_edit.textChanged.connect(lambda _t: self._apply_filter())
        call_service(
            ctx,
            self,
            lambda _c: integration_service.list_integrations(ctx.db.uow(), ctx.actor, type="supplier_feed"),
            self._show_feeds,
        )

    def _show_feeds(self, feeds: list[Any]) -> None:
        self.feed_combo.blockSignals(True)
        for f in feeds:
            self.feed_combo.addItem(
                f"{f.name}" + (f" ({f.contractor_name})" if f.contractor_name else ""), f.id
            )
        self.feed_combo.blockSignals(False)
        self._load_items()

    def _load_items(self) -> None:
        feed_id = self.feed_combo.currentData()
        if feed_id is None:
            return
        ctx = self.ctx
        call_service(
            ctx,
            self,
            lambda _c: catalog.list_unlinked_offers(
                ctx.db.uow(), ctx.actor, integration_id=int(feed_id), limit=2000
            ),
            self._show_items,
        )

    def _show_items(self, items: list[SupplierOfferDTO]) -> None:
        self._all = items
        self._apply_filter()

    def _apply_filter(self) -> None:
        text = self.filter_edit.text().strip().upper()
        rows = [
            o
            for o in self._all
            if not text
            or any(text in (v or "").upper() for v in (o.external_id, o.external_sku, o.external_ean))
        ]
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)

    def selected(self) -> SupplierOfferDTO | None:
        record: SupplierOfferDTO | None = selected_record(self.table)
        return record

    def _accept_if_selected(self) -> None:
        if self.selected() is not None:
            self.accept()


register(
    {
        "Edit product": "Edycja produktu",
        "Sale price (gross)": "Cena sprzedaży brutto",
        "no price": "bez ceny",
        "Save": "Zapisz",
    }
)


class ProductEditDialog(QDialog):
    """A product's sale price with VAT (what the new order form prefills); checked before it is saved:
    non-negative, at most two decimals, blank for no price."""

    def __init__(self, product: ProductDetailDTO, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Edit product") + f" — {product.sku}")
        self.price = QLineEdit()
        self.price.setObjectName("price_gross")
        self.price.setPlaceholderText(t("no price"))
        if product.price_gross is not None:
            self.price.setText(format_decimal(product.price_gross, 2))
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #b00020")
        self.error_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(QLabel(f"<b>{product.sku}</b> {product.name}"))
        form.addRow(t("Sale price (gross)"), self.price)
        form.addRow(QLabel(t("VAT {rate}%", rate=format_quantity(product.vat_rate))))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def accept(self) -> None:
        try:
            parse_sale_price(self.price.text())
        except RexbitError as exc:
            message, hint = phrase_error(exc)
            self.error_label.setText(f"{message} {hint}".strip())
            self.price.setFocus()
            return
        super().accept()

    def price_gross(self) -> Decimal | None:
        return parse_sale_price(self.price.text())
