"""KPI dashboard: running totals of products sold, per month and SKU, so a run of whole months is two rows

``kpi_product_totals`` row (month, sku) holds the units, value and daily rows of that SKU sold in all
months before ``month`` (all sources and warehouses). Whole months Ma … Mb of a period are then
totals(Mb + 1 month) − totals(Ma): two rows per SKU whatever the length. ``kpi_monthly_products`` counts
its daily rows (``day_rows``) so that a SKU with no sale in the period is left out, as in the daily rows.
The KPI refresh rebuilds the totals from the first month it rebuilt; filled here.

Revision ID: 0020_kpi_product_totals
Revises: 0019_kpi_monthly_products
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0020_kpi_product_totals"
down_revision = "0019_kpi_monthly_products"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "kpi_monthly_products", sa.Column("day_rows", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE kpi_monthly_products m SET day_rows = d.n FROM ("
        " SELECT date_trunc('month', day)::date AS month, sku, count(*) AS n FROM kpi_daily_products"
        " GROUP BY 1, 2) d WHERE d.month = m.month AND d.sku = m.sku"
    )
    op.create_table(
        "kpi_product_totals",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("units", sa.Numeric(16, 3), nullable=False),
        sa.Column("gross_pln", sa.Numeric(18, 4), nullable=False),
        sa.Column("day_rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "sku",
            name="pk_kpi_product_totals",
            postgresql_include=["units", "gross_pln", "day_rows"],
        ),
    )
    # Month by month: totals(next) = totals(month) + the month's sales (services/kpi/totals.py).
    bind = op.get_bind()
    lo, hi = bind.execute(sa.text("SELECT min(month), max(month) FROM kpi_monthly_products")).one()
    month = lo
    while month is not None and month <= hi:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        bind.execute(
            sa.text(
                "INSERT INTO kpi_product_totals (month, sku, units, gross_pln, day_rows)"
                " SELECT CAST(:month AS date), sku, sum(units), sum(gross_pln), sum(day_rows) FROM ("
                "   SELECT sku, units, gross_pln, day_rows FROM kpi_product_totals WHERE month = CAST(:prev AS date)"
                "   UNION ALL"
                "   SELECT sku, units, gross_pln, day_rows FROM kpi_monthly_products WHERE month = CAST(:prev AS date)"
                " ) x GROUP BY sku"
            ),
            {"month": following, "prev": month},
        )
        month = following


def downgrade() -> None:
    op.drop_table("kpi_product_totals")
    op.drop_column("kpi_monthly_products", "day_rows")
