"""KPI dashboard: products sold per calendar month and SKU (all sources and warehouses together)

``kpi_monthly_products`` is the sum of ``kpi_daily_products`` over each month's days, rebuilt by the KPI
refresh in the same transaction as the days it rebuilds. The dashboard reads the whole months of an
unfiltered period from it (a year is ~12 × SKUs rows instead of ~365 × SKUs per source and warehouse),
and the rest from the daily rows. Filled here from the daily rows that exist.

Revision ID: 0019_kpi_monthly_products
Revises: 0018_feed_item_keys
Create Date: 2026-12-02 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_kpi_monthly_products"
down_revision = "0018_feed_item_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_monthly_products",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("units", sa.Numeric(14, 3), nullable=False),
        sa.Column("gross_pln", sa.Numeric(14, 4), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "sku", name="pk_kpi_monthly_products", postgresql_include=["units", "gross_pln"]
        ),
    )
    op.execute(
        "INSERT INTO kpi_monthly_products (month, sku, units, gross_pln)"
        " SELECT date_trunc('month', day)::date, sku, sum(units), sum(gross_pln) FROM kpi_daily_products"
        " GROUP BY 1, 2"
    )


def downgrade() -> None:
    op.drop_table("kpi_monthly_products")
