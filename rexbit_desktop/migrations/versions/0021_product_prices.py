"""Products get a sale price with VAT: the new order form prefills a line's price (and VAT) from the
catalog. Nullable: a product without a price is typed by hand (or takes its last sold price).

Revision ID: 0021_product_prices
Revises: 0020_kpi_product_totals
Create Date: 2026-12-02 07:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_product_prices"
down_revision = "0020_kpi_product_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("price_gross", sa.Numeric(14, 4), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "price_gross")
