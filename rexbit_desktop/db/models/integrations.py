from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    func,
    inspect,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, Money, Quantity, created_at_column, updated_at_column


class Integration(Base):
    """A connection to the outside: a supplier feed (its contractor is the supplier) or a shop database."""

    __tablename__ = "integrations"
    __table_args__ = (CheckConstraint("type IN ('supplier_feed', 'prestashop_db')", name="type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id", ondelete="SET NULL"))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class IntegrationTask(Base):
    """An import profile: where the feed is, its format, options and column mappings."""

    __tablename__ = "integration_tasks"
    __table_args__ = (CheckConstraint("format IN ('csv', 'xml')", name="format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source_location: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    mappings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    last_headers: Mapped[list[Any] | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ImportRun(Base):
    __tablename__ = "import_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="status"),
        Index("ix_import_runs_integration_started", "integration_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("integration_tasks.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    started_by: Mapped[str] = mapped_column(String(100), default="system", server_default="system")
    job_id: Mapped[int | None]
    rows_read: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_valid: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_invalid: Mapped[int] = mapped_column(default=0, server_default="0")
    matched: Mapped[int] = mapped_column(default=0, server_default="0")
    unmatched: Mapped[int] = mapped_column(default=0, server_default="0")
    ambiguous: Mapped[int] = mapped_column(default=0, server_default="0")
    # First errors: [{"line": 12, "reason": "..."}]
    errors: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    message: Mapped[str | None] = mapped_column(Text)
    # Why a run failed, for the GUI to phrase (the message is English for the CLI and the log).
    message_code: Mapped[str | None] = mapped_column(String(64))
    message_params: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    # Supplier feeds (issue 4): how the run was split, what it zeroed, whether it read the whole feed.
    chunks_total: Mapped[int | None]
    chunks_done: Mapped[int] = mapped_column(default=0, server_default="0")
    zeroed: Mapped[int] = mapped_column(default=0, server_default="0")
    row_limit: Mapped[int | None]
    # The profile as this run read it (resolved format options and mappings): chunk jobs on other
    # hosts read the values the same way, and history shows what was used.
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    updated_at: Mapped[datetime] = updated_at_column()


class ImportRunChunk(Base):
    """A slice of a feed read by a run, waiting for its chunk job (works across worker hosts).

    ``rows``: ``[[line, external_id, sku, ean, stock, delivery_days, price], ...]`` as raw feed text.
    Deleted once staged.
    """

    __tablename__ = "import_run_chunks"
    # Transient (deleted once staged; a crash fails the run anyway): no WAL for it.
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True)
    chunk_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[list[Any]]


class ImportStagedRow(Base):
    """One feed row of a run, normalised; the run applies all of them in one set-based step."""

    __tablename__ = "import_staged_rows"
    # Transient (deleted when the run is applied or fails; a crash fails the run anyway): no WAL for it,
    # and no foreign key to import_runs (a trigger call per staged row; migration 0010).
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    run_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)
    chunk_no: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(200))
    # GTIN-14, zero padded: EAN-13, UPC-12 and GTIN-14 of one item compare equal.
    gtin: Mapped[str | None] = mapped_column(String(14))
    stock_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    delivery_days: Mapped[int | None] = mapped_column(Integer)
    purchase_price: Mapped[Decimal | None] = mapped_column(Money)
    error: Mapped[str | None] = mapped_column(Text)
    # The product this row matched when its chunk was staged (SKU first, then EAN), and how many matched:
    # more than one = ambiguous, product_id NULL.
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    candidates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# The offer's stock and delivery days as typed columns, written with the offer (the shop sync reads 200,000
# offers per run; parsing JSONB each time was most of its read). Their rule is two SQL functions
# (migration 0009): rexbit_offer_stock(availability) is 0 when the stock is absent, NULL when it is not a
# plain number ("bad offer"); rexbit_offer_delivery_days(availability) is NULL when absent, -1 when not a
# whole number of days. The feed import writes the values it parsed (services/feeds/imports.py); an ORM flush
# that changes an offer sets both with the functions (below); any other SQL writer must call them.


class IntegrationProductLink(Base):
    """One external item of an integration, linked (or not yet) to our product.

    ``supplier_availability``: ``{contractor_id, stock_quantity, delivery_days, purchase_price, updated_at}``,
    with ``offer_stock`` / ``offer_delivery_days`` written with it (see above).
    What the last shop sync committed for a link is in ``shop_sync_state`` (``ShopSyncState``).
    """

    __tablename__ = "integration_product_links"
    __table_args__ = (
        Index(
            "uq_integration_product_links_integration_external", "integration_id", "external_id", unique=True
        ),
        Index("ix_integration_product_links_product", "product_id"),
        # The shop sync's usable offers in its order (best first per product): read index-only, no sort,
        # when the table is vacuumed.
        Index(
            "ix_integration_product_links_offers",
            "product_id",
            text("offer_stock DESC"),
            text("offer_delivery_days ASC NULLS LAST"),
            postgresql_include=["integration_id"],
            postgresql_where=text(
                "supplier_availability IS NOT NULL AND offer_stock IS NOT NULL"
                " AND (offer_delivery_days IS NULL OR offer_delivery_days >= 0)"
            ),
        ),
        # The shop sync reports bad offers: only those are indexed.
        Index(
            "ix_integration_product_links_bad_offers",
            "id",
            postgresql_where=text(
                "supplier_availability IS NOT NULL AND (offer_stock IS NULL OR offer_delivery_days < 0)"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # References to integrations and products, deleted with them: checked once per statement by triggers
    # (migration 0008), not by foreign keys that cost a trigger call per row (1.2 s per 100,000 new links).
    integration_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    external_id: Mapped[str] = mapped_column(String(200))
    external_sku: Mapped[str | None] = mapped_column(String(200))
    external_ean: Mapped[str | None] = mapped_column(String(14))
    link_source: Mapped[str] = mapped_column(String(16), default="auto", server_default="auto")
    supplier_availability: Mapped[dict[str, Any] | None]
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default="{}")
    offer_stock: Mapped[Decimal | None] = mapped_column(Numeric)
    offer_delivery_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    @property
    def stock_quantity(self) -> Decimal | None:
        value = (self.supplier_availability or {}).get("stock_quantity")
        return None if value is None else Decimal(str(value))


@event.listens_for(IntegrationProductLink, "before_insert")
@event.listens_for(IntegrationProductLink, "before_update")
def _write_offer_columns(_mapper: Any, _connection: Any, link: IntegrationProductLink) -> None:
    """An offer written through the ORM gets its typed columns from the rule's SQL functions."""
    if not inspect(link).attrs.supplier_availability.history.has_changes():
        return
    offer = bindparam(None, link.supplier_availability, type_=JSONB)
    link.offer_stock = func.rexbit_offer_stock(offer)  # type: ignore[assignment]
    link.offer_delivery_days = func.rexbit_offer_delivery_days(offer)  # type: ignore[assignment]


class ShopSyncRecord(Base):
    """One distinct ``last_availability`` a shop sync committed: the decision and texts of an item and
    of its product, with the settings they were made under.

    A run has only a handful of distinct records (one per pair of decisions), so links point at a shared
    record instead of each carrying its own JSON copy: ``shop_sync_state`` stays a few dozen bytes a row
    (100,000 links: about 6 MB instead of 94 MB), which is what an unchanged run scans and what every
    run rewrites. Records are reused by every later run that decides the same (``digest``).
    """

    __tablename__ = "shop_sync_records"
    __table_args__ = (UniqueConstraint("integration_id", "digest"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(Text)
    # What the next run compares with, in PostgreSQL (services/shop/availability.py): the settings' fingerprint
    # and AvailabilityRule's decision key of the item and of its product (allowed → delivery days,
    # denied → -1).
    settings_fingerprint: Mapped[str] = mapped_column(Text)
    item_key: Mapped[int] = mapped_column(Integer)
    product_key: Mapped[int] = mapped_column(Integer)
    # {out_of_stock, texts, product, stock_key, fingerprint}; the run and time are on the state row.
    record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_column()


class ShopSyncState(Base):
    """What the last shop sync committed for one shop link (its ``last_availability``).

    A narrow table of its own instead of ``integration_product_links.metadata.last_availability``:
    recording 100,000 links rewrote 100,000 wide link rows (with their JSONB) per run; here a row is
    three numbers and a time (the decision is a shared ``ShopSyncRecord``), and fillfactor 70 leaves
    room for HOT updates (no index changes on a rewrite).
    """

    __tablename__ = "shop_sync_state"
    __table_args__ = {"postgresql_with": {"fillfactor": 70}}

    link_id: Mapped[int] = mapped_column(
        ForeignKey("integration_product_links.id", ondelete="CASCADE"), primary_key=True
    )
    # No foreign key: checking one per rewritten row would cost more than the table's whole write; records
    # are only ever added (never deleted while a state row can point at them: an integration's records
    # and links go together, by cascade from integrations).
    record_id: Mapped[int] = mapped_column(BigInteger)
    sync_run_id: Mapped[int] = mapped_column(BigInteger)
    written_at: Mapped[datetime] = created_at_column()


class SyncRun(Base):
    """One PrestaShop sync and what it did: ``kind`` ``availability`` (us → shop) or ``orders`` (the
    shop's orders → us; ``created``/``updated`` count our orders, ``skipped_unchanged`` the unchanged)."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_integration_started", "integration_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), default="availability", server_default="availability")
    status: Mapped[str] = mapped_column(String(16), default="running", server_default="running")
    started_by: Mapped[str] = mapped_column(String(100), default="system", server_default="system")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    full: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    examined: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    to_write: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    written: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    missing_in_shop: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Orders runs: shop orders read again because an earlier run could not take them in.
    retried: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Stock runs (issue 15): packs left out, and the shop's open orders not taken in yet.
    skipped_packs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pending_shop_orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_details: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
