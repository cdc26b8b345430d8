from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, Money, Quantity, VatRate, created_at_column, updated_at_column


class Product(Base):
    """Our own catalog item. SKU and EAN are text: leading zeros matter."""

    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_sku_upper", text("upper(btrim(sku))")),
        Index("ix_products_ean", "ean"),
        # How a feed's EAN finds a product (as GTIN-14): one probe per staged row (services/feeds/imports.py).
        Index(
            "ix_products_gtin",
            text("lpad(btrim(ean), 14, '0')"),
            postgresql_where=text("ean IS NOT NULL AND btrim(ean) <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    ean: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(20), default="szt.", server_default="szt.")
    vat_rate: Mapped[Decimal] = mapped_column(VatRate, default=Decimal("23"), server_default="23")
    price_gross: Mapped[Decimal | None] = mapped_column(Money)
    """The sale price with VAT (what a new order's line gets by default); None: not set."""
    weight: Mapped[Decimal | None] = mapped_column(Quantity)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class WarehouseStockTotal(Base):
    """Stock of one product in one warehouse. Changed only by documents and reservations."""

    __tablename__ = "warehouse_stock_totals"
    __table_args__ = (
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    reserved: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    updated_at: Mapped[datetime] = updated_at_column()
