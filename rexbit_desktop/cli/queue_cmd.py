"""``rexbit queue …``: workers and the failed-jobs runbook (same words as Laravel's ``queue:*``)."""

from __future__ import annotations

import typer
from rich.table import Column, Table

from rexbit_desktop.cli.common import JsonOption, cli_context, console, err_console, print_json

app = typer.Typer(help="Queue workers, monitoring and failed jobs.", no_args_is_help=True)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@app.command("work")
def work(
    ctx: typer.Context,
    queue: str = typer.Option(
        None,
        "--queue",
        help="Queues to take jobs from, comma separated (integrations,import,default,orders). Default: all.",
    ),
    sleep: float = typer.Option(
        3.0, "--sleep", help="Seconds between polls while idle (new jobs wake the worker at once)."
    ),
    tries: int = typer.Option(1, "--tries", help="Attempts before a job counts as failed."),
    backoff: str = typer.Option(
        "0",
        "--backoff",
        help="Seconds before each retry, e.g. 10,60,300 (the last repeats); per queue: 'import=60;orders=5'.",
    ),
    max_time: float = typer.Option(
        0, "--max-time", help="Finish the current job and exit after this many seconds (0: no limit)."
    ),
    once: bool = typer.Option(False, "--once", help="Run one job (if any) and exit."),
    stop_when_empty: bool = typer.Option(False, "--stop-when-empty", help="Exit when the queues are empty."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log more (procrastinate's own messages too)."
    ),
    name: str = typer.Option("worker", "--name", help="Worker name shown in the logs."),
    concurrency: int = typer.Option(1, "--concurrency", help="Jobs run at the same time by this worker."),
    heartbeat: float = typer.Option(10.0, "--heartbeat", help="Seconds between heartbeats.", hidden=True),
    stalled_after: float = typer.Option(
        60.0,
        "--stalled-after",
        help="Put back a running job whose worker has been silent this long.",
        hidden=True,
    ),
) -> None:
    """Run a worker: take jobs from the queues until stopped (SIGTERM/SIGINT finish the current job first)."""
    from rexbit_desktop.jobs.serve import configure_logging
    from rexbit_desktop.jobs.worker import WorkerSettings, parse_backoff, parse_queues, run_workers

    settings = WorkerSettings(
        queues=parse_queues(queue),
        sleep=sleep,
        tries=tries,
        backoff=parse_backoff(backoff),
        max_time=max_time or None,
        once=once,
        stop_when_empty=stop_when_empty,
        name=name,
        concurrency=concurrency,
        heartbeat_interval=heartbeat,
        stalled_after=stalled_after,
    )
    configure_logging(verbose=verbose)
    db = cli_context(ctx).db
    run_workers(db, [settings])


@app.command("monitor")
def monitor(
    ctx: typer.Context,
    queues: str = typer.Argument(
        "integrations,import,default,orders", help="Queues to check, comma separated."
    ),
    max_waiting: int = typer.Option(
        100, "--max", help="A queue with more waiting jobs than this is reported (exit 1)."
    ),
    json_out: bool = JsonOption,
) -> None:
    """Waiting, running and failed jobs per queue; exit 1 when a queue is over --max (for cron alerts)."""
    from rexbit_desktop.jobs.worker import parse_queues
    from rexbit_desktop.services.ops.queue import monitor_queues

    c = cli_context(ctx)
    report = monitor_queues(c.db.uow(), c.actor, queues=parse_queues(queues) or (), max_waiting=max_waiting)
    if json_out:
        print_json(
            {
                "queues": report.queues,
                "max": report.max_waiting,
                "over_limit": report.over_limit,
                "ok": report.ok,
            }
        )
    else:
        table = Table("queue", "waiting", "scheduled", "running", "failed", "oldest waiting")
        for s in report.queues:
            over = s.queue in report.over_limit
            table.add_row(
                f"[bold red]{s.queue}[/]" if over else s.queue,
                f"[bold red]{s.waiting}[/]" if over else str(s.waiting),
                str(s.scheduled),
                str(s.running),
                str(s.failed),
                _age(s.oldest_waiting_seconds),
            )
        console.print(table)
        for name in report.over_limit:
            err_console.print(
                f"[bold red]queue {name} is over the limit of {report.max_waiting} waiting jobs[/]"
            )
    if not report.ok:
        raise typer.Exit(1)


@app.command("retrying")
def retrying(
    ctx: typer.Context,
    queue: str = typer.Option(None, "--queue", help="Only this queue."),
    json_out: bool = JsonOption,
) -> None:
    """Jobs that failed and wait for their next try (attempts so far, next try, the error)."""
    from rexbit_desktop.services.ops.queue_activity import list_retrying_jobs

    c = cli_context(ctx)
    jobs = list_retrying_jobs(c.db.uow(), c.actor, queue=queue)
    if json_out:
        print_json(jobs)
        return
    if not jobs:
        typer.echo("No job waits for a retry.")
        return
    table = Table(
        *(Column(h, overflow="fold") for h in ("id", "queue", "task", "attempts", "next try", "error"))
    )
    for j in jobs:
        table.add_row(
            str(j.id), j.queue, j.task, str(j.attempts),
            j.next_try_at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if j.next_try_at else "now", j.error,
        )  # fmt: skip
    console.print(table)


@app.command("runs")
def runs(
    ctx: typer.Context,
    hours: int = typer.Option(24, "--hours", help="Finished runs of the last N hours (running ones always)."),
    json_out: bool = JsonOption,
) -> None:
    """Import and shop-sync runs: queued and running first, then the last day's, with their messages."""
    from rexbit_desktop.services.ops.queue_activity import list_recent_runs

    c = cli_context(ctx)
    rows = list_recent_runs(c.db.uow(), c.actor, hours=hours)
    if json_out:
        print_json(rows)
        return
    if not rows:
        typer.echo("No runs.")
        return
    table = Table(
        *(Column(h, overflow="fold") for h in ("kind", "id", "integration", "status", "started", "message"))
    )
    for r in rows:
        table.add_row(
            r.kind, str(r.id), r.integration_name, r.status,
            r.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), r.message or "",
        )  # fmt: skip
    console.print(table)


@app.command("failed")
def failed(
    ctx: typer.Context,
    job_id: int = typer.Option(None, "--id", help="Show one failed job with the traceback of each attempt."),
    queue: str = typer.Option(None, "--queue", help="Only this queue."),
    json_out: bool = JsonOption,
) -> None:
    """List failed jobs (id, queue, task, arguments, attempts, failed at, error)."""
    from rexbit_desktop.services.ops.queue import failed_job_detail, list_failed_jobs

    c = cli_context(ctx)
    if job_id is not None:
        detail = failed_job_detail(c.db.uow(), c.actor, job_id)
        if json_out:
            print_json(detail)
            return
        j = detail.job
        typer.echo(f"job {j.id}  {j.task}  queue {j.queue}  attempts {j.attempts}  failed at {j.failed_at}")
        typer.echo(f"arguments: {detail.arguments}")
        for a in detail.attempts:
            typer.echo(f"\n--- attempt {a.attempt} at {a.failed_at} on {a.worker}\n{a.traceback.rstrip()}")
        if not detail.attempts:
            typer.echo(j.error)
        return
    jobs = list_failed_jobs(c.db.uow(), c.actor, queue=queue, limit=None)
    if json_out:
        print_json(jobs)
        return
    if not jobs:
        typer.echo("No failed jobs.")
        return
    # fold, never cut: an operator must see the whole task name and error even at 80 columns
    table = Table(
        *(
            Column(h, overflow="fold")
            for h in ("id", "queue", "task", "arguments", "attempts", "failed at", "error")
        )
    )
    for j in jobs:
        table.add_row(
            str(j.id),
            j.queue,
            j.task,
            j.arguments,
            str(j.attempts),
            j.failed_at.strftime("%Y-%m-%d %H:%M:%S") if j.failed_at else "-",
            j.error,
        )
    console.print(table)


@app.command("retry")
def retry(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., help="'all' or failed job ids."),
) -> None:
    """Put failed jobs back in their queues; each gets its full number of tries again."""
    from rexbit_desktop.domain.errors import ValidationError
    from rexbit_desktop.services.ops.queue import retry_failed_jobs

    c = cli_context(ctx)
    if [i.lower() for i in ids] == ["all"]:
        job_ids: list[int] | None = None
    else:
        try:
            job_ids = [int(i) for i in ids]
        except ValueError as exc:
            raise ValidationError(
                f"Not a job id: {exc.args[0].split(':')[-1].strip()}", hint="Use 'all' or numeric job ids."
            ) from exc
    result = retry_failed_jobs(c.db.uow(), c.actor, job_ids)
    for job_id in result.retried:
        typer.echo(f"job {job_id} put back in its queue")
    for job_id in result.skipped:
        err_console.print(f"job {job_id} not retried: a job with the same queueing lock is already waiting")
    for job_id in result.not_failed:
        err_console.print(f"[bold red]error:[/] there is no failed job {job_id}")
    if not result.retried and job_ids is None:
        typer.echo("No failed jobs.")
    if result.not_failed:
        raise typer.Exit(1)


@app.command("prune-failed")
def prune_failed(
    ctx: typer.Context,
    hours: float = typer.Option(24, "--hours", help="Delete failed jobs older than this many hours."),
) -> None:
    """Delete failed jobs that failed more than --hours ago."""
    from rexbit_desktop.services.ops.queue import prune_failed_jobs

    c = cli_context(ctx)
    count = prune_failed_jobs(c.db.uow(), c.actor, hours=hours)
    typer.echo(f"Deleted {count} failed job(s) older than {hours:g} h.")


@app.command("flush")
def flush(ctx: typer.Context) -> None:
    """Delete all failed jobs."""
    from rexbit_desktop.services.ops.queue import flush_failed_jobs

    c = cli_context(ctx)
    count = flush_failed_jobs(c.db.uow(), c.actor)
    typer.echo(f"Deleted {count} failed job(s).")


@app.command("restart")
def restart(ctx: typer.Context) -> None:
    """Make every running worker, on any host, exit after its current job (its supervisor restarts it)."""
    from rexbit_desktop.services.ops.queue import request_worker_restart

    c = cli_context(ctx)
    at = request_worker_restart(c.db.uow(), c.actor)
    typer.echo(
        f"Restart signal sent at {at.isoformat(timespec='seconds')}; workers exit after their current job."
    )


@app.command("workers")
def workers(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Workers registered in the database (any host) and their last heartbeat."""
    from rexbit_desktop.services.ops.queue import list_workers

    c = cli_context(ctx)
    rows = list_workers(c.db.uow(), c.actor)
    if json_out:
        print_json(rows)
        return
    table = Table("id", "last heartbeat", "running jobs")
    for w in rows:
        table.add_row(str(w.id), f"{_age(w.seconds_since_heartbeat)} ago", str(w.running_jobs))
    console.print(table)
