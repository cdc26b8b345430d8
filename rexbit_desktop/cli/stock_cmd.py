from __future__ import annotations

import typer

app = typer.Typer(help="Stock in warehouses.", no_args_is_help=True)
warehouse_app = typer.Typer(help="Warehouses.", no_args_is_help=True)
