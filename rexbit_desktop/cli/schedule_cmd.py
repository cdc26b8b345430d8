"""``rexbit schedule …``: the clock (``work``, ``run``) and the schedules table (``list``, ``set``)."""

from __future__ import annotations

import typer
from rich.table import Column, Table

from rexbit_desktop.cli.common import JsonOption, cli_context, console, print_json

app = typer.Typer(help="Recurring jobs: list, change, and run the scheduler.", no_args_is_help=True)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else "-"


@app.command("list")
def list_(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Schedules with their cron, task, next due time and last run."""
    from rexbit_desktop.services.ops.schedules import list_schedules

    c = cli_context(ctx)
    rows = list_schedules(c.db.uow(), c.actor)
    if json_out:
        print_json(rows)
        return
    table = Table(
        *(
            Column(h, overflow="fold")
            for h in ("name", "cron", "task", "arguments", "enabled", "next due", "last run")
        )
    )
    for s in rows:
        # The last run's real outcome: the queued job's state (succeeded, failed…), not just "deferred".
        last = f"{_when(s.last_due_at)} {s.last_outcome or s.last_status}" if s.last_status else "-"
        task = s.task if s.task_registered else f"{s.task} [red](not registered)[/]"
        table.add_row(
            s.name,
            s.cron if not s.cron_error else f"[red]{s.cron} (invalid)[/]",
            task,
            ", ".join(f"{k}={v}" for k, v in s.arguments.items()) or "-",
            "yes" if s.enabled else "no",
            _when(s.next_due),
            last,
        )
    console.print(table)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Schedule name (see 'rexbit schedule list')."),
    cron: str = typer.Option(
        None, "--cron", help="Cron expression: 'minute hour day month weekday' (6 fields: seconds first)."
    ),
    enable: bool = typer.Option(False, "--enable", help="Turn the schedule on."),
    disable: bool = typer.Option(False, "--disable", help="Turn the schedule off."),
    json_out: bool = JsonOption,
) -> None:
    """Change a schedule's cron expression or turn it on/off (running schedulers reload it)."""
    from rexbit_desktop.domain.errors import ValidationError
    from rexbit_desktop.services.ops.schedules import set_schedule

    if enable and disable:
        raise ValidationError("Use either --enable or --disable, not both.")
    if cron is None and not enable and not disable:
        raise ValidationError("Nothing to change.", hint="Give --cron, --enable or --disable.")
    c = cli_context(ctx)
    info = set_schedule(
        c.db.uow(), c.actor, name, cron=cron, enabled=True if enable else False if disable else None
    )
    if json_out:
        print_json(info)
        return
    state = "enabled" if info.enabled else "disabled"
    typer.echo(f"{info.name}: {info.cron} → {info.task}, {state}, next due {_when(info.next_due)}")


@app.command("run")
def run(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """One pass for a crontab line '* * * * *': defer every tick due in the last minute not yet run."""
    from rexbit_desktop.services.ops.schedules import TickStatus, run_due_schedules

    c = cli_context(ctx)
    results = run_due_schedules(c.db.uow(), c.actor)
    if json_out:
        print_json(results)
        return
    shown = [r for r in results if r.status is not TickStatus.TAKEN]
    if not shown:
        typer.echo("No schedule is due.")
    for r in shown:
        what = f"job {r.job_id}" if r.job_id else (r.message or "")
        typer.echo(f"{r.schedule} {r.due_at.isoformat(timespec='seconds')}: {r.status.value} {what}".rstrip())


@app.command("work")
def work(
    ctx: typer.Context,
    reload_every: float = typer.Option(
        30.0, "--reload-every", help="Seconds between re-reads of the schedules table."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    """Run the scheduler until SIGTERM/SIGINT (APScheduler, cron from the schedules table)."""
    from rexbit_desktop.jobs.scheduler import run_scheduler_forever
    from rexbit_desktop.jobs.serve import configure_logging

    configure_logging(verbose=verbose)
    run_scheduler_forever(cli_context(ctx).db, poll_interval=reload_every)
