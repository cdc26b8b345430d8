"""Supplier items keyed by their normalised key (trimmed, one space, upper-case)

Imports now store a supplier item's ``external_id`` as ``item_key`` gives it (``domain/feed_values.py``):
``" hx-0002 "`` and ``HX-0002`` are one item. Before, a variant spelling of a SKU created a second offer
link to the same product. This migration brings the existing links of supplier feeds to the same form: an
automatic link whose normalised key another link of the supplier already has is the duplicate the old code
made and is deleted; the others are renamed. (Manual links that would collide are left as they are.)

Revision ID: 0018_feed_item_keys
Revises: 0017_mail_messages
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0018_feed_item_keys"
down_revision = "0017_mail_messages"
branch_labels = None
depends_on = None

_KEY = r"upper(btrim(regexp_replace(translate(l.external_id, chr(160), ' '), '\s+', ' ', 'g')))"


def upgrade() -> None:
    op.execute(
        f"""
        DELETE FROM integration_product_links l
        USING integrations i
        WHERE i.id = l.integration_id AND i.type = 'supplier_feed'
          AND l.link_source = 'auto' AND l.external_id <> {_KEY}
          AND EXISTS (
              SELECT 1 FROM integration_product_links o
              WHERE o.integration_id = l.integration_id AND o.external_id = {_KEY}
          )
        """
    )
    op.execute(
        f"""
        UPDATE integration_product_links l SET external_id = {_KEY}
        FROM integrations i
        WHERE i.id = l.integration_id AND i.type = 'supplier_feed' AND l.external_id <> {_KEY}
          AND NOT EXISTS (
              SELECT 1 FROM integration_product_links o
              WHERE o.integration_id = l.integration_id AND o.external_id = {_KEY}
          )
        """
    )


def downgrade() -> None:
    """The old spellings are not kept: nothing to undo (the keys stay normalised)."""
