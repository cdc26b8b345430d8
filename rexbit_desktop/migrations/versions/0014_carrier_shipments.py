"""Carrier shipments: carrier accounts, shipment columns for API carriers, labels, tracking events, DPD
handover protocols, and the tracking schedule

``order_shipments`` gains what a shipment created through a carrier's API needs: the account and
service, the package number and the idempotency key (unique: one shipment per order and package), the
carrier's id, all tracking numbers, what was asked for (``parcel``), the carrier's last status, the
last error, the protocol it was handed over with, and tracking times. Rows from before keep working as
manual shipments.

Seeds the schedule ``track-shipments`` (every 30 minutes) unless one of that name exists.

Revision ID: 0014_carrier_shipments
Revises: 0013_kpi_dashboard
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_carrier_shipments"
down_revision = "0013_kpi_dashboard"
branch_labels = None
depends_on = None

SCHEDULE = "track-shipments"


def upgrade() -> None:
    op.create_table(
        "carrier_accounts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "service IN ('inpost', 'dpd', 'manual')", name=op.f("ck_carrier_accounts_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_carrier_accounts_code")),
    )
    op.create_table(
        "carrier_protocols",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("carrier_account_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("document_id", sa.String(length=100), nullable=True),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["carrier_account_id"],
            ["carrier_accounts.id"],
            name=op.f("fk_carrier_protocols_carrier_account_id_carrier_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_protocols")),
    )
    op.create_index("ix_carrier_protocols_account_day", "carrier_protocols", ["carrier_account_id", "day"])
    op.add_column("order_shipments", sa.Column("carrier_account_id", sa.BigInteger(), nullable=True))
    op.add_column("order_shipments", sa.Column("carrier_service", sa.String(length=16), nullable=True))
    op.add_column(
        "order_shipments", sa.Column("package_no", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("order_shipments", sa.Column("idempotency_key", sa.String(length=200), nullable=True))
    op.add_column("order_shipments", sa.Column("external_id", sa.String(length=100), nullable=True))
    op.add_column(
        "order_shipments",
        sa.Column(
            "tracking_numbers", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
    )
    op.add_column(
        "order_shipments",
        sa.Column("parcel", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("order_shipments", sa.Column("carrier_status", sa.String(length=64), nullable=True))
    op.add_column("order_shipments", sa.Column("error", sa.Text(), nullable=True))
    op.add_column("order_shipments", sa.Column("protocol_id", sa.BigInteger(), nullable=True))
    op.add_column("order_shipments", sa.Column("last_tracked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("order_shipments", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "order_shipments",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_foreign_key(
        op.f("fk_order_shipments_carrier_account_id_carrier_accounts"),
        "order_shipments",
        "carrier_accounts",
        ["carrier_account_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_order_shipments_protocol_id_carrier_protocols"),
        "order_shipments",
        "carrier_protocols",
        ["protocol_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index("ux_order_shipments_idempotency_key", "order_shipments", ["idempotency_key"], unique=True)
    op.create_index(
        "ix_order_shipments_open_tracking",
        "order_shipments",
        ["carrier_service", "id"],
        postgresql_where=sa.text("status IN ('confirmed', 'in_transit', 'ready_for_pickup')"),
    )
    op.create_table(
        "order_shipment_labels",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["order_shipments.id"],
            name=op.f("fk_order_shipment_labels_shipment_id_order_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipment_labels")),
        sa.UniqueConstraint(
            "shipment_id", "format", name=op.f("uq_order_shipment_labels_shipment_id_format")
        ),
    )
    op.create_table(
        "order_shipment_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("carrier_status", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["order_shipments.id"],
            name=op.f("fk_order_shipment_events_shipment_id_order_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipment_events")),
        sa.UniqueConstraint(
            "shipment_id",
            "carrier_status",
            "occurred_at",
            name=op.f("uq_order_shipment_events_shipment_id_carrier_status_occurred_at"),
        ),
    )
    op.create_index(
        op.f("ix_order_shipment_events_shipment_id"), "order_shipment_events", ["shipment_id"], unique=False
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO schedules (name, task, arguments, cron, enabled, without_overlapping,"
            " on_one_server, description)"
            " VALUES (:name, 'shipping:track_open_shipments', '{}'::jsonb, '*/30 * * * *', true, true, true,"
            " :description) ON CONFLICT (name) DO NOTHING"
        ),
        {
            "name": SCHEDULE,
            "description": "Read the tracking of open InPost and DPD shipments (every 30 minutes).",
        },
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM schedules WHERE name = :name"), {"name": SCHEDULE})
    op.drop_index(op.f("ix_order_shipment_events_shipment_id"), table_name="order_shipment_events")
    op.drop_table("order_shipment_events")
    op.drop_table("order_shipment_labels")
    op.drop_index("ix_order_shipments_open_tracking", table_name="order_shipments")
    op.drop_index("ux_order_shipments_idempotency_key", table_name="order_shipments")
    op.drop_constraint(
        op.f("fk_order_shipments_protocol_id_carrier_protocols"), "order_shipments", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_order_shipments_carrier_account_id_carrier_accounts"), "order_shipments", type_="foreignkey"
    )
    for column in (
        "updated_at",
        "delivered_at",
        "last_tracked_at",
        "protocol_id",
        "error",
        "carrier_status",
        "parcel",
        "tracking_numbers",
        "external_id",
        "idempotency_key",
        "package_no",
        "carrier_service",
        "carrier_account_id",
    ):
        op.drop_column("order_shipments", column)
    op.drop_index("ix_carrier_protocols_account_day", table_name="carrier_protocols")
    op.drop_table("carrier_protocols")
    op.drop_table("carrier_accounts")
