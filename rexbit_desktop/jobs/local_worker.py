"""The desktop's local worker: workers for the local queues in a background thread with its own event
loop (single-workstation mode), started through queueing.workers by the UI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace

from rexbit_desktop.db.session import Database
from rexbit_desktop.jobs.loop import run_loop
from rexbit_desktop.jobs.worker import WorkerGroup, WorkerSettings
from rexbit_desktop.queueing import QUEUES

log = logging.getLogger(__name__)


class LocalWorker:
    """Workers for the local queues in a background thread with its own event loop (desktop app).

    ``start()`` returns at once; ``stop()`` lets the current jobs finish and joins the thread.
    """

    def __init__(
        self,
        db: Database,
        queues: Sequence[str] = QUEUES,
        *,
        tries: int = 3,
        backoff: tuple[tuple[str, tuple[float, ...]], ...] = (("", (10.0, 60.0, 300.0)),),
        sleep: float = 3.0,
        one_worker_per_queue: bool = True,
    ) -> None:
        base = WorkerSettings(tries=tries, backoff=backoff, sleep=sleep, name="desktop")
        if one_worker_per_queue:
            settings = [replace(base, queues=(q,), name=f"desktop-{q}") for q in queues]
        else:
            settings = [replace(base, queues=tuple(queues))]
        self.db = db
        self.settings = settings
        self.group = WorkerGroup(db, settings)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 30.0) -> None:
        if self.running:
            return
        if self.group.started.is_set():  # a group runs once; a restarted local worker gets a new one
            self.group = WorkerGroup(self.db, self.settings)
        self.error = None
        self._thread = threading.Thread(target=self._main, name="rexbit-local-worker", daemon=True)
        self._thread.start()
        if not self.group.started.wait(timeout) and self.error is None:
            log.warning("local worker did not report started within %g s", timeout)
        if self.error is not None:
            raise self.error

    def _main(self) -> None:
        try:
            run_loop(self.group.run())
        except BaseException as exc:
            self.error = exc
            self.group.started.set()
            log.exception("local worker stopped with an error")

    def stop(self, timeout: float | None = None) -> None:
        if self._thread is None:
            return
        self.group.request_stop("the desktop app asked the local worker to stop")
        self._thread.join(timeout)
        self._thread = None


def start_local_worker(db: Database, queues: Sequence[str] = QUEUES) -> LocalWorker:
    """A started ``LocalWorker`` (the starter ``bootstrap()`` gives to ``queueing.workers``)."""
    worker = LocalWorker(db, queues)
    worker.start()
    return worker
