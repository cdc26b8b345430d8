from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(ctx: typer.Context) -> None:
        """Run the scheduler and workers for all queues (the headless server)."""
        raise NotImplementedError
