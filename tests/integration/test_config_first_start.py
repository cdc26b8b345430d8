"""First start on an empty database: the schema is created by whoever opens it first, also when several
workstations start at the same moment (migrations run under an advisory lock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from rexbit_desktop.db.session import current_revision, head_revision, open_database


def test_several_first_starts_at_once_create_the_schema_once(empty_db_url: str) -> None:
    def start(_: int) -> str | None:
        db = open_database(empty_db_url)
        try:
            return current_revision(db.engine)
        finally:
            db.dispose()

    with ThreadPoolExecutor(max_workers=3) as pool:
        revisions = list(pool.map(start, range(3)))
    assert revisions == [head_revision()] * 3

    db = open_database(empty_db_url, upgrade=False)
    try:
        with db.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [head_revision()]
    finally:
        db.dispose()
