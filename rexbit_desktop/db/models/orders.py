from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rexbit_desktop.db.base import Base, Money, Quantity, VatRate, created_at_column, updated_at_column


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("integration_id", "external_order_id"),
        # The orders list sorts by date and filters by status; these keep a page of 1M orders fast.
        Index("ix_orders_created_at_id", "created_at", "id"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_payment_status_created_at", "payment_status", "created_at"),
        Index("ix_orders_integration_created_at", "integration_id", "created_at"),
        # Keyset paging of the orders list sorted by any column: (sort key, id) for each sortable column.
        # Nullable keys are coalesced so that the row comparison of the keyset never meets a NULL.
        Index("ix_orders_list_customer", text("coalesce(customer_name, '')"), "id"),
        Index("ix_orders_list_total_gross", "total_gross", "id"),
        Index("ix_orders_list_status", "status", "id"),
        Index("ix_orders_list_payment_status", "payment_status", "id"),
        Index("ix_orders_list_fulfillment_status", "fulfillment_status", "id"),
        Index("ix_orders_list_warehouse", text("coalesce(warehouse_id, 0)"), "id"),
        Index("ix_orders_list_integration", text("coalesce(integration_id, 0)"), "id"),
        # The KPI dashboard (migration 0013): orders shipped in a period and the open backlog, each read
        # from its index alone (index-only scans: no visit to the wide order rows).
        Index(
            "ix_orders_kpi_shipped",
            "shipped_at",
            postgresql_include=["ready_at", "delivery_method", "integration_id", "warehouse_id"],
            postgresql_where=text("shipped_at IS NOT NULL"),
        ),
        Index(
            "ix_orders_kpi_open",
            "status",
            postgresql_include=[
                "ready_at",
                "created_at",
                "delivery_method",
                "integration_id",
                "warehouse_id",
            ],
            postgresql_where=text(
                "status IN ('paid', 'awaiting_fulfillment', 'picking', 'ready_for_shipment')"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(32), default="manual", server_default="manual")
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    external_order_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32))
    payment_status: Mapped[str] = mapped_column(String(32), default="pending", server_default="pending")
    fulfillment_status: Mapped[str] = mapped_column(
        String(32), default="unassigned", server_default="unassigned"
    )
    currency: Mapped[str] = mapped_column(String(3), default="PLN", server_default="PLN")
    total_net: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    total_gross: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    total_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    shipping_gross: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    delivery_method: Mapped[str | None] = mapped_column(String(200))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id", ondelete="SET NULL"))
    # Copies of the customer address, so that the list can search and sort without a join.
    customer_name: Mapped[str | None] = mapped_column(String(300))
    customer_email: Mapped[str | None] = mapped_column(String(300))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # When the order first became ready for the warehouse (paid, or released for cash on delivery) and
    # when it was first shipped: set by a trigger when the status enters those states (migration 0013).
    ready_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    addresses: Mapped[list[OrderAddress]] = relationship(cascade="all, delete-orphan")
    payments: Mapped[list[OrderPayment]] = relationship(cascade="all, delete-orphan")
    shipments: Mapped[list[OrderShipment]] = relationship(cascade="all, delete-orphan")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_order_items_sku", "sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    integration_product_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("integration_product_links.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(64))
    ean: Mapped[str | None] = mapped_column(String(14))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    price_net: Mapped[Decimal] = mapped_column(Money)
    price_gross: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(VatRate)
    discount_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    # The warehouse this line is taken from; NULL = the order's / the default warehouse.
    warehouse_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="SET NULL")
    )
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")

    order: Mapped[Order] = relationship(back_populates="items")


# The orders list finds orders by SKU prefix, case-insensitively (upper(sku) LIKE 'ABC%').
Index(
    "ix_order_items_upper_sku_prefix",
    func.upper(OrderItem.sku).label("upper_sku"),
    postgresql_ops={"upper_sku": "text_pattern_ops"},
)


class OrderAddress(Base):
    __tablename__ = "order_addresses"
    __table_args__ = (
        CheckConstraint("type IN ('customer', 'billing', 'shipping', 'pickup')", name="type"),
        UniqueConstraint("order_id", "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(300))
    company: Mapped[str | None] = mapped_column(String(300))
    street: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    vat_id: Mapped[str | None] = mapped_column(String(30))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")


class OrderPayment(Base):
    __tablename__ = "order_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(100))
    external_payment_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="pending", server_default="pending")
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="PLN", server_default="PLN")
    paid_at: Mapped[datetime | None]
    due_date: Mapped[date | None] = mapped_column(Date)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at_column()


class OrderShipment(Base):
    """A parcel of an order: typed in by hand (``carrier_service`` NULL or ``manual``) or created through a
    carrier's API (``inpost``, ``dpd``; see services/shipping)."""

    __tablename__ = "order_shipments"
    __table_args__ = (
        # One shipment per order and package: a retried creation finds the row it stored before calling
        # the carrier instead of creating a second parcel.
        Index("ux_order_shipments_idempotency_key", "idempotency_key", unique=True),
        # The tracking schedule reads the open carrier shipments.
        Index(
            "ix_order_shipments_open_tracking",
            "carrier_service",
            "id",
            postgresql_where="status IN ('confirmed', 'in_transit', 'ready_for_pickup')",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(100))
    service: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100), index=True)
    labels_path: Mapped[str | None] = mapped_column(Text)
    packages: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(32), default="created", server_default="created")
    shipped_at: Mapped[datetime | None]
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at_column()
    # Carrier API shipments (migration 0014).
    carrier_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("carrier_accounts.id", ondelete="SET NULL")
    )
    carrier_service: Mapped[str | None] = mapped_column(String(16))
    """inpost, dpd or manual; NULL for parcels recorded before carrier accounts existed."""
    package_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100))
    tracking_numbers: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    parcel: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """What was asked for: size or dimensions and weight, COD, insurance, target point."""
    carrier_status: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    protocol_id: Mapped[int | None] = mapped_column(ForeignKey("carrier_protocols.id", ondelete="SET NULL"))
    last_tracked_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = updated_at_column()


class OrderStatusHistory(Base):
    __tablename__ = "order_status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    # A login ("jkowalski", "system") or "job:<task name>"
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at_column()


class OrderDocument(Base):
    __tablename__ = "order_documents"
    __table_args__ = (
        CheckConstraint("type IN ('reservation', 'issue_wz', 'packing_list', 'storno')", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    warehouse_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouse_documents.id", ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at_column()


class OrderItemReservation(Base):
    __tablename__ = "order_item_reservations"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'partially_released', 'released')", name="status"),
        CheckConstraint(
            "reserved_qty >= 0 AND released_qty >= 0 AND released_qty <= reserved_qty", name="qty"
        ),
        Index(
            "ix_order_item_reservations_open_expiry", "expires_at", postgresql_where="status <> 'released'"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    warehouse_location_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    reserved_qty: Mapped[Decimal] = mapped_column(Quantity)
    released_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    status: Mapped[str] = mapped_column(String(24), default="open", server_default="open")
    expires_at: Mapped[datetime | None]
    release_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    released_at: Mapped[datetime | None]


class OrderSetting(Base):
    """One settings key (``numbering``, ``statuses``, ``automation``, ``company`` …) with a JSON value."""

    __tablename__ = "order_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = updated_at_column()


class OrderNote(Base):
    __tablename__ = "order_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class OrderAuditLog(Base):
    __tablename__ = "order_audit_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at_column()


class OrderItemShortage(Base):
    """What could not be reserved for an order line; filled oldest order first when stock arrives."""

    __tablename__ = "order_item_shortages"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'filled', 'cancelled')", name="status"),
        CheckConstraint("missing_qty > 0", name="missing_positive"),
        # One open shortage per order line: re-reserving updates it instead of adding another.
        Index(
            "ux_order_item_shortages_open_item",
            "order_item_id",
            unique=True,
            postgresql_where="status = 'open'",
        ),
        Index(
            "ix_order_item_shortages_open_product",
            "product_id",
            "warehouse_id",
            "order_id",
            postgresql_where="status = 'open'",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    missing_qty: Mapped[Decimal] = mapped_column(Quantity)
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    created_at: Mapped[datetime] = created_at_column()
    resolved_at: Mapped[datetime | None]
