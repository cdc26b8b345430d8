"""The products list's model: pages of products with stock per warehouse and the best supplier offer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtGui import QColor

from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.catalog.products import (
    ProductDetailDTO,
    ProductRowDTO,
    SupplierOfferDTO,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_money, format_quantity, t, tn
from rexbit_desktop.ui.widgets.paged_model import Column as PagedColumn
from rexbit_desktop.ui.widgets.paged_model import PagedTableModel, PageResult

PAGE_SIZE = 200


def _available(row: ProductRowDTO) -> Decimal:
    return row.on_hand - row.reserved


def _per_warehouse(row: ProductRowDTO | ProductDetailDTO) -> str:
    return " · ".join(
        f"{s.warehouse_code}: {format_quantity(s.on_hand)}/{format_quantity(s.reserved)}"
        f"/{format_quantity(s.on_hand - s.reserved)}"
        for s in row.stock
    )


def _delivery(offer: SupplierOfferDTO | None) -> str:
    if offer is None or offer.delivery_days is None:
        return ""
    return tn("{n} day", int(offer.delivery_days))


def _offer_summary(offer: SupplierOfferDTO | None) -> str:
    if offer is None:
        return ""
    parts = [offer.supplier_name or offer.integration_name]
    if offer.stock_quantity is not None:
        parts.append(format_quantity(offer.stock_quantity))
    if offer.delivery_days is not None:
        parts.append(_delivery(offer))
    if offer.purchase_price is not None:
        parts.append(format_money(offer.purchase_price))
    return " · ".join(parts)


class ProductsModel(PagedTableModel[ProductRowDTO]):
    """Products page by page (offset paging of ``catalog.list_products``)."""

    COLUMNS = [
        PagedColumn("sku", "SKU", sortable=False, width=120),
        PagedColumn("ean", "EAN", sortable=False, width=120),
        PagedColumn("name", "Name", sortable=False, width=240),
        PagedColumn("on_hand", "On hand", align_right=True, sortable=False, width=80),
        PagedColumn("reserved", "Reserved", align_right=True, sortable=False, width=105),
        PagedColumn("available", "Available", align_right=True, sortable=False, width=80),
        PagedColumn("per_warehouse", "Per warehouse", sortable=False, width=170),
        PagedColumn("best_offer", "Best supplier offer", sortable=False, width=260),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx.runner, self.COLUMNS)
        self.ctx = ctx
        self.total = 0
        self.search = ""
        self.only_active = False

    def query(self, search: str, only_active: bool) -> None:
        """Read the first page for this search (the server filters)."""
        self.search, self.only_active = search, only_active
        ctx = self.ctx

        def fetch(offset: Any) -> PageResult[ProductRowDTO]:
            start = int(offset or 0)
            page = catalog.list_products(
                ctx.db.uow(), ctx.actor, search=search, offset=start, limit=PAGE_SIZE, only_active=only_active
            )
            self.total = page.total
            end = start + len(page.rows)
            return PageResult(page.rows, end if end < page.total and page.rows else None)

        self.reload(fetch)

    def display(self, row: ProductRowDTO, key: str) -> str:
        if key == "on_hand":
            return format_quantity(row.on_hand)
        if key == "reserved":
            return format_quantity(row.reserved)
        if key == "available":
            return format_quantity(_available(row))
        if key == "per_warehouse":
            return _per_warehouse(row)
        if key == "best_offer":
            return _offer_summary(row.best_offer)
        return super().display(row, key)

    def tooltip(self, row: ProductRowDTO, key: str) -> str | None:
        if key == "per_warehouse" and row.stock:
            return "\n".join(
                f"{s.warehouse_code}: {t('On hand')} {format_quantity(s.on_hand)}, "
                f"{t('Reserved')} {format_quantity(s.reserved)}, "
                f"{t('Available')} {format_quantity(s.on_hand - s.reserved)}"
                for s in row.stock
            )
        if key == "name":
            return row.name
        return None

    def foreground(self, row: ProductRowDTO, key: str) -> QColor | None:
        if not row.active:
            return QColor("#808080")
        if key == "available" and _available(row) <= 0:
            return QColor("#b00020")
        return None
