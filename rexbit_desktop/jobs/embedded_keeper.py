"""Workers on the embedded PostgreSQL server keep it running.

The embedded server lives as long as some rexbit process is attached to it; a worker is often the only
one (``rexbit serve`` on a workstation, the desktop's local worker). When its postmaster is killed or
crashes, nobody else would start it again: the worker would wait for a database that never comes back.
So a worker group on the embedded server looks every few seconds whether the postmaster still runs and,
when it is gone, starts the server again (``db/embedded.py: restart_if_gone``: stale files removed,
PostgreSQL's crash recovery), with a growing pause between failed attempts and one log line each.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from rexbit_desktop.db.embedded import pgdata_dir, restart_if_gone, running_postmaster

log = logging.getLogger("rexbit.jobs")

RETRY_PAUSES = (2.0, 5.0, 15.0, 30.0, 60.0)


class OutageLog:
    """One warning when a periodic check starts failing, one line when it works again (not a warning
    every poll while the database is away)."""

    def __init__(self) -> None:
        self._failing: set[str] = set()

    def failed(self, what: str, exc: BaseException) -> None:
        if what in self._failing:
            log.debug("still cannot %s: %s", what, exc)
            return
        self._failing.add(what)
        first = str(exc).strip().splitlines()
        log.warning(
            "could not %s: %s (not repeated until it works again)",
            what,
            first[0] if first else type(exc).__name__,
        )

    def ok(self, what: str) -> None:
        if what in self._failing:
            self._failing.discard(what)
            log.info("%s works again", what)


async def keep_embedded_server(data_dir: Path, *, poll: float = 2.0) -> None:
    """Runs until cancelled: starts the embedded server again whenever its postmaster is gone."""
    pgdata = pgdata_dir(data_dir).resolve()
    while True:
        await asyncio.sleep(poll)
        if await asyncio.to_thread(running_postmaster, pgdata) is not None:
            continue
        log.warning(
            "the embedded PostgreSQL server in %s is gone (killed or crashed); starting it again", pgdata
        )
        attempt = 0
        while True:
            try:
                await asyncio.to_thread(restart_if_gone, data_dir)
            except Exception as exc:  # DatabaseUnavailable, or whatever pgserver raised
                pause = RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)]
                attempt += 1
                first = str(exc).strip().splitlines()
                log.warning(
                    "the embedded PostgreSQL server did not start (attempt %d): %s; next attempt in %g s",
                    attempt,
                    first[0] if first else type(exc).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
                continue
            log.info("the embedded PostgreSQL server runs again (pid %s)", running_postmaster(pgdata))
            break
