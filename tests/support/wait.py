"""``wait_for``: the one way tests poll for something another thread or process does.

Tests never sleep and then check: they wait for the event they expect (a row, a log line, a lock taken),
or — to show that something did *not* happen — first wait for the event proving the other side has had its
chance (its next pass, a lock it takes), then check. The timeout only bounds a hang; nothing asserts how
long anything took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float = 30, interval: float = 0.1, what: str = "condition"
) -> T:
    """Call ``predicate`` until it returns something truthy and return that; ``AssertionError`` naming
    ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
