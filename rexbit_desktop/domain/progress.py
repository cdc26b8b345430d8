"""How long work reports progress and learns it was cancelled.

The UI turns ``progress`` into a progress bar, the CLI into a rich bar, workers into log lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int | None, message: str = "") -> None: ...


CancelCheck = Callable[[], bool]


def no_progress(done: int, total: int | None, message: str = "") -> None:
    """A progress callback that ignores reports."""


def never_cancelled() -> bool:
    return False
