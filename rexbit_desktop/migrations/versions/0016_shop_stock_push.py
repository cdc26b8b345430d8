"""Our stock to the shop: changed products marked by triggers, one coalesced push job per shop

* ``shop_stock_dirty(integration_id, product_id, seq)``: a product whose free stock changed since the last
  stock push to that shop. Written by statement triggers on ``warehouse_stock_totals`` (every PZ,
  reservation, release, WZ and storno changes that table, so nothing can forget to call a hook), for
  every enabled ``prestashop_db`` integration with ``stock_sync: on`` that links the product and counts
  the warehouse (``stock_warehouses``, default the default warehouse). ``seq`` moves on every change: a
  push deletes only the rows it read, a change during the push keeps its row.
* A deferred constraint trigger queues ``shop:push_stock`` (queue ``integrations``) at commit, at most
  one waiting job per shop (``queueing_lock``) and never two running (``lock``), scheduled a few seconds
  ahead so that a burst of changes is one job. Queued at commit (not at the statement) so that a job
  already waiting cannot start and finish before this transaction's changes are visible.
* ``sync_runs.skipped_packs`` and ``pending_shop_orders`` for stock runs (``kind = 'stock'``).
* The ``push-stock`` schedule: the full reconciliation, every 30 minutes.

Revision ID: 0016_shop_stock_push
Revises: 0015_automation_rules_webhooks
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0016_shop_stock_push"
down_revision = "0015_automation_rules_webhooks"
branch_labels = None
depends_on = None

# Seconds a queued push waits before it may start: changes within them share one job.
COALESCE_SECONDS = 3

_MARK = """
CREATE FUNCTION rexbit_shop_stock_mark() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        WITH changed AS (
            SELECT DISTINCT n.product_id, n.warehouse_id
            FROM rexbit_new n JOIN rexbit_old o USING (product_id, warehouse_id)
            WHERE n.on_hand IS DISTINCT FROM o.on_hand OR n.reserved IS DISTINCT FROM o.reserved
        ), marked AS (
            INSERT INTO shop_stock_dirty AS d (integration_id, product_id)
            SELECT DISTINCT l.integration_id, c.product_id
            FROM changed c
            JOIN warehouses w ON w.id = c.warehouse_id
            JOIN integration_product_links l ON l.product_id = c.product_id
            JOIN integrations i ON i.id = l.integration_id
            WHERE i.type = 'prestashop_db' AND i.enabled AND i.config ->> 'stock_sync' = 'on'
              AND CASE WHEN jsonb_typeof(i.config -> 'stock_warehouses') = 'array'
                       THEN i.config -> 'stock_warehouses' ? w.code ELSE w.is_default END
            ORDER BY 1, 2
            ON CONFLICT (integration_id, product_id) DO UPDATE SET seq = nextval('shop_stock_dirty_seq')
            RETURNING d.integration_id
        )
        SELECT string_agg(DISTINCT integration_id::text, ',') INTO shops FROM marked;
    ELSE
        WITH marked AS (
            INSERT INTO shop_stock_dirty AS d (integration_id, product_id)
            SELECT DISTINCT l.integration_id, n.product_id
            FROM rexbit_new n
            JOIN warehouses w ON w.id = n.warehouse_id
            JOIN integration_product_links l ON l.product_id = n.product_id
            JOIN integrations i ON i.id = l.integration_id
            WHERE i.type = 'prestashop_db' AND i.enabled AND i.config ->> 'stock_sync' = 'on'
              AND CASE WHEN jsonb_typeof(i.config -> 'stock_warehouses') = 'array'
                       THEN i.config -> 'stock_warehouses' ? w.code ELSE w.is_default END
            ORDER BY 1, 2
            ON CONFLICT (integration_id, product_id) DO UPDATE SET seq = nextval('shop_stock_dirty_seq')
            RETURNING d.integration_id
        )
        SELECT string_agg(DISTINCT integration_id::text, ',') INTO shops FROM marked;
    END IF;
    IF shops IS NOT NULL THEN
        PERFORM set_config(
            'rexbit.stock_push_shops',
            concat_ws(',', nullif(current_setting('rexbit.stock_push_shops', true), ''), shops),
            true
        );
    END IF;
    RETURN NULL;
END
$$;
"""

_QUEUE = f"""
CREATE FUNCTION rexbit_shop_stock_queue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops text := current_setting('rexbit.stock_push_shops', true);
BEGIN
    IF shops IS NULL OR shops = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('rexbit.stock_push_shops', '', true);
    INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)
    SELECT 'integrations', 'shop:push_stock', 0, 'shop-stock-' || s, 'shop-stock-push-' || s,
           jsonb_build_object('integration_id', s::bigint, 'changed_only', true),
           clock_timestamp() + interval '{COALESCE_SECONDS} seconds'
    FROM (SELECT DISTINCT unnest(string_to_array(shops, ',')) AS s) AS shop
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE shop_stock_dirty_seq")
    op.execute(
        """
        CREATE TABLE shop_stock_dirty (
            integration_id BIGINT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
            product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
            seq BIGINT NOT NULL DEFAULT nextval('shop_stock_dirty_seq'),
            CONSTRAINT pk_shop_stock_dirty PRIMARY KEY (integration_id, product_id)
        )
        """
    )
    op.execute("ALTER SEQUENCE shop_stock_dirty_seq OWNED BY shop_stock_dirty.seq")
    op.execute("ALTER TABLE sync_runs ADD COLUMN skipped_packs INTEGER NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE sync_runs ADD COLUMN pending_shop_orders INTEGER NOT NULL DEFAULT 0")
    op.execute(_MARK)
    op.execute(_QUEUE)
    op.execute(
        "CREATE TRIGGER rexbit_shop_stock_mark_insert AFTER INSERT ON warehouse_stock_totals"
        " REFERENCING NEW TABLE AS rexbit_new FOR EACH STATEMENT EXECUTE FUNCTION rexbit_shop_stock_mark()"
    )
    op.execute(
        "CREATE TRIGGER rexbit_shop_stock_mark_update AFTER UPDATE ON warehouse_stock_totals"
        " REFERENCING OLD TABLE AS rexbit_old NEW TABLE AS rexbit_new"
        " FOR EACH STATEMENT EXECUTE FUNCTION rexbit_shop_stock_mark()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER rexbit_shop_stock_queue AFTER INSERT OR UPDATE ON warehouse_stock_totals"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rexbit_shop_stock_queue()"
    )
    op.get_bind().execute(
        text(
            "INSERT INTO schedules (name, task, arguments, cron, enabled, without_overlapping,"
            " on_one_server, description)"
            " VALUES ('push-stock', 'shop:push_all_stock', '{}'::jsonb, '*/30 * * * *', true, true, true,"
            " :description) ON CONFLICT (name) DO NOTHING"
        ),
        {
            "description": "Reconcile our free stock with every PrestaShop that has stock_sync on "
            "(every 30 minutes; changes are pushed within seconds anyway)."
        },
    )


def downgrade() -> None:
    op.execute("DELETE FROM schedules WHERE name = 'push-stock'")
    op.execute("DROP TRIGGER rexbit_shop_stock_queue ON warehouse_stock_totals")
    op.execute("DROP TRIGGER rexbit_shop_stock_mark_update ON warehouse_stock_totals")
    op.execute("DROP TRIGGER rexbit_shop_stock_mark_insert ON warehouse_stock_totals")
    op.execute("DROP FUNCTION rexbit_shop_stock_queue()")
    op.execute("DROP FUNCTION rexbit_shop_stock_mark()")
    op.execute("ALTER TABLE sync_runs DROP COLUMN pending_shop_orders")
    op.execute("ALTER TABLE sync_runs DROP COLUMN skipped_packs")
    op.execute("DROP TABLE shop_stock_dirty")
