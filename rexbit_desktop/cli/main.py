"""The ``rexbit`` command: one entry point for operators, scripts, cron and the headless server."""

from __future__ import annotations

import logging
import sys

import sqlalchemy.exc
import typer

from rexbit_desktop.bootstrap import bootstrap
from rexbit_desktop.cli import common
from rexbit_desktop.cli.common import CliContext, err_console
from rexbit_desktop.cli.errors import cli_phrase
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.messages import one_line

app = typer.Typer(
    name="rexbit",
    help="rexbit desktop: supplier feeds, PrestaShop sync, orders and WZ documents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str = typer.Option(
        None,
        "--database-url",
        envvar="REXBIT_DATABASE_URL",
        help="PostgreSQL URL (postgresql+psycopg://user:pass@host:5432/db). Default: the embedded server.",
    ),
    user: str = typer.Option(
        None, "--user", envvar="REXBIT_USER", help="Login of the user who acts (default: the system account)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens."),
) -> None:
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bootstrap()
    ctx.obj = CliContext(database_url=database_url, user=user)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from rexbit_desktop.cli import (
        automation_cmd,
        db_cmd,
        demo_cmd,
        integration_cmd,
        kpi_cmd,
        mail_cmd,
        orders_cmd,
        products_cmd,
        queue_cmd,
        schedule_cmd,
        serve_cmd,
        shipments_cmd,
        shop_stock_cmd,
        stock_cmd,
        supplier_cmd,
        user_cmd,
    )

    app.add_typer(db_cmd.app, name="db")
    app.add_typer(user_cmd.app, name="user")
    app.add_typer(queue_cmd.app, name="queue")
    app.add_typer(schedule_cmd.app, name="schedule")
    app.add_typer(integration_cmd.app, name="integration")
    app.add_typer(products_cmd.app, name="products")
    app.add_typer(supplier_cmd.app, name="supplier")
    app.add_typer(orders_cmd.app, name="orders")
    app.add_typer(shipments_cmd.app, name="shipments")
    app.add_typer(mail_cmd.app, name="mail")
    app.add_typer(stock_cmd.warehouse_app, name="warehouse")
    app.add_typer(stock_cmd.app, name="stock")
    app.add_typer(kpi_cmd.app, name="kpi")
    app.add_typer(automation_cmd.rules_app, name="rules")
    app.add_typer(automation_cmd.webhooks_app, name="webhooks")
    app.add_typer(shop_stock_cmd.app, name="shop")
    demo_cmd.register(app)
    serve_cmd.register(app)


_register()


# Options of the whole program that operators also write after the command
# (``rexbit queue work --database-url=…``): DESIGN says every command accepts them.
_GLOBAL_OPTIONS = ("--database-url", "--user")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move ``--database-url``/``--user`` (``--opt=v`` or ``--opt v``) written after the command in front of
    it, where click expects the root's options. Nothing after ``--`` is touched."""
    front: list[str] = []
    rest: list[str] = []
    seen_command = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if seen_command and name in _GLOBAL_OPTIONS:
            if "=" in arg or i + 1 >= len(args):
                front.append(arg)
                i += 1
            else:
                front.extend(args[i : i + 2])
                i += 2
            continue
        if not arg.startswith("-"):
            seen_command = True
        elif not seen_command and name in _GLOBAL_OPTIONS and "=" not in arg:
            # The root's own option with its value in the next word: that word is not the command.
            rest.extend(args[i : i + 2])
            i += 2
            continue
        rest.append(arg)
        i += 1
    return front + rest


def main() -> None:
    try:
        app(args=hoist_global_options(sys.argv[1:]))
    except RexbitError as exc:
        message, hint = cli_phrase(exc)
        err_console.print(f"[bold red]error:[/] {message}", highlight=False)
        if hint:
            err_console.print(hint, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
        # The database went away in the middle of a command (server restart, network): say so, no traceback.
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1]
        err_console.print(
            f"[bold red]error:[/] lost the connection to the database: {reason[0] if reason else exc}",
            highlight=False,
        )
        err_console.print("Check that the PostgreSQL server is running, then run the command again.")
        sys.exit(2)
    except sqlalchemy.exc.DBAPIError as exc:
        # The database refused a statement: one line for the person, the statement and its parameters
        # (which may hold customer data) only in the log.
        logging.getLogger("rexbit").debug("database error", exc_info=True)
        err_console.print(
            f"[bold red]error:[/] the database refused the command: {one_line(exc)}", highlight=False
        )
        err_console.print("This is a bug or a bad value; run with --verbose for details, or report it.")
        sys.exit(1)


__all__ = ["app", "common", "main"]
