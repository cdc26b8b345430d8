"""Carrier accounts (InPost ShipX, DPD Polska, manual), the labels and tracking events of carrier
shipments, and DPD handover protocols. The shipments themselves are ``order_shipments`` rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, created_at_column, updated_at_column

CARRIER_SERVICES = ("inpost", "dpd", "manual")


class CarrierAccount(Base):
    """A carrier's API account. ``code`` is the carrier code of the order settings (``inpost``, ``dpd``).

    ``config`` holds the service's settings; secrets are stored as given (``token``, ``password``) or named
    by an environment variable (``token_env``, ``password_env``) and are never shown (services redact them).
    """

    __tablename__ = "carrier_accounts"
    __table_args__ = (CheckConstraint("service IN ('inpost', 'dpd', 'manual')", name="service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    service: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ShipmentLabel(Base):
    """A label PDF of a carrier shipment (kept in the database: every workstation can reprint it)."""

    __tablename__ = "order_shipment_labels"
    __table_args__ = (UniqueConstraint("shipment_id", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("order_shipments.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(32))
    """``pdf`` plus the page type asked for, e.g. ``pdf/A6`` or ``pdf/LBL_PRINTER``."""
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()


class ShipmentEvent(Base):
    """One tracking event of a carrier shipment, as the carrier reported it and mapped to our status."""

    __tablename__ = "order_shipment_events"
    __table_args__ = (UniqueConstraint("shipment_id", "carrier_status", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("order_shipments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    carrier_status: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = created_at_column()


class CarrierProtocol(Base):
    """A handover protocol (DPD ``generateProtocol``): the parcels given to the courier on one day."""

    __tablename__ = "carrier_protocols"
    __table_args__ = (Index("ix_carrier_protocols_account_day", "carrier_account_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_account_id: Mapped[int] = mapped_column(ForeignKey("carrier_accounts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    document_id: Mapped[str | None] = mapped_column(String(100))
    parcels: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
