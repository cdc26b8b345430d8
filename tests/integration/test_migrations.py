"""Migrations from zero, down and up again; models and migrations agree."""

from __future__ import annotations

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
