"""A failed or cancelled import run keeps why as a code + params next to its message: the GUI phrases it in
the user's language (the message stays English for the CLI and the log).

Revision ID: 0022_import_run_codes
Revises: 0021_product_prices
Create Date: 2026-12-02 07:36:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022_import_run_codes"
down_revision = "0021_product_prices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_runs", sa.Column("message_code", sa.String(64), nullable=True))
    op.add_column(
        "import_runs",
        sa.Column("message_params", postgresql.JSONB(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_column("import_runs", "message_params")
    op.drop_column("import_runs", "message_code")
