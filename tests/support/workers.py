"""Real ``rexbit`` processes for the job-runtime acceptance tests (workers, schedulers, serve)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.wait import wait_for

__all__ = [
    "ENV",
    "Process",
    "defer",
    "marker_lines",
    "query",
    "rescue_passes",
    "rexbit",
    "statuses",
    "wait_for_rescue_passes",
]

ENV = {**os.environ, "REXBIT_DIAGNOSTIC_TASKS": "1", "PYTHONUNBUFFERED": "1"}


def rexbit(
    db_url: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**ENV, **(env or {})},
    )


class Process:
    """A long-running ``rexbit`` process whose output goes to a file (a pipe could fill up and block it)."""

    def __init__(self, db_url: str, *args: str, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._out = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, *args],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**ENV, **(env or {})},
        )

    def signal(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is not None:
                self._out.close()

    def stop(self, timeout: float = 30) -> int:
        self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.wait(5)
            raise

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")


_RESCUE_PASS = re.compile(r"stalled-job pass (\d+) done")


def rescue_passes(output: str) -> int:
    """How many stalled-job rescue passes a worker run with ``--verbose`` has completed."""
    return max((int(n) for n in _RESCUE_PASS.findall(output)), default=0)


def wait_for_rescue_passes(output: Callable[[], str], passes: int = 2, timeout: float = 60) -> None:
    """Wait until the worker completes ``passes`` more rescue passes than it had now: the first may have
    started before the event the caller waits past, the last began after it."""
    start = rescue_passes(output())
    wait_for(
        lambda: rescue_passes(output()) >= start + passes,
        timeout=timeout,
        what=f"{passes} more stalled-job passes (after {start})",
    )


def query(db_url: str, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def defer(db_url: str, task: str, **kwargs: object) -> int:
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.queueing import defer_job

    before = os.environ.get("REXBIT_DIAGNOSTIC_TASKS")
    os.environ["REXBIT_DIAGNOSTIC_TASKS"] = "1"
    db = open_database(db_url)
    try:
        return defer_job(db, task, **kwargs)  # type: ignore[arg-type]
    finally:
        db.dispose()
        if before is None:
            del os.environ["REXBIT_DIAGNOSTIC_TASKS"]
        else:
            os.environ["REXBIT_DIAGNOSTIC_TASKS"] = before


def statuses(db_url: str) -> dict[int, str]:
    return {
        int(i): s for i, s in query(db_url, "SELECT id, status::text FROM procrastinate_jobs ORDER BY id")
    }


def marker_lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line.strip()]
