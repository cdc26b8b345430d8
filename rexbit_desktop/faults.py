"""Pause points for crash tests: a process stops (for good) at a named step so a test can ``kill -9`` it
there, deterministically.

Off unless ``REXBIT_PAUSE_AT`` names the step (``read:1``, ``stage:0``, ``apply``, …) in the process's
environment; the process then writes the step to ``REXBIT_PAUSE_FILE`` (if set) and sleeps until it is
killed. Only the acceptance tests set these variables; an operator never does.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "REXBIT_PAUSE_AT"
PAUSE_FILE_ENV = "REXBIT_PAUSE_FILE"


def pause_point(step: str) -> None:
    """Sleeps forever when ``REXBIT_PAUSE_AT`` is ``step`` (each process pauses once at most)."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or wanted != step:
        return
    os.environ.pop(PAUSE_ENV, None)
    marker = os.environ.get(PAUSE_FILE_ENV)
    if marker:
        with Path(marker).open("a", encoding="utf-8") as out:
            out.write(f"{step} {os.getpid()}\n")
    while True:
        time.sleep(3600)
