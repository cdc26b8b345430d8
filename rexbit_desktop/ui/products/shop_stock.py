"""The product detail's "Stock in the shop" table (issue 15): per shop item linked to the product (shops
with stock sync on), what the shop has now next to what rexbit would write. Read through the view's
``load`` (a background task: it asks the shop's database)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from rexbit_desktop.services.shop import stock as shop_stock
from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.queue.base import configure_table
from rexbit_desktop.ui.queue.table import Column, RecordTableModel

register(
    {
        "Stock in the shop": "Stany w sklepie",
        "In the shop now": "W sklepie teraz",
        "rexbit would write": "rexbit zapisze",
        "Remarks": "Uwagi",
        "stock sync off": "synchronizacja stanów wyłączona",
    }
)


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


class ShopStockBox(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.sku: str | None = None
        self.model: RecordTableModel[shop_stock.ShopStockLine] = RecordTableModel(
            [
                Column(t("Shop"), lambda s: s.integration_name),
                Column(t("Shop item (product:combination)"), lambda s: s.external_id),
                Column(t("In the shop now"), lambda s: _number(s.shop_quantity), numeric=True),
                Column(
                    t("rexbit would write"),
                    lambda s: _number(s.rexbit_quantity),
                    numeric=True,
                    colour=lambda s: (
                        "#b00020"
                        if s.rexbit_quantity is not None and s.rexbit_quantity != s.shop_quantity
                        else None
                    ),
                ),
                Column(t("Remarks"), lambda s: t(s.note) if s.note == "stock sync off" else (s.note or "")),
            ]
        )
        self.table = QTableView()
        self.table.setObjectName("shop_stock_table")
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.setMaximumHeight(24 * 3 + 28)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>" + t("Stock in the shop") + "</b>"))
        layout.addWidget(self.table)

    def load(self, sku: str, linked: bool) -> None:
        self.sku = sku
        self.model.set_rows([])
        if not linked:
            return
        ctx = self.view.ctx

        def show(lines: list[shop_stock.ShopStockLine]) -> None:
            if self.sku == sku:
                self.model.set_rows(lines)

        self.view.load(lambda _c: shop_stock.product_shop_stock(ctx.db.uow(), ctx.actor, sku=sku), show)
