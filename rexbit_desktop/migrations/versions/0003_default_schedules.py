"""Default schedules from the old runbook

The runbook's recurring work (DESIGN.md "Scheduling semantics"). Empty arguments mean "every enabled
integration of that type". Operators change them with ``rexbit schedule set`` or in Settings; this
migration never overwrites a schedule that already exists under the same name.

Numbered 0003 but applied after 0004 (the head when it was written), so the history stays one line.

Revision ID: 0003_default_schedules
Revises: 0004_ui_search_indexes
Create Date: 2026-11-28
"""

from __future__ import annotations

import json

from alembic import op
from sqlalchemy import text

revision = "0003_default_schedules"
down_revision = "0004_ui_search_indexes"
branch_labels = None
depends_on = None

DEFAULTS = [
    (
        "import-supplier-feeds",
        "imports:import_all_supplier_feeds",
        {},
        "0 * * * *",
        "Import the feeds of all enabled suppliers (hourly).",
    ),
    (
        "sync-availability",
        "shop:sync_all_availability",
        {},
        "*/30 * * * *",
        "Push supplier availability into every enabled PrestaShop (every 30 minutes).",
    ),
    (
        "prune-failed-jobs",
        "maintenance:prune_failed_jobs",
        {"hours": 168},
        "0 2 * * *",
        "Delete failed jobs older than 168 hours (daily at 02:00).",
    ),
    (
        "sync-orders",
        "shop:sync_all_orders",
        {},
        "*/10 * * * *",
        "Pull new orders and statuses from every enabled PrestaShop (every 10 minutes).",
    ),
    (
        "release-expired-reservations",
        "orders:release_expired_reservations",
        {},
        "*/5 * * * *",
        "Release stock reservations past their expiry (every 5 minutes).",
    ),
]


def upgrade() -> None:
    conn = op.get_bind()
    for name, task, arguments, cron, description in DEFAULTS:
        conn.execute(
            text(
                "INSERT INTO schedules (name, task, arguments, cron, enabled, without_overlapping,"
                " on_one_server, description)"
                " VALUES (:name, :task, CAST(:arguments AS jsonb), :cron, true, true, true, :description)"
                " ON CONFLICT (name) DO NOTHING"
            ),
            {
                "name": name,
                "task": task,
                "arguments": json.dumps(arguments),
                "cron": cron,
                "description": description,
            },
        )


def downgrade() -> None:
    op.get_bind().execute(
        text("DELETE FROM schedules WHERE name = ANY(:names)"), {"names": [d[0] for d in DEFAULTS]}
    )
