"""Background work for the UI: a ``QRunnable`` on the ``QThreadPool`` posts a typed (result, error)
callback back to the GUI thread (Picard's ``thread.py`` rule: background code never touches widgets).

Tests use ``SyncRunner``, which runs the same callbacks inline.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")


class CancelToken:
    """Set by the UI's Cancel button; long work polls ``cancelled()`` between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass
class TaskError:
    """An exception raised in the background, with its formatted traceback for the details pane."""

    exception: BaseException
    details: str


@dataclass
class TaskContext:
    """Handed to background functions that want to report progress or check for cancel."""

    progress: Callable[[int, int | None, str], None]
    cancelled: Callable[[], bool]


class _Signals(QObject):
    result = Signal(object)
    error = Signal(object)
    progress = Signal(int, object, str)
    finished = Signal()


class _Job(QRunnable, Generic[T]):
    def __init__(self, fn: Callable[[TaskContext], T], token: CancelToken) -> None:
        super().__init__()
        self.fn = fn
        self.token = token
        self.signals = _Signals()
        self.setAutoDelete(True)

    def run(self) -> None:
        ctx = TaskContext(
            progress=lambda done, total, msg="": self.signals.progress.emit(done, total, msg),
            cancelled=self.token.cancelled,
        )
        try:
            value = self.fn(ctx)
        except BaseException as exc:  # everything goes to the GUI as an error dialog
            log.exception("background task failed")
            self.signals.error.emit(TaskError(exc, traceback.format_exc()))
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


class TaskRunner(QObject):
    """Runs callables on a thread pool and reports back on the GUI thread."""

    running_changed = Signal(int)

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._running = 0
        self._jobs: set[_Job[Any]] = set()

    @property
    def running(self) -> int:
        return self._running

    def submit(
        self,
        fn: Callable[[TaskContext], T],
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[TaskError], None] | None = None,
        on_progress: Callable[[int, int | None, str], None] | None = None,
    ) -> CancelToken:
        token = CancelToken()
        job: _Job[T] = _Job(fn, token)
        if on_result:
            job.signals.result.connect(on_result)
        if on_error:
            job.signals.error.connect(on_error)
        if on_progress:
            job.signals.progress.connect(on_progress)
        self._jobs.add(job)  # keep the signals object alive until finished
        job.signals.finished.connect(lambda: self._finished(job))
        self._running += 1
        self.running_changed.emit(self._running)
        job.setAutoDelete(False)
        self.pool.start(job)
        return token

    def _finished(self, job: _Job[Any]) -> None:
        self._jobs.discard(job)
        self._running -= 1
        self.running_changed.emit(self._running)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)


class SyncRunner(TaskRunner):
    """Runs tasks inline (tests): same callbacks, no threads."""

    def submit(
        self,
        fn: Callable[[TaskContext], T],
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[TaskError], None] | None = None,
        on_progress: Callable[[int, int | None, str], None] | None = None,
    ) -> CancelToken:
        token = CancelToken()
        ctx = TaskContext(
            progress=lambda d, t, m="": on_progress(d, t, m) if on_progress else None,
            cancelled=token.cancelled,
        )
        self._running += 1
        self.running_changed.emit(self._running)
        try:
            value = fn(ctx)
        except BaseException as exc:
            if on_error:
                on_error(TaskError(exc, traceback.format_exc()))
            else:
                raise
        else:
            if on_result:
                on_result(value)
        finally:
            self._running -= 1
            self.running_changed.emit(self._running)
        return token
