"""Alembic environment: runs on the connection handed in by ``rexbit_desktop.db.session``.

``procrastinate_*`` objects are created by migration 0001 from procrastinate's own SQL, so autogenerate
ignores them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from rexbit_desktop.db.models import Base
from rexbit_desktop.db.session import include_name, include_object

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        engine = config.attributes.get("engine") or create_engine(url)
        with engine.begin() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        include_name=include_name,
        compare_type=True,
        # `rexbit db upgrade` runs each migration in its own transaction (a failure keeps the ones before
        # it); the first start on an empty database runs them all in one (a crash leaves it empty).
        transaction_per_migration=config.attributes.get("transaction_per_migration", True),
        on_version_apply=config.attributes.get("on_version_apply"),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
