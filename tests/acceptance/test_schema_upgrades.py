"""Schema upgrades of a server database are an explicit step. A database one revision behind: commands
and the desktop app refuse (exit 2, one message naming `rexbit db upgrade`) and change nothing; a
database at a revision newer than this rexbit is refused too; `rexbit db upgrade` brings it up, one
migration per transaction, and says what it did. Real `rexbit` / `rexbit-desktop` processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from rexbit_desktop.db.session import (
    _alembic_config,
    current_revision,
    head_revision,
    make_engine,
    upgrade_schema,
)

MESSAGE = "the database schema is at {current}, this rexbit needs {head}: run `rexbit db upgrade`"


def previous_revision() -> str:
    script = ScriptDirectory.from_config(_alembic_config()).get_revision(head_revision())
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def rexbit(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["COLUMNS"] = "250"
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(url: str) -> tuple[object, ...]:
    """What a write would change: the revision, the tables, the users, every table's row count."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        rows = conn.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables ORDER BY relname"
        ).fetchall()
        tables = [r[0] for r in rows]
        users = conn.execute("SELECT count(*) FROM users").fetchone() if "users" in tables else None
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone() for t in tables}
    return revision, tables, users, counts


@pytest.fixture
def behind_url(empty_db_url: str) -> str:
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine, previous_revision())
    finally:
        engine.dispose()
    return empty_db_url


def one_line(stderr: str) -> str:
    return " ".join(stderr.split()).lower()


@pytest.mark.slow
def test_a_database_one_revision_behind_is_refused_until_db_upgrade(behind_url: str) -> None:
    head, behind = head_revision(), previous_revision()
    before = snapshot(behind_url)

    listed = rexbit(behind_url, "orders", "list")
    assert listed.returncode == 2, (listed.stdout, listed.stderr)
    assert "Traceback" not in listed.stderr
    assert MESSAGE.format(current=behind, head=head) in one_line(listed.stderr)
    assert snapshot(behind_url) == before, "a refused command changed nothing"

    status = json.loads(rexbit(behind_url, "db", "status", "--json").stdout)
    assert (status["revision"], status["head"]) == (behind, head), "db status still reports"

    upgraded = rexbit(behind_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"applied {head}:" in upgraded.stdout
    assert f"{behind} -> {head} (1 migration)" in upgraded.stdout

    assert rexbit(behind_url, "orders", "list").returncode == 0
    again = rexbit(behind_url, "db", "upgrade", "--json")
    assert json.loads(again.stdout)["applied"] == [], "nothing left to do"


def test_a_database_newer_than_this_rexbit_is_refused_and_untouched(db_url: str) -> None:
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999_from_a_newer_rexbit'")
    before = snapshot(db_url)
    for args in (("orders", "list"), ("db", "upgrade")):
        result = rexbit(db_url, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert "the database schema is at 0999_from_a_newer_rexbit, newer than this rexbit knows" in one_line(
            result.stderr
        )
    assert snapshot(db_url) == before


def test_the_desktop_app_refuses_a_database_one_revision_behind(behind_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    before = snapshot(behind_url)
    app = subprocess.Popen(
        [sys.executable, "-m", "rexbit_desktop.desktop", "--database-url", behind_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert app.stdout is not None
    expected = MESSAGE.format(current=previous_revision(), head=head_revision())
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        for line in app.stdout:  # the app logs the refusal, then shows it in a dialog
            seen.append(line)
            if expected in line.lower() or time.monotonic() > deadline:
                break
        assert any(expected in s.lower() for s in seen), "".join(seen)
        app.send_signal(signal.SIGTERM)  # closes the dialog as a user would
        assert app.wait(timeout=30) == 2, "".join(seen)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert snapshot(behind_url) == before


def test_db_upgrade_keeps_each_migration_that_succeeded(empty_db_url: str) -> None:
    """Each migration commits on its own: when 0012 fails, 0011 stays applied and the report says where
    the schema is."""
    engine = make_engine(empty_db_url)
    try:
        upgrade_schema(engine, "0010_match_while_staging")
        with engine.begin() as conn:  # sabotage 0012 (it alters import_run_chunks)
            conn.exec_driver_sql("ALTER TABLE import_run_chunks RENAME TO import_run_chunks_moved")
        with pytest.raises(DBAPIError):
            upgrade_schema(engine, "0012_chunk_rows_uncompressed")
        assert current_revision(engine) == "0011_link_checks_count_locks"
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE import_run_chunks_moved RENAME TO import_run_chunks")
        report = upgrade_schema(engine, "0012_chunk_rows_uncompressed")
        assert report.applied == [
            ("0012_chunk_rows_uncompressed", "Import chunks waiting for their job are stored uncompressed")
        ]
    finally:
        engine.dispose()
