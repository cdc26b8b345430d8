"""``rexbit serve``: the unattended server (scheduler + workers for all queues in one process)."""

from __future__ import annotations

from pathlib import Path

import typer

from rexbit_desktop.cli.common import cli_context

DEFAULT_SERVE_BACKOFF = "10,60,300"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        tries: int = typer.Option(3, "--tries", help="Attempts before a job counts as failed."),
        backoff: str = typer.Option(
            DEFAULT_SERVE_BACKOFF,
            "--backoff",
            help="Seconds before each retry, e.g. 10,60,300 (the last repeats); per queue: 'import=60;orders=5'.",
        ),
        sleep: float = typer.Option(3.0, "--sleep", help="Seconds between polls while idle."),
        no_scheduler: bool = typer.Option(False, "--no-scheduler", help="Run only the workers."),
        log_file: Path = typer.Option(
            None, "--log-file", help="Rotating log file (default: logs/rexbit-serve.log in the data dir)."
        ),
        reload_every: float = typer.Option(
            30.0, "--reload-every", help="Seconds between re-reads of the schedules."
        ),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
        heartbeat: float = typer.Option(10.0, "--heartbeat", hidden=True),
        stalled_after: float = typer.Option(60.0, "--stalled-after", hidden=True),
    ) -> None:
        """Run the scheduler and workers for all queues (the headless server); SIGTERM stops it cleanly."""
        from rexbit_desktop.jobs.serve import configure_logging, default_log_file
        from rexbit_desktop.jobs.serve import serve as run_serve
        from rexbit_desktop.jobs.worker import parse_backoff

        configure_logging(verbose=verbose, log_file=log_file or default_log_file())
        run_serve(
            cli_context(ctx).db,
            tries=tries,
            backoff=parse_backoff(backoff),
            sleep=sleep,
            heartbeat_interval=heartbeat,
            stalled_after=stalled_after,
            with_scheduler=not no_scheduler,
            scheduler_poll=reload_every,
        )
