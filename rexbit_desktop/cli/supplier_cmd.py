from __future__ import annotations

import typer

from rexbit_desktop.cli import shop_cmd

app = typer.Typer(help="Supplier offers: write their availability into the shop.", no_args_is_help=True)

shop_cmd.register_supplier_commands(app)
