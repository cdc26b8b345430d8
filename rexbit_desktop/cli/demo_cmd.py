from __future__ import annotations

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, err_console, print_json
from rexbit_desktop.cli.errors import cli_phrase
from rexbit_desktop.domain.errors import RexbitError


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        if_empty: bool = typer.Option(
            False, "--if-empty", help="Skip quietly (exit 0) when the database already has data."
        ),
        no_import: bool = typer.Option(
            False, "--no-import", help="Do not run the demo wholesaler's feed import afterwards."
        ),
        json: bool = JsonOption,
    ) -> None:
        """Fill an empty database with realistic Polish demo data (products, stock, orders, users)."""
        from rexbit_desktop.services import demo as demo_service

        c = cli_context(ctx)
        db, actor = c.db, c.actor
        if if_empty and not demo_service.database_is_empty(db.uow()):
            typer.echo("database already has data, demo skipped")
            return
        try:
            summary = _fill_with_progress(demo_service, db, actor)
        except demo_service.DemoRefused:
            if not if_empty:
                raise
            # Another workstation filled it between our check and our lock.
            typer.echo("database already has data, demo skipped")
            return
        imported = None
        if not no_import:
            # The supplier offers come from a real import run of the shipped feed; the demo itself is
            # committed already, so a failing import is reported and leaves the demo in place.
            try:
                from rexbit_desktop.services.feeds.imports import import_now

                runs = import_now(
                    db.uow, actor, integration_id=summary.integration_id, task_id=summary.import_profile_id
                )
                imported = runs[0] if runs else None
            except RexbitError as exc:
                message, _hint = cli_phrase(exc)
                err_console.print(f"warning: the demo feed import failed: {message}", highlight=False)
        if json:
            print_json({"demo": summary, "import": imported})
            return
        typer.echo(f"demo data created in {db.display} in {summary.seconds:.1f} s")
        typer.echo(
            f"  {summary.products} products (HX-0001…HX-{summary.products:04d}), warehouses MAG1 (default), MAG2"
        )
        typer.echo(f"  opening stock on {', '.join(summary.receipts)}")
        typer.echo(f"  supplier feed integration {summary.integration_id} '{summary.supplier}'")
        if imported is not None:
            typer.echo(
                f"  feed import run {imported.id}: {imported.status}, {imported.rows_read} rows, "
                f"{imported.matched} matched, {imported.unmatched} unmatched"
            )
        typer.echo(
            f"  {summary.orders} orders: "
            + ", ".join(f"{status} {n}" for status, n in summary.orders_by_status.items())
        )
        typer.echo("  desktop logins (login / password):")
        for user in summary.users:
            typer.echo(f"    {user.login:<10} {user.password:<14} {user.role}")


def _fill_with_progress(demo_service, db, actor):  # type: ignore[no-untyped-def]
    if not err_console.is_terminal:
        return demo_service.fill_demo(db.uow(), actor)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("demo: {task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def progress(done: int, total: int | None, message: str = "") -> None:
            bar.update(task, completed=done, total=total, description=message)

        return demo_service.fill_demo(db.uow(), actor, progress=progress)
