from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(ctx: typer.Context) -> None:
        """Fill an empty database with realistic Polish demo data."""
        raise NotImplementedError
