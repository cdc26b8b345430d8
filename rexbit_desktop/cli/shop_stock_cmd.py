"""``rexbit shop push-stock``: our free stock into the shop's quantity (issue 15)."""

from __future__ import annotations

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, console, err_console, print_json
from rexbit_desktop.cli.shop_cmd import progress_bar

app = typer.Typer(help="The PrestaShop shop: our stock into its quantities.", no_args_is_help=True)


@app.command("push-stock")
def push_stock_cmd(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration", help="Id of the prestashop_db integration."),
    sku: list[str] = typer.Option(None, "--sku", help="Only this product (repeat for several)."),
    full: bool = typer.Option(False, "--full", help="Write every row, also those already right."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute and check in the shop; write nothing."),
    json_output: bool = JsonOption,
) -> None:
    """Write our free stock (minus the buffer and the shop's orders not taken in yet) into the shop."""
    from rexbit_desktop.services.shop.stock import push_stock

    c = cli_context(ctx)
    skus = [s for part in (sku or []) for s in part.split(",") if s.strip()] or None
    with progress_bar(not json_output) as progress:
        result = push_stock(
            c.db.uow(), c.actor, integration_id=integration, skus=skus, full=full, dry_run=dry_run,
            progress=progress,
        )  # fmt: skip
    if json_output:
        print_json(result.counts())
    else:
        console.print(
            f"{'dry run: ' if dry_run else ''}examined {result.examined}, to write {result.to_write}, "
            f"written {result.written}, unchanged {result.skipped_unchanged}, packs skipped "
            f"{result.skipped_packs}, missing in shop {result.missing_in_shop}, shop orders not taken in "
            f"{result.pending_shop_orders}, errors {result.errors} in {result.duration_s:.3f} s "
            f"(run {result.sync_run_id})",
            highlight=False,
        )
    for detail in result.error_details[:10]:
        err_console.print(
            f"  - {detail.get('external_id', '')} {detail['reason']}".strip(), markup=False, highlight=False
        )
    if result.status == "failed":
        err_console.print("error:", style="bold red", end=" ")
        err_console.print(result.message or "", markup=False, highlight=False)
        raise typer.Exit(1)
