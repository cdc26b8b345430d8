"""Migration 0004 on a database that already holds orders: the trigram index is built CONCURRENTLY, so
the orders table takes writes while it is built; a build that fails is reported and leaves nothing
invalid behind. Needs a server with pg_trgm (the embedded server has none: skipped there)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from rexbit_desktop.db.session import current_revision, make_engine, upgrade_schema


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def at_0002_with_orders(empty_db_url: str) -> str:
    with psycopg.connect(_conninfo(empty_db_url)) as conn:
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").fetchone():
            pytest.skip("this PostgreSQL has no pg_trgm (the embedded server): migration 0004 does nothing")
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine, "0002_app_schema")
    finally:
        engine.dispose()
    with psycopg.connect(_conninfo(empty_db_url)) as conn:
        conn.execute(
            "INSERT INTO orders (number, status, customer_name) "
            "SELECT 'ZAM/' || i, 'paid', 'Klient ' || i FROM generate_series(1, 5000) AS i"
        )
    return empty_db_url


def _wait_until_the_upgrade_waits(conninfo: str, done: threading.Event) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for _ in range(600):
            waiting = conn.execute(
                "SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE a.application_name = 'rexbit' AND NOT l.granted AND a.datname = current_database()"
            ).fetchone()
            if waiting or done.is_set():
                return
            conn.execute("SELECT pg_sleep(0.1)")
    raise AssertionError("the upgrade never waited for the open writer")


def test_orders_stay_writable_while_0004_builds_its_index(at_0002_with_orders: str) -> None:
    url = at_0002_with_orders
    engine = make_engine(url)
    errors: list[BaseException] = []
    done = threading.Event()

    def upgrade() -> None:
        try:
            upgrade_schema(engine, "0004_ui_search_indexes")
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    writer = psycopg.connect(_conninfo(url))  # an open transaction that wrote orders (a busy workstation)
    writer.execute("INSERT INTO orders (number, status) VALUES ('ZAM/open', 'draft')")
    thread = threading.Thread(target=upgrade)
    thread.start()
    try:
        _wait_until_the_upgrade_waits(_conninfo(url), done)
        # A plain CREATE INDEX would now queue a SHARE lock on orders and every new write would wait
        # behind it; the concurrent build lets another workstation write at once.
        with psycopg.connect(_conninfo(url)) as other:
            other.execute("SET lock_timeout = '10s'")
            other.execute("INSERT INTO orders (number, status) VALUES ('ZAM/during', 'draft')")
            other.execute("UPDATE orders SET customer_name = 'Zmieniony' WHERE number = 'ZAM/1'")
    finally:
        writer.commit()
        writer.close()
        thread.join(timeout=120)
    try:
        assert not errors, errors
        assert current_revision(engine) == "0004_ui_search_indexes"
        with psycopg.connect(_conninfo(url)) as conn:
            valid = conn.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'ix_trgm_orders_search'"
            ).fetchone()
            assert valid == (True,)
            assert conn.execute("SELECT count(*) FROM orders").fetchone() == (5002,)
    finally:
        engine.dispose()


def test_a_failed_index_build_is_reported_and_leaves_nothing_invalid(at_0002_with_orders: str) -> None:
    url = at_0002_with_orders
    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET lock_timeout = '1s'")
    engine = make_engine(url)
    writer = psycopg.connect(_conninfo(url))  # keeps the concurrent build waiting past lock_timeout
    writer.execute("INSERT INTO orders (number, status) VALUES ('ZAM/open', 'draft')")
    try:
        with pytest.raises(
            RuntimeError, match="building the orders search index ix_trgm_orders_search failed"
        ):
            upgrade_schema(engine, "0004_ui_search_indexes")
        assert current_revision(engine) == "0002_app_schema", "0004 is not recorded as done"
        writer.commit()
        with psycopg.connect(_conninfo(url), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET lock_timeout')
        engine.dispose()
        report = upgrade_schema(engine, "0004_ui_search_indexes")  # the next upgrade finishes the job
        assert [r for r, _ in report.applied] == ["0004_ui_search_indexes"]
        with psycopg.connect(_conninfo(url)) as conn:
            assert conn.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'ix_trgm_orders_search'"
            ).fetchall() == [(True,)]
    finally:
        writer.close()
        engine.dispose()
