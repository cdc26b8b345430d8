"""Start-up wiring for every entry point (``rexbit``, ``rexbit-desktop``, workers): the composition root.

It sits above the CLI, the UI and the job layer, so it may join them: the cross-area listeners are
registered, and the queueing layer learns how to start an in-process worker (the desktop's
single-workstation mode), which the UI may not import from ``jobs/`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rexbit_desktop.queueing.workers import RunningWorker, provide_local_worker

if TYPE_CHECKING:
    from rexbit_desktop.db.session import Database


def _start_local_worker(db: Database, queues: Sequence[str]) -> RunningWorker:
    # Imported when a worker starts: the job layer (procrastinate, every task module) is not needed by
    # the other commands.
    from rexbit_desktop.jobs.local_worker import start_local_worker

    return start_local_worker(db, queues)


def bootstrap() -> None:
    """Wire listeners and the local worker (idempotent)."""
    from rexbit_desktop.services.wiring import wire_listeners

    wire_listeners()
    provide_local_worker(_start_local_worker)
