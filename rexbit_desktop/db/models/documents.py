from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rexbit_desktop.db.base import Base, Money, Quantity, VatRate, created_at_column


class NumberSeries(Base):
    """Gap-free counter per series key such as ``WZ/2026/11``; the row is locked while a number is taken."""

    __tablename__ = "number_series"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0, server_default="0")


class WarehouseDocument(Base):
    """WZ (issue), PZ (receipt), IN (storno / return), RES (reservation) documents."""

    __tablename__ = "warehouse_documents"
    __table_args__ = (
        CheckConstraint("type IN ('WZ', 'PZ', 'IN', 'RES')", name="type"),
        CheckConstraint("status IN ('draft', 'posted', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(3))
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    # Snapshot of the recipient at issue time (name, address, NIP): documents must not change later.
    recipient: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    related_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouse_documents.id", ondelete="SET NULL")
    )
    issue_date: Mapped[date] = mapped_column(Date)
    release_date: Mapped[date | None] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), default="system", server_default="system")
    created_at: Mapped[datetime] = created_at_column()
    posted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    items: Mapped[list[WarehouseDocumentItem]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="WarehouseDocumentItem.line_no"
    )


class WarehouseDocumentItem(Base):
    __tablename__ = "warehouse_document_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("warehouse_documents.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    order_item_id: Mapped[int | None] = mapped_column(ForeignKey("order_items.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    ean: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    price_net: Mapped[Decimal | None] = mapped_column(Money)
    vat_rate: Mapped[Decimal | None] = mapped_column(VatRate)

    document: Mapped[WarehouseDocument] = relationship(back_populates="items")


class StockMovement(Base):
    """The stock ledger: one row per change of ``on_hand`` or ``reserved`` and why it happened."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('receipt', 'issue', 'storno', 'reserve', 'release', 'expire', 'consume')",
            name="reason",
        ),
        Index("ix_stock_movements_product_warehouse", "product_id", "warehouse_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    on_hand_delta: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    reserved_delta: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    reason: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouse_documents.id", ondelete="SET NULL"), index=True
    )
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_item_reservations.id", ondelete="SET NULL")
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
