"""Supplier and shop links: references checked once per statement instead of once per row

``integration_product_links`` had two foreign keys (to ``integrations`` and ``products``). PostgreSQL
checks a foreign key with one trigger call per inserted row: a supplier's first import of 100,000 items
spent 1.2 s of its 3.3 s INSERT in those 200,000 calls (``EXPLAIN (ANALYZE)``, bench/feed_import.py).
The same guarantees are kept by statement-level triggers that see all new rows at once (transition
tables) and check them in one join each:

* a link may only point at an existing integration and an existing product (or none): checked after
  every INSERT and UPDATE statement, after taking the same ``FOR KEY SHARE`` row locks a foreign key
  takes, so that a product being deleted at the same time waits for the import (or makes it fail);
* deleting a product or an integration deletes its links (the former ``ON DELETE CASCADE``); such a
  delete must run in READ COMMITTED (PostgreSQL's default and the app's), where the cascade sees links
  committed while the delete waited — other isolation levels are refused rather than risk a dangling link;
* changing the id of a referenced product or integration is refused (the former ``NO ACTION``).

Revision ID: 0008_link_reference_checks
Revises: 0007_shop_order_retries
Create Date: 2026-11-28 18:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0008_link_reference_checks"
down_revision = "0007_shop_order_retries"
branch_labels = None
depends_on = None

_CHECK_NEW_LINKS = """
CREATE FUNCTION rexbit_check_link_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    -- The row locks a foreign key takes: a concurrent delete of the product waits for this transaction.
    PERFORM 1 FROM products p WHERE p.id IN (SELECT product_id FROM new_links) FOR KEY SHARE OF p;
    PERFORM 1 FROM integrations i WHERE i.id IN (SELECT integration_id FROM new_links) FOR KEY SHARE OF i;
    SELECT n.external_id, n.product_id INTO missing FROM new_links n
     WHERE n.product_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM products p WHERE p.id = n.product_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'link % points at product %, which does not exist', missing.external_id, missing.product_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'integration_product_links',
                  CONSTRAINT = 'fk_integration_product_links_product_id_products';
    END IF;
    SELECT n.external_id, n.integration_id AS product_id INTO missing FROM new_links n
     WHERE NOT EXISTS (SELECT 1 FROM integrations i WHERE i.id = n.integration_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'link % points at integration %, which does not exist', missing.external_id,
            missing.product_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'integration_product_links',
                  CONSTRAINT = 'fk_integration_product_links_integration_id_integrations';
    END IF;
    RETURN NULL;
END
$$
"""

_DELETE_LINKS_OF = """
CREATE FUNCTION rexbit_delete_links_of_{parent}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'deleting {parent} needs READ COMMITTED (their links are deleted with them)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    DELETE FROM integration_product_links l USING gone g WHERE l.{column} = g.id;
    RETURN NULL;
END
$$
"""

_REFUSE_ID_CHANGE = """
CREATE FUNCTION rexbit_refuse_{parent}_id_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM integration_product_links WHERE {column} = OLD.id) THEN
        RAISE EXCEPTION '{noun} % has links; its id cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$
"""

_PARENTS = (("products", "product_id", "product"), ("integrations", "integration_id", "integration"))


def upgrade() -> None:
    op.drop_constraint(
        "fk_integration_product_links_product_id_products", "integration_product_links", type_="foreignkey"
    )
    op.drop_constraint(
        "fk_integration_product_links_integration_id_integrations",
        "integration_product_links",
        type_="foreignkey",
    )
    op.execute(_CHECK_NEW_LINKS)
    # A trigger with transition tables fires for one event only: one for INSERT, one for UPDATE.
    for event in ("insert", "update"):
        op.execute(
            f"CREATE TRIGGER integration_product_links_check_{event} AFTER {event.upper()}"
            " ON integration_product_links REFERENCING NEW TABLE AS new_links"
            " FOR EACH STATEMENT EXECUTE FUNCTION rexbit_check_link_references()"
        )
    for parent, column, noun in _PARENTS:
        op.execute(_DELETE_LINKS_OF.format(parent=parent, column=column))
        op.execute(
            f"CREATE TRIGGER {parent}_delete_links AFTER DELETE ON {parent}"
            f" REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION rexbit_delete_links_of_{parent}()"
        )
        op.execute(_REFUSE_ID_CHANGE.format(parent=parent, column=column, noun=noun))
        op.execute(
            f"CREATE TRIGGER {parent}_refuse_id_change BEFORE UPDATE OF id ON {parent}"
            f" FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION rexbit_refuse_{parent}_id_change()"
        )


def downgrade() -> None:
    for parent, _column, _noun in _PARENTS:
        op.execute(f"DROP TRIGGER {parent}_refuse_id_change ON {parent}")
        op.execute(f"DROP FUNCTION rexbit_refuse_{parent}_id_change()")
        op.execute(f"DROP TRIGGER {parent}_delete_links ON {parent}")
        op.execute(f"DROP FUNCTION rexbit_delete_links_of_{parent}()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER integration_product_links_check_{event} ON integration_product_links")
    op.execute("DROP FUNCTION rexbit_check_link_references()")
    op.create_foreign_key(
        "fk_integration_product_links_integration_id_integrations",
        "integration_product_links",
        "integrations",
        ["integration_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_integration_product_links_product_id_products",
        "integration_product_links",
        "products",
        ["product_id"],
        ["id"],
        ondelete="CASCADE",
    )
