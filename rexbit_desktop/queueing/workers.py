"""Starting an in-process worker (the desktop's single-workstation mode) without importing ``jobs/``.

The worker lives in the job layer, above the services and the UI's reach. The start-up code
(``rexbit_desktop/bootstrap.py``) provides the starter; the UI calls ``start_local_worker``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.queueing.queues import QUEUES


class RunningWorker(Protocol):
    @property
    def running(self) -> bool: ...

    def stop(self) -> Any: ...


WorkerStarter = Callable[[Database, Sequence[str]], RunningWorker]
_starter: WorkerStarter | None = None


class NoLocalWorker(RexbitError):
    """This process was started without the job side (no worker can run here)."""


def provide_local_worker(starter: WorkerStarter | None) -> None:
    """Called once at start-up by ``bootstrap()``."""
    global _starter
    _starter = starter


def start_local_worker(db: Database, queues: Sequence[str] = QUEUES) -> RunningWorker:
    """Start a worker for ``queues`` in this process and return it once it listens (blocks: call it off
    the GUI thread)."""
    if _starter is None:
        raise NoLocalWorker("This program was started without the job worker; jobs cannot run here.")
    return _starter(db, queues)


# ------------------------------------------------------------------ is anyone there to run a job?

WORKER_APP_NAME = "rexbit-jobs"
HEARTBEAT_FRESH_SECONDS = 60
"""A worker beats every 10 s; one silent for a minute is gone (killed, asleep, cut off)."""


def worker_application_name(serving: Sequence[str] | None) -> str:
    """The database ``application_name`` of a worker process's connections: ``rexbit-jobs`` (all
    queues) or ``rexbit-jobs:import,default`` (the queues it takes jobs from)."""
    if not serving:
        return WORKER_APP_NAME
    return f"{WORKER_APP_NAME}:{','.join(sorted(set(serving)))}"[:63]  # PostgreSQL keeps 63 bytes


_SERVING_SQL = text(
    """
    SELECT (SELECT count(*) FROM procrastinate_workers
             WHERE last_heartbeat > now() - make_interval(secs => :fresh)) AS alive,
           array(SELECT DISTINCT application_name FROM pg_stat_activity
                  WHERE datname = current_database() AND application_name LIKE :pattern) AS names
    """
)


def worker_serves(session: Session, queue: str) -> bool:
    """Whether a live worker (a fresh heartbeat) takes jobs from ``queue``: its connections name the
    queues it serves (``worker_application_name``). A live worker whose queues cannot be seen (another
    database user's sessions, an older worker) counts as serving: better no warning than a false one."""
    row = session.execute(
        _SERVING_SQL, {"fresh": HEARTBEAT_FRESH_SECONDS, "pattern": WORKER_APP_NAME + "%"}
    ).one()
    if not row.alive:
        return False
    names = [n for n in row.names or [] if n]
    if not names:
        return True
    for name in names:
        _, _, queues = name.partition(":")
        if not queues or queue in queues.split(","):
            return True
    return False
