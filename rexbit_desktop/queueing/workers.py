"""Starting an in-process worker (the desktop's single-workstation mode) without importing ``jobs/``.

The worker lives in the job layer, above the services and the UI's reach. The start-up code
(``rexbit_desktop/bootstrap.py``) provides the starter; the UI calls ``start_local_worker``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

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
