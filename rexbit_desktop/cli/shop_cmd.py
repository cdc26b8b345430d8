"""PrestaShop commands that live in other groups: ``integration test`` and ``products pull``."""

from __future__ import annotations

import typer


def register_integration_commands(app: typer.Typer) -> None:
    """Adds ``rexbit integration test``."""


def register_products_commands(app: typer.Typer) -> None:
    """Adds ``rexbit products pull``."""
