from __future__ import annotations

import typer

from rexbit_desktop.cli import shop_cmd

app = typer.Typer(help="Our product catalog and its supplier offers.", no_args_is_help=True)

shop_cmd.register_products_commands(app)
