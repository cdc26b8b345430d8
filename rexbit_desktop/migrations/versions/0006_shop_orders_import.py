"""Orders import from the shop: sync_runs.created/updated and shop_order_cursors

An orders run is a sync_runs row of kind 'orders'; the cursor (the last (date_upd, id_order) taken in)
is one row per integration.

Revision ID: 0006_shop_orders_import
Revises: 0005_shop_sync_records
Create Date: 2026-11-28 15:46:04.871357
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_shop_orders_import"
down_revision = "0005_shop_sync_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_order_cursors",
        sa.Column("integration_id", sa.BigInteger(), nullable=False),
        sa.Column("date_upd", sa.DateTime(), nullable=False),
        sa.Column("id_order", sa.BigInteger(), nullable=False),
        sa.Column("sync_run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_shop_order_cursors_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_shop_order_cursors")),
    )
    op.add_column("sync_runs", sa.Column("created", sa.Integer(), server_default="0", nullable=False))
    op.add_column("sync_runs", sa.Column("updated", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("sync_runs", "updated")
    op.drop_column("sync_runs", "created")
    op.drop_table("shop_order_cursors")
