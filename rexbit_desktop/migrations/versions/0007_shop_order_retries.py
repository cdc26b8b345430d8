"""Orders import from the shop: shop_order_retries and sync_runs.retried

A shop order that could not be taken in is kept by id and read again by the next runs (the cursor
has moved past it); an orders run counts the orders it read again.

Revision ID: 0007_shop_order_retries
Revises: 0006_shop_orders_import
Create Date: 2026-11-28 16:01:55.378060
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_shop_order_retries"
down_revision = "0006_shop_orders_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_order_retries",
        sa.Column("integration_id", sa.BigInteger(), nullable=False),
        sa.Column("id_order", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sync_run_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "first_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "last_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_shop_order_retries_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", "id_order", name=op.f("pk_shop_order_retries")),
    )
    op.add_column("sync_runs", sa.Column("retried", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("sync_runs", "retried")
    op.drop_table("shop_order_retries")
