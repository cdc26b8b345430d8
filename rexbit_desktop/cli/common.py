"""What every command shares: the database, who acts, JSON output and error reporting."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import typer
from rich.console import Console

from rexbit_desktop.db.session import Database, open_database
from rexbit_desktop.domain.roles import Actor

# Piped or redirected (cron, scripts, `| less`) there is no terminal width: rich would assume 80 columns
# and wrap table cells mid-word ("import-su/pplier-fe/eds"). Wide enough for every table we print.
console = Console() if sys.stdout.isatty() else Console(width=200)
# soft_wrap: messages must not be broken at 80 columns when stderr is a pipe or a log file.
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class CliContext:
    database_url: str | None = None
    user: str | None = None
    _db: Database | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.database_url)
        return self._db

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            from rexbit_desktop.services.users import actor_for_login

            self._actor = actor_for_login(self.db.uow(), self.user or os.environ.get("REXBIT_USER"))
        return self._actor

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):
        obj = CliContext()
        ctx.find_root().obj = obj
    return obj


def to_jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


JsonOption = typer.Option(False, "--json", help="Print the result as JSON.")
