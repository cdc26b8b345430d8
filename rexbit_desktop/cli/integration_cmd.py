from __future__ import annotations

import typer

from rexbit_desktop.cli import shop_cmd

app = typer.Typer(help="Integrations: supplier feeds and PrestaShop databases.", no_args_is_help=True)

shop_cmd.register_integration_commands(app)
