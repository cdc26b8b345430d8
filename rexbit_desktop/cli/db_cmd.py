from __future__ import annotations

import typer
from sqlalchemy.exc import DBAPIError

from rexbit_desktop.cli.common import cli_context, print_json
from rexbit_desktop.db.session import current_revision, head_revision, open_database, upgrade_schema
from rexbit_desktop.domain.errors import DatabaseUnavailable

app = typer.Typer(help="The application database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the schema to the newest version."""
    c = cli_context(ctx)
    db = open_database(c.database_url, upgrade=False)
    try:
        before = current_revision(db.engine)
        upgrade_schema(db.engine)
        after = current_revision(db.engine)
    except DBAPIError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnavailable(
            f"Cannot create or upgrade the schema in {db.display}: {reason}",
            hint="Run 'rexbit db upgrade' as the database owner, or grant this user CREATE on schema public.",
        ) from exc
    finally:
        db.dispose()
    typer.echo(f"database {db.display}: {before or 'empty'} -> {after}")


@app.command("status")
def status(ctx: typer.Context, json: bool = typer.Option(False, "--json")) -> None:
    """Show which database is used and its schema version."""
    c = cli_context(ctx)
    db = open_database(c.database_url, upgrade=False)
    info: dict[str, object] = {
        "database": db.display,
        "source": db.source,
        "embedded": db.embedded,
        "revision": current_revision(db.engine),
        "head": head_revision(),
    }
    if db.embedded:
        from rexbit_desktop.config import data_dir
        from rexbit_desktop.db.embedded import pgdata_dir

        info["data_dir"] = str(pgdata_dir(data_dir()))
    db.dispose()
    if json:
        print_json(info)
    else:
        for k, v in info.items():
            typer.echo(f"{k}: {v}")
