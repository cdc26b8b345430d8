"""What a run or a job says went wrong, in one readable line.

Database errors carry the whole SQL statement and its parameters (``[SQL: UPDATE …] [parameters: …]``):
that belongs in the log, not in a run's message that operators read. ``one_line`` keeps the first line
of what failed (the driver's own message for database errors), masks secrets, and caps the length.
"""

from __future__ import annotations

import re

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.secrets import mask_secrets

MAX_MESSAGE = 300
_SQLA_TAIL = re.compile(r"\s*(\[SQL:|\(Background on this error).*", re.S)
_SQLA_HEAD = re.compile(r"^\((?:[\w.]+)\)\s*")


def one_line(exc: BaseException | str, *, limit: int = MAX_MESSAGE) -> str:
    """One line that says what failed: a rexbit error's message, a database driver's first line (no SQL,
    no parameters), otherwise ``Type: first line``; secrets masked, at most ``limit`` characters."""
    if isinstance(exc, str):
        text = exc
    elif isinstance(exc, RexbitError):
        text = exc.message
    else:
        orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's exception
        inner = orig if isinstance(orig, BaseException) else None
        source = inner if inner is not None else exc
        body = _SQLA_TAIL.sub("", str(source)).strip()
        body = _SQLA_HEAD.sub("", body)
        text = f"{type(source).__name__}: {body}" if body else type(source).__name__
    lines = [ln.strip() for ln in _SQLA_TAIL.sub("", text).splitlines() if ln.strip()]
    first = mask_secrets(lines[0] if lines else text.strip())
    return first if len(first) <= limit else first[: limit - 1] + "…"


__all__ = ["MAX_MESSAGE", "one_line"]
