"""One exception root for everything the user may see.

The UI shows a RexbitError as a dialog, the CLI as a message with ``exit_code``. The docstring of each
subclass is its default message, as in procrastinate's ``exceptions.py``.
"""

from __future__ import annotations


class RexbitError(Exception):
    """Something went wrong."""

    exit_code: int = 1

    def __init__(
        self,
        message: str | None = None,
        *,
        hint: str | None = None,
        code: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        self.message = message or (self.__doc__ or "").strip()
        self.hint = hint
        # ``code`` + ``params`` let a front end phrase the error itself (the GUI in Polish, without the
        # command-line hints that ``message``/``hint`` carry for ``rexbit``).
        self.code = code
        self.params = dict(params or {})
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ConfigurationError(RexbitError):
    """The configuration is not usable."""

    exit_code = 2


class DatabaseUnavailable(ConfigurationError):
    """The database cannot be reached."""


class ForeignDatabase(ConfigurationError):
    """The database belongs to another application."""


class SchemaMismatch(ConfigurationError):
    """The database schema is not the one this rexbit needs."""

    def __init__(
        self, message: str | None = None, *, hint: str | None = None, current: str = "", needed: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.current = current
        self.needed = needed


class NotFound(RexbitError):
    """The requested record does not exist."""


class ValidationError(RexbitError):
    """The input is not valid."""


class PermissionDenied(RexbitError):
    """You are not allowed to do this."""

    exit_code = 3


class TransitionRefused(RexbitError):
    """This status change is not allowed."""


class Conflict(RexbitError):
    """The data was changed by someone else; try again."""


class Cancelled(RexbitError):
    """The operation was cancelled."""
