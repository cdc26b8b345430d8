from __future__ import annotations

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json
from rexbit_desktop.services import users

app = typer.Typer(help="Users and roles.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    login: str = typer.Option(..., "--login"),
    role: str = typer.Option(..., "--role", help="operator | manager | admin"),
    name: str = typer.Option("", "--name", help="Display name."),
    password: str = typer.Option(
        None, "--password", envvar="REXBIT_NEW_USER_PASSWORD", help="Password for the desktop login."
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


@app.command("list")
def list_(ctx: typer.Context, json: bool = JsonOption) -> None:
    """List users."""
    c = cli_context(ctx)
    rows = users.list_users(c.db.uow())
    if json:
        print_json(rows)
    else:
        for u in rows:
            typer.echo(
                f"{u.id:>4}  {u.login:<20} {u.role:<9} {'active' if u.active else 'inactive'}  {u.display_name}"
            )
