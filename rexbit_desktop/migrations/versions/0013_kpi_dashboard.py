"""KPI dashboard: order milestones, the working-time calendar, daily aggregates kept exact by triggers

* ``orders.ready_at`` / ``orders.shipped_at``: when the order first became ready for the warehouse (paid,
  or released to it for cash on delivery) and when it was first shipped. A ``BEFORE`` trigger sets them
  when the status enters those states, on every path (workflow, shop import, SQL); existing orders take
  them from their status history.
* ``kpi_calendar``: one row per day with the running working seconds and working-day number, so the
  dashboard turns any moment into working time with one join (``domain/kpi.py`` explains the rules). The
  service (re)builds it from the settings; this migration only creates the table.
* ``kpi_daily`` / ``kpi_daily_products``: per local day of ``created_at``, integration and warehouse, the
  orders, value and units sold. Statement triggers on ``orders`` and ``order_items`` append the days they
  touch to ``kpi_dirty_marks`` (append-only: concurrent writers never wait on each other); the dashboard
  reads marked days live and the ``refresh-kpi`` schedule rebuilds them. ``kpi_daily_shipped`` does the
  same per day of ``shipped_at`` (orders shipped, late, and every order's working seconds). Existing orders are aggregated
  here, in Europe/Warsaw time.

Revision ID: 0013_kpi_dashboard
Revises: 0012_chunk_rows_uncompressed
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_kpi_dashboard"
down_revision = "0012_chunk_rows_uncompressed"
branch_labels = None
depends_on = None

MILESTONES = """
CREATE FUNCTION rexbit_order_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ready_at IS NULL AND NEW.status IN ('paid', 'awaiting_fulfillment', 'picking', 'ready_for_shipment') THEN
        NEW.ready_at := now();
    END IF;
    IF NEW.shipped_at IS NULL AND NEW.status = 'shipped' THEN
        NEW.shipped_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_milestones BEFORE INSERT OR UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION rexbit_order_milestones();
"""

# The local day of an order, in the time zone the aggregates were built in.
MARKS = """
CREATE FUNCTION rexbit_kpi_zone() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT timezone FROM kpi_calendar_state WHERE id = 1), 'Europe/Warsaw')
$$;
CREATE FUNCTION rexbit_kpi_mark_orders() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE zone text := rexbit_kpi_zone();
BEGIN
    -- 'c': the local day of created_at (orders, values, products sold); 's': the day of shipped_at
    -- (fulfilment time, lateness).
    IF TG_OP = 'INSERT' THEN
        INSERT INTO kpi_dirty_marks (day, kind)
        SELECT DISTINCT d, k FROM new_rows n,
            LATERAL (VALUES ((n.created_at AT TIME ZONE zone)::date, 'c'),
                            ((n.shipped_at AT TIME ZONE zone)::date, 's')) v (d, k)
        WHERE d IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO kpi_dirty_marks (day, kind)
        SELECT DISTINCT d, k FROM old_rows o,
            LATERAL (VALUES ((o.created_at AT TIME ZONE zone)::date, 'c'),
                            ((o.shipped_at AT TIME ZONE zone)::date, 's')) v (d, k)
        WHERE d IS NOT NULL;
    ELSE
        INSERT INTO kpi_dirty_marks (day, kind)
        SELECT DISTINCT d, 'c' FROM old_rows o JOIN new_rows n ON n.id = o.id,
            LATERAL (VALUES ((o.created_at AT TIME ZONE zone)::date), ((n.created_at AT TIME ZONE zone)::date)) v (d)
        WHERE (o.status, o.total_gross, o.currency, o.integration_id, o.warehouse_id, o.created_at)
              IS DISTINCT FROM (n.status, n.total_gross, n.currency, n.integration_id, n.warehouse_id, n.created_at)
        UNION
        SELECT DISTINCT d, 's' FROM old_rows o JOIN new_rows n ON n.id = o.id,
            LATERAL (VALUES ((o.shipped_at AT TIME ZONE zone)::date), ((n.shipped_at AT TIME ZONE zone)::date)) v (d)
        WHERE d IS NOT NULL
          AND (o.shipped_at, o.ready_at, o.delivery_method, o.integration_id, o.warehouse_id)
              IS DISTINCT FROM (n.shipped_at, n.ready_at, n.delivery_method, n.integration_id, n.warehouse_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER orders_kpi_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rexbit_kpi_mark_orders();
CREATE TRIGGER orders_kpi_update AFTER UPDATE ON orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rexbit_kpi_mark_orders();
CREATE TRIGGER orders_kpi_delete AFTER DELETE ON orders REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rexbit_kpi_mark_orders();

CREATE FUNCTION rexbit_kpi_mark_order_items() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE zone text := rexbit_kpi_zone();
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO kpi_dirty_marks (day)
        SELECT DISTINCT (o.created_at AT TIME ZONE zone)::date FROM orders o WHERE o.id IN (SELECT order_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO kpi_dirty_marks (day)
        SELECT DISTINCT (o.created_at AT TIME ZONE zone)::date FROM orders o WHERE o.id IN (SELECT order_id FROM old_rows);
    ELSE
        INSERT INTO kpi_dirty_marks (day)
        SELECT DISTINCT (o.created_at AT TIME ZONE zone)::date FROM orders o
        WHERE o.id IN (
            SELECT n.order_id FROM new_rows n JOIN old_rows x ON x.id = n.id
            WHERE (x.order_id, x.sku, x.name, x.quantity, x.price_gross) IS DISTINCT FROM (n.order_id, n.sku, n.name, n.quantity, n.price_gross)
            UNION SELECT x.order_id FROM new_rows n JOIN old_rows x ON x.id = n.id WHERE x.order_id <> n.order_id
        );
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER order_items_kpi_insert AFTER INSERT ON order_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rexbit_kpi_mark_order_items();
CREATE TRIGGER order_items_kpi_update AFTER UPDATE ON order_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rexbit_kpi_mark_order_items();
CREATE TRIGGER order_items_kpi_delete AFTER DELETE ON order_items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rexbit_kpi_mark_order_items();
"""

SCHEDULE = (
    "refresh-kpi",
    "maintenance:refresh_kpi",
    {},
    "*/10 * * * *",
    "Rebuild the KPI dashboard's daily figures of the days whose orders changed (every 10 minutes).",
)


def upgrade() -> None:
    op.add_column("orders", sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE orders o SET ready_at = h.ready_at, shipped_at = h.shipped_at
        FROM (
            SELECT order_id,
                   min(created_at) FILTER (WHERE to_status IN ('paid', 'awaiting_fulfillment', 'picking',
                                                               'ready_for_shipment')) AS ready_at,
                   min(created_at) FILTER (WHERE to_status = 'shipped') AS shipped_at
            FROM order_status_history GROUP BY order_id
        ) h
        WHERE h.order_id = o.id AND (h.ready_at IS NOT NULL OR h.shipped_at IS NOT NULL)
        """
    )
    op.create_index(
        "ix_orders_kpi_shipped",
        "orders",
        ["shipped_at"],
        postgresql_include=["ready_at", "delivery_method", "integration_id", "warehouse_id"],
        postgresql_where=sa.text("shipped_at IS NOT NULL"),
    )
    op.create_index(
        "ix_orders_kpi_open",
        "orders",
        ["status"],
        postgresql_include=["ready_at", "created_at", "delivery_method", "integration_id", "warehouse_id"],
        postgresql_where=sa.text(
            "status IN ('paid', 'awaiting_fulfillment', 'picking', 'ready_for_shipment')"
        ),
    )
    op.create_table(
        "kpi_calendar",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("work_start_s", sa.Integer(), nullable=False),
        sa.Column("work_end_s", sa.Integer(), nullable=False),
        sa.Column("cum_work_s", sa.BigInteger(), nullable=False),
        sa.Column("work_day_no", sa.Integer(), nullable=False),
    )
    op.create_table(
        "kpi_calendar_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(500), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "kpi_daily",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("integration_id", sa.Integer(), primary_key=True),
        sa.Column("warehouse_id", sa.Integer(), primary_key=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("gross_pln", sa.Numeric(14, 4), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
    )
    op.create_table(
        "kpi_daily_products",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("units", sa.Numeric(14, 3), nullable=False),
        sa.Column("gross_pln", sa.Numeric(14, 4), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "integration_id",
            "warehouse_id",
            "sku",
            name="pk_kpi_daily_products",
            postgresql_include=["units", "gross_pln"],
        ),
    )
    op.create_table(
        "kpi_daily_shipped",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("integration_id", sa.Integer(), primary_key=True),
        sa.Column("warehouse_id", sa.Integer(), primary_key=True),
        sa.Column("shipped", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("work_s", postgresql.ARRAY(sa.Integer()), nullable=False),
    )
    op.create_table(
        "kpi_dirty_marks",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(1), server_default="c", nullable=False),
    )
    op.create_index("ix_kpi_dirty_marks_day", "kpi_dirty_marks", ["day"])
    op.execute(MILESTONES)
    op.execute(MARKS)
    # Every day that has orders is marked: the first refresh builds the aggregates (the dashboard is
    # exact before that too, only slower, as it reads marked days live).
    op.execute(
        "INSERT INTO kpi_dirty_marks (day, kind)"
        " SELECT DISTINCT (created_at AT TIME ZONE 'Europe/Warsaw')::date, 'c' FROM orders"
        " UNION SELECT DISTINCT (shipped_at AT TIME ZONE 'Europe/Warsaw')::date, 's' FROM orders"
        " WHERE shipped_at IS NOT NULL"
    )
    name, task, arguments, cron, description = SCHEDULE
    op.get_bind().execute(
        sa.text(
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
    op.execute("DELETE FROM schedules WHERE name = 'refresh-kpi'")
    for table in ("orders", "order_items"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_kpi_{event} ON {table}")
    op.execute("DROP TRIGGER IF EXISTS orders_milestones ON orders")
    op.execute("DROP FUNCTION IF EXISTS rexbit_kpi_mark_order_items()")
    op.execute("DROP FUNCTION IF EXISTS rexbit_kpi_mark_orders()")
    op.execute("DROP FUNCTION IF EXISTS rexbit_kpi_zone()")
    op.execute("DROP FUNCTION IF EXISTS rexbit_order_milestones()")
    for table in (
        "kpi_dirty_marks",
        "kpi_daily_shipped",
        "kpi_daily_products",
        "kpi_daily",
        "kpi_calendar_state",
        "kpi_calendar",
    ):
        op.drop_table(table)
    op.drop_index("ix_orders_kpi_open", table_name="orders")
    op.drop_index("ix_orders_kpi_shipped", table_name="orders")
    op.drop_column("orders", "shipped_at")
    op.drop_column("orders", "ready_at")
