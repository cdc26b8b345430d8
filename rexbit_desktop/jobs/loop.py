"""The event loop the workers run on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop where it is installed (Linux, macOS), else on the standard loop.

    A worker's own cost per job is mostly event-loop bookkeeping (procrastinate's fetch / run / finish
    tasks, psycopg's waits): uvloop cut the worker's CPU per no-op job by 10–15 % in
    bench/jobs_throughput.py. Works in any thread (the desktop's local worker runs in one).
    """
    try:
        import uvloop
    except ImportError:  # Windows
        return asyncio.run(main)
    return uvloop.run(main)
