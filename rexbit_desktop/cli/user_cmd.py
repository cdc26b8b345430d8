from __future__ import annotations

import sys

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services import users

app = typer.Typer(help="Users and roles.", no_args_is_help=True)

PASSWORD_ENV = "REXBIT_NEW_USER_PASSWORD"


@app.command("add")
def add(
    ctx: typer.Context,
    login: str = typer.Option(..., "--login"),
    role: str = typer.Option(..., "--role", help="operator | manager | admin"),
    name: str = typer.Option("", "--name", help="Display name."),
    password: str = typer.Option(
        None,
        "--password",
        envvar=PASSWORD_ENV,
        help="Password for the desktop login (at least 8 characters). Without it the user cannot log in "
        "to the desktop app until one is set with 'rexbit user password'.",
    ),
    json: bool = JsonOption,
) -> None:
    """Add a user."""
    c = cli_context(ctx)
    dto = users.add_user(c.db.uow(), c.actor, login=login, role=role, display_name=name, password=password)
    if json:
        print_json(dto)
    else:
        typer.echo(f"user {dto.login} ({dto.role}) added, id {dto.id}")


@app.command("password")
def password(
    ctx: typer.Context,
    login: str = typer.Option(..., "--login"),
    new_password: str = typer.Option(
        None, "--password", envvar=PASSWORD_ENV, help="The new password; asked for when omitted."
    ),
) -> None:
    """Set a user's desktop password (admins: anyone's; others: their own, with --user)."""
    if new_password is None:
        if not sys.stdin.isatty():
            raise ValidationError("No password given.", hint=f"Pass --password=... or set {PASSWORD_ENV}.")
        new_password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    c = cli_context(ctx)
    dto = users.set_password(c.db.uow(), c.actor, login=login, password=new_password)
    typer.echo(f"password of {dto.login} set")


@app.command("deactivate")
def deactivate(ctx: typer.Context, login: str = typer.Option(..., "--login")) -> None:
    """Deactivate a user: no desktop login, no --user."""
    c = cli_context(ctx)
    dto = users.set_active(c.db.uow(), c.actor, login=login, active=False)
    typer.echo(f"user {dto.login} deactivated")


@app.command("activate")
def activate(ctx: typer.Context, login: str = typer.Option(..., "--login")) -> None:
    """Activate a deactivated user again."""
    c = cli_context(ctx)
    dto = users.set_active(c.db.uow(), c.actor, login=login, active=True)
    typer.echo(f"user {dto.login} activated")


@app.command("list")
def list_(ctx: typer.Context, json: bool = JsonOption) -> None:
    """List users."""
    c = cli_context(ctx)
    rows = users.list_users(c.db.uow(), c.actor)
    if json:
        print_json(rows)
    else:
        for u in rows:
            typer.echo(
                f"{u.id:>4}  {u.login:<20} {u.role:<9} {'active' if u.active else 'inactive'}  {u.display_name}"
            )
