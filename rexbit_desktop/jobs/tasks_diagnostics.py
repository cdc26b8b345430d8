"""Diagnostic tasks for tests, benchmarks and checking a worker by hand.

Added to the app only with ``REXBIT_DIAGNOSTIC_TASKS=1`` (or ``make_job_app(db, diagnostics=True)``) so
that the production task list stays clean. ``marker`` is a file that each run appends one line to
(``<event> <job id> <attempt> <pid> <unix time>``), so tests can count runs across processes.
"""

from __future__ import annotations

import os
import time

from procrastinate import Blueprint, JobContext

bp = Blueprint()


def _mark(marker: str | None, event: str, context: JobContext) -> None:
    if not marker:
        return
    with open(marker, "a", encoding="utf-8") as f:
        f.write(f"{event} {context.job.id} {context.job.attempts} {os.getpid()} {time.time():.3f}\n")
        f.flush()


@bp.task(name="noop", queue="default", pass_context=True)
def noop(context: JobContext, marker: str | None = None) -> str:
    _mark(marker, "run", context)
    return "ok"


@bp.task(name="sleep", queue="default", pass_context=True)
def sleep(
    context: JobContext, seconds: float = 1.0, marker: str | None = None, until: str | None = None
) -> str:
    """Sleeps ``seconds``; with ``until`` (a file path), ends as soon as that file exists, ``seconds``
    being then only the upper bound, so a test decides when the job ends instead of racing a clock."""
    _mark(marker, "start", context)
    deadline = time.monotonic() + seconds
    if until is None:
        time.sleep(seconds)
    else:
        while not os.path.exists(until) and time.monotonic() < deadline:
            time.sleep(0.05)
    _mark(marker, "end", context)
    return f"slept {seconds} s"


@bp.task(name="fail", queue="default", pass_context=True)
def fail(context: JobContext, message: str = "diagnostic failure", marker: str | None = None) -> None:
    _mark(marker, "run", context)
    raise RuntimeError(message)
