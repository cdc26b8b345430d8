"""Migrations from zero, down and up again; models and migrations agree."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from rexbit_desktop.db.models import Base
from rexbit_desktop.db.session import (
    current_revision,
    downgrade_schema,
    head_revision,
    include_name,
    include_object,
    make_engine,
    upgrade_schema,
)


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


@pytest.mark.slow
def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine)
        assert current_revision(engine) == head_revision()
        tables = _tables(engine)
        assert {"orders", "procrastinate_jobs", "warehouse_stock_totals", "schedule_runs"} <= tables
        downgrade_schema(engine, "base")
        assert _tables(engine) <= {"alembic_version"}
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")
            ).scalar_one()
        assert left == 0
        upgrade_schema(engine)
        assert _tables(engine) == tables
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": include_object,
                    "include_name": include_name,
                    "target_metadata": Base.metadata,
                },
            )
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], (
            f"models differ from migrations; write a migration with scripts/new_migration.py: {diff}"
        )
    finally:
        engine.dispose()


def test_shop_sync_state_keeps_what_was_committed_across_0005(empty_db_url: str) -> None:
    """0005 moves each link's JSON copy into shared records: what the shop last committed must survive,
    or the next sync would rewrite (or, worse, misjudge) the whole shop."""
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine, "0003_default_schedules")
        record = {"out_of_stock": 1, "texts": {"1": ["Dostępny", "Wysyłka w 2 dni"]}, "fingerprint": "fp:2:2"}
        with engine.begin() as conn:
            shop = conn.execute(
                text("INSERT INTO integrations (name, type) VALUES ('shop', 'prestashop_db') RETURNING id")
            ).scalar_one()
            product = conn.execute(
                text("INSERT INTO products (sku, name) VALUES ('A-1', 'A') RETURNING id")
            ).scalar_one()
            links = [
                conn.execute(
                    text(
                        "INSERT INTO integration_product_links (integration_id, product_id, external_id)"
                        " VALUES (:shop, :product, :ext) RETURNING id"
                    ),
                    {"shop": shop, "product": product, "ext": ext},
                ).scalar_one()
                for ext in ("1:0", "1:5")
            ]
            for link, run in zip(links, (7, 8), strict=True):
                conn.execute(
                    text(
                        "INSERT INTO shop_sync_state (link_id, settings_fingerprint, item_key, product_key,"
                        " last_availability) VALUES (:link, 'fp', 2, 2, CAST(:rec AS jsonb))"
                    ),
                    {"link": link, "rec": json.dumps({**record, "sync_run_id": run, "synced_at": "x"})},
                )
        upgrade_schema(engine)
        with engine.connect() as conn:
            records = conn.execute(
                text(
                    "SELECT id, integration_id, settings_fingerprint, item_key, product_key, record FROM shop_sync_records"
                )
            ).all()
            states = conn.execute(
                text("SELECT link_id, record_id, sync_run_id FROM shop_sync_state ORDER BY link_id")
            ).all()
        assert [(r[1:]) for r in records] == [(shop, "fp", 2, 2, record)]
        assert [tuple(s) for s in states] == [(links[0], records[0][0], 7), (links[1], records[0][0], 8)]
    finally:
        engine.dispose()


def test_offers_written_before_0009_keep_their_typed_columns(empty_db_url: str) -> None:
    """0009 turns the generated offer columns into plain ones: the values computed before must stay,
    and equal what the rule's new functions say (what every writer is now held to)."""
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine, "0008_link_reference_checks")
        offers = [
            {"stock_quantity": 12, "delivery_days": 3},
            {"stock_quantity": "brak?", "delivery_days": "2"},
            {"delivery_days": "24h"},
            {"stock_quantity": None},
        ]
        with engine.begin() as conn:
            feed = conn.execute(
                text("INSERT INTO integrations (name, type) VALUES ('feed', 'supplier_feed') RETURNING id")
            ).scalar_one()
            for i, offer in enumerate(offers):
                conn.execute(
                    text(
                        "INSERT INTO integration_product_links (integration_id, external_id, supplier_availability)"
                        " VALUES (:feed, :ext, CAST(:offer AS jsonb))"
                    ),
                    {"feed": feed, "ext": f"X-{i}", "offer": json.dumps(offer)},
                )
        before_sql = (
            "SELECT external_id, offer_stock, offer_delivery_days FROM integration_product_links ORDER BY 1"
        )
        with engine.connect() as conn:
            before = conn.execute(text(before_sql)).all()
        upgrade_schema(engine)
        with engine.connect() as conn:
            after = conn.execute(text(before_sql)).all()
            by_rule = conn.execute(
                text(
                    "SELECT external_id, rexbit_offer_stock(supplier_availability),"
                    " rexbit_offer_delivery_days(supplier_availability) FROM integration_product_links ORDER BY 1"
                )
            ).all()
        assert after == before == by_rule
        assert [tuple(r)[1:] for r in after] == [(12, 3), (None, 2), (0, -1), (0, None)]
    finally:
        engine.dispose()


def test_waiting_import_chunks_are_stored_uncompressed(db_url: str) -> None:
    """0012: compressing each chunk's JSON on the way in and out cost more than it saved (transient rows)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            storage = conn.execute(
                text(
                    "SELECT attstorage FROM pg_attribute"
                    " WHERE attrelid = 'import_run_chunks'::regclass AND attname = 'rows'"
                )
            ).scalar_one()
        assert storage == "e"  # external: out of line, not compressed
    finally:
        engine.dispose()
