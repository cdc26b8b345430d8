"""Supplier offers: the typed stock and delivery columns are written with the offer, not generated

``offer_stock`` / ``offer_delivery_days`` were generated columns parsed from the offer's JSON on every
write: 0.35–0.4 s per 100,000 links, while the import already holds both values typed. The columns
become plain, and the rule that defines them lives on as two SQL functions,
``rexbit_offer_stock(jsonb)`` and ``rexbit_offer_delivery_days(jsonb)``:

* the feed import writes the typed values it parsed (the same result, checked after every test that
  touches links: ``tests/conftest.py``);
* every other writer of ``supplier_availability`` goes through the ORM, whose flush sets both columns
  with these functions (``db/models/integrations.py``), or calls them itself.

Revision ID: 0009_offer_columns_written
Revises: 0008_link_reference_checks
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_offer_columns_written"
down_revision = "0008_link_reference_checks"
branch_labels = None
depends_on = None

# The rule of migration 0002's generated columns, word for word, on a function argument. Only immutable
# built-ins, and every cast guarded by a regex, so a bad feed value never fails a write:
#   stock: 0 when absent, NULL when not a plain number ("bad offer");
#   delivery days: NULL when absent, -1 when not a whole number of days ("bad offer").
_SQ = "btrim(availability->>'stock_quantity')"
_DD = "btrim(availability->>'delivery_days')"
OFFER_STOCK = (
    f"CASE WHEN {_SQ} IS NULL THEN 0 "
    f"WHEN {_SQ} ~ '^-?[0-9]{{1,15}}(\\.[0-9]{{1,6}})?$' THEN ({_SQ})::numeric END"
)
OFFER_DELIVERY_DAYS = (
    f"CASE WHEN {_DD} IS NULL THEN NULL "
    f"WHEN {_DD} ~ '^[0-9]{{1,4}}(\\.0+)?$' THEN ({_DD})::numeric::integer ELSE -1 END"
)

_OFFERS_WHERE = (
    "supplier_availability IS NOT NULL AND offer_stock IS NOT NULL"
    " AND (offer_delivery_days IS NULL OR offer_delivery_days >= 0)"
)
_BAD_OFFERS_WHERE = "supplier_availability IS NOT NULL AND (offer_stock IS NULL OR offer_delivery_days < 0)"


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION rexbit_offer_stock(availability jsonb) RETURNS numeric"
        f" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {OFFER_STOCK} $$"
    )
    op.execute(
        "CREATE FUNCTION rexbit_offer_delivery_days(availability jsonb) RETURNS integer"
        f" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {OFFER_DELIVERY_DAYS} $$"
    )
    # Values and indexes stay as they are; only the expressions go.
    op.execute("ALTER TABLE integration_product_links ALTER COLUMN offer_stock DROP EXPRESSION")
    op.execute("ALTER TABLE integration_product_links ALTER COLUMN offer_delivery_days DROP EXPRESSION")


def downgrade() -> None:
    op.drop_column("integration_product_links", "offer_delivery_days")  # drops both partial indexes
    op.drop_column("integration_product_links", "offer_stock")
    op.add_column(
        "integration_product_links",
        sa.Column(
            "offer_stock",
            sa.Numeric(),
            sa.Computed(OFFER_STOCK.replace("availability", "supplier_availability"), persisted=True),
        ),
    )
    op.add_column(
        "integration_product_links",
        sa.Column(
            "offer_delivery_days",
            sa.Integer(),
            sa.Computed(OFFER_DELIVERY_DAYS.replace("availability", "supplier_availability"), persisted=True),
        ),
    )
    op.create_index(
        "ix_integration_product_links_offers",
        "integration_product_links",
        [
            "product_id",
            sa.literal_column("offer_stock DESC"),
            sa.literal_column("offer_delivery_days ASC NULLS LAST"),
        ],
        postgresql_include=["integration_id"],
        postgresql_where=sa.text(_OFFERS_WHERE),
    )
    op.create_index(
        "ix_integration_product_links_bad_offers",
        "integration_product_links",
        ["id"],
        postgresql_where=sa.text(_BAD_OFFERS_WHERE),
    )
    op.execute("DROP FUNCTION rexbit_offer_delivery_days(jsonb)")
    op.execute("DROP FUNCTION rexbit_offer_stock(jsonb)")
