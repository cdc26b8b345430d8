"""A worker's options in the operators' words (``rexbit queue work --help``): queues, tries, backoff."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from rexbit_desktop.queueing import check_queue


@dataclass(frozen=True)
class WorkerSettings:
    """One worker's options, in the operators' words (``rexbit queue work --help``)."""

    queues: tuple[str, ...] | None = None
    """Queues to take jobs from, in order; ``None``: all queues."""
    sleep: float = 3.0
    """Seconds between polls when idle (LISTEN/NOTIFY wakes the worker earlier)."""
    tries: int = 1
    """Attempts before a job counts as failed (tasks declared with their own ``retry`` keep it)."""
    max_time: float | None = None
    """Finish the current job and exit after this many seconds."""
    once: bool = False
    """Run one job (if any) and exit."""
    stop_when_empty: bool = False
    """Exit when the queues are empty."""
    name: str = "worker"
    concurrency: int = 1
    """Jobs run at the same time by this worker (threads for sync tasks); 1 unless tasks are I/O bound."""
    heartbeat_interval: float = 10.0
    stalled_after: float = 60.0
    """A running job whose worker has not sent a heartbeat for this long is put back in its queue."""
    backoff: tuple[tuple[str, tuple[float, ...]], ...] = ()
    """Seconds before each retry, per queue (``""``: every other queue); see ``parse_backoff``."""

    def __post_init__(self) -> None:
        from rexbit_desktop.domain.errors import ValidationError

        if self.queues is not None:
            for queue in self.queues:
                check_queue(queue)
        if self.concurrency < 1:
            raise ValidationError("--concurrency must be at least 1.")
        if self.tries < 1:
            raise ValidationError("--tries must be at least 1.")
        if self.sleep <= 0:
            raise ValidationError("--sleep must be more than 0 seconds.")
        if self.max_time is not None and self.max_time <= 0:
            raise ValidationError("--max-time must be more than 0 seconds.")
        for _queue, delays in self.backoff:
            if any(d < 0 for d in delays):
                raise ValidationError("--backoff seconds must not be negative.")
        if self.stalled_after <= self.heartbeat_interval:
            raise ValidationError("The stalled-job timeout must be longer than the heartbeat interval.")

    def backoff_for(self, queue: str) -> tuple[float, ...]:
        table = dict(self.backoff)
        return table.get(queue, table.get("", ()))

    @property
    def backoff_display(self) -> str:
        return format_backoff(self.backoff)

    @property
    def queue_display(self) -> str:
        return ",".join(self.queues) if self.queues else "all queues"


def parse_queues(value: str | None) -> tuple[str, ...] | None:
    """``"import,default"`` → ``("import", "default")``; empty → all queues."""
    if not value:
        return None
    names = tuple(q.strip() for q in value.split(",") if q.strip())
    for name in names:
        check_queue(name)
    return names or None


def parse_backoff(value: str | None) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """``--backoff``: seconds before the 1st, 2nd, … retry (the last repeats), as Laravel's ``--backoff``:

    ``"10"`` or ``"10,60,300"`` for every queue; ``"import=60,300;orders=5"`` per queue, with an optional
    ``"*=10"`` for the others. Empty or ``"0"``: retry at once.
    """
    from rexbit_desktop.domain.errors import ValidationError

    if not value or not value.strip():
        return ()
    out: list[tuple[str, tuple[float, ...]]] = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        queue, sep, delays = part.partition("=")
        if not sep:
            queue, delays = "", part
        queue = queue.strip()
        if queue == "*":
            queue = ""
        if queue:
            check_queue(queue)
        try:
            seconds = tuple(float(d) for d in delays.split(",") if d.strip())
        except ValueError:
            raise ValidationError(
                f"--backoff '{value}' is not a list of seconds.",
                hint="E.g. --backoff=10,60,300 or --backoff='import=60,300;orders=5'.",
            ) from None
        if any(d < 0 for d in seconds):
            raise ValidationError("--backoff seconds must not be negative.")
        out.append((queue, seconds))
    return tuple(out)


def format_backoff(backoff: tuple[tuple[str, tuple[float, ...]], ...]) -> str:
    if not backoff:
        return "none"
    return "; ".join(
        (f"{q}=" if q else "") + ",".join(f"{d:g}" for d in delays) + " s" for q, delays in backoff
    )


def worker_identity(name: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}/{name}"
