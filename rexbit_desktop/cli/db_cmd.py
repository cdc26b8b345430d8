from __future__ import annotations

import typer
from sqlalchemy.exc import DBAPIError

from rexbit_desktop.cli.common import cli_context, print_json
from rexbit_desktop.db.session import current_revision, head_revision, open_database, upgrade_schema
from rexbit_desktop.domain.errors import DatabaseUnavailable

app = typer.Typer(help="The application database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context, json: bool = typer.Option(False, "--json")) -> None:
    """Create or upgrade the schema to this rexbit's version: each migration in its own transaction,
    under an advisory lock (a second `db upgrade` at the same moment waits, then has nothing to do)."""
    c = cli_context(ctx)
    db = open_database(c.database_url, upgrade=False)
    try:
        report = upgrade_schema(db.engine)
    except DBAPIError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        done = current_revision(db.engine)
        raise DatabaseUnavailable(
            f"Cannot create or upgrade the schema in {db.display}: {reason}",
            hint=f"The schema is now at {done or 'nothing'} (the migrations before the failed one are kept). "
            "Run 'rexbit db upgrade' as the database owner, or grant this user CREATE on schema public.",
        ) from exc
    except RuntimeError as exc:  # a migration that checks its own work (e.g. an index build) failed
        done = current_revision(db.engine)
        raise DatabaseUnavailable(
            f"Cannot upgrade the schema in {db.display}: {exc}",
            hint=f"The schema is now at {done or 'nothing'}; fix the cause and run 'rexbit db upgrade' again.",
        ) from exc
    finally:
        db.dispose()
    if json:
        print_json(
            {
                "database": db.display,
                "before": report.before,
                "after": report.after,
                "applied": [{"revision": r, "title": title} for r, title in report.applied],
                "notes": report.notes,
            }
        )
        return
    for revision, title in report.applied:
        typer.echo(f"applied {revision}: {title}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    if report.applied:
        typer.echo(
            f"database {db.display}: {report.before or 'empty'} -> {report.after} "
            f"({len(report.applied)} migration{'s' if len(report.applied) != 1 else ''})"
        )
    else:
        typer.echo(
            f"database {db.display}: {report.before or 'empty'} -> {report.after} (already up to date)"
        )


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
