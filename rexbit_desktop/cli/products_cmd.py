from __future__ import annotations

from pathlib import Path

import typer

from rexbit_desktop.cli import shop_cmd
from rexbit_desktop.cli.common import JsonOption, cli_context, print_json
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Permission

app = typer.Typer(help="Our product catalog and its supplier offers.", no_args_is_help=True)

shop_cmd.register_products_commands(app)


def _num(value: object) -> str:
    return "-" if value is None else str(value)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Option(
        ...,
        "--file",
        help="CSV (UTF-8): sku, ean, name, optionally unit, vat_rate, price_gross (or cena_brutto).",
    ),
    json: bool = JsonOption,
) -> None:
    """Import our own catalog; a re-import updates products by SKU. One bad row and nothing changes."""
    from rexbit_desktop.services.catalog import products as catalog

    c = cli_context(ctx)
    dto = catalog.import_products(c.db.uow(), c.actor, file=file)
    if json:
        print_json(dto)
    else:
        typer.echo(
            f"{dto.rows} products read: {dto.created} created, {dto.updated} updated, {dto.unchanged} unchanged"
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    search: str = typer.Option(None, "--search", help="SKU prefix, EAN or part of the name."),
    limit: int = typer.Option(100, "--limit"),
    offset: int = typer.Option(0, "--offset"),
    json: bool = JsonOption,
) -> None:
    """List products with stock and the best supplier offer."""
    from rexbit_desktop.services.catalog import products as catalog

    c = cli_context(ctx)
    page = catalog.list_products(c.db.uow(), c.actor, search=search, limit=limit, offset=offset)
    if json:
        print_json(page)
        return
    for p in page.rows:
        best = p.best_offer
        offer = (
            f"best offer: {best.supplier_name or best.integration_name} stock {_num(best.stock_quantity)}"
            f" {_num(best.delivery_days)} d {_num(best.purchase_price)}"
            if best
            else "no supplier offer"
        )
        typer.echo(
            f"{p.sku:<16} {p.ean or '':<14} {p.name[:40]:<40} on hand {p.on_hand} res {p.reserved}  {offer}"
        )
    typer.echo(f"{len(page.rows)} of {page.total} products")


@app.command("show")
def show(ctx: typer.Context, sku: str = typer.Option(..., "--sku"), json: bool = JsonOption) -> None:
    """Show a product with its stock and each supplier offer."""
    from rexbit_desktop.services.catalog import products as catalog

    c = cli_context(ctx)
    p = catalog.show_product(c.db.uow(), c.actor, sku=sku)
    if json:
        print_json(p)
        return
    typer.echo(f"{p.sku}  {p.name}")
    typer.echo(
        f"  EAN {p.ean or '-'}  unit {p.unit}  VAT {p.vat_rate}%  {'active' if p.active else 'inactive'}"
        f"  price {_num(p.price_gross)} gross"
    )
    for st in p.stock:
        typer.echo(f"  warehouse {st.warehouse_code}: on hand {st.on_hand}, reserved {st.reserved}")
    if not p.offers:
        typer.echo("  no supplier offers")
    for o in p.offers:
        typer.echo(
            f"  offer {o.supplier_name or o.integration_name} (integration {o.integration_id}, item {o.external_id},"
            f" {o.link_source}): stock {_num(o.stock_quantity)}, delivery {_num(o.delivery_days)} d,"
            f" price {_num(o.purchase_price)}, updated {o.updated_at or '-'}"
        )


@app.command("price")
def price(
    ctx: typer.Context,
    sku: str = typer.Option(..., "--sku"),
    gross: str = typer.Option(
        None, "--gross", help="Sale price with VAT, e.g. 129.99 (non-negative, two decimals)."
    ),
    clear: bool = typer.Option(False, "--clear", help="No price: the order form takes the last sold one."),
    json: bool = JsonOption,
) -> None:
    """Set a product's sale price with VAT (the new order form prefills it)."""
    from rexbit_desktop.services.catalog import prices

    if (gross is None) == (not clear):
        raise ValidationError("Give either --gross=PRICE or --clear.")
    c = cli_context(ctx)
    p = prices.set_sale_price(c.db.uow(), c.actor, sku=sku, price_gross=None if clear else gross)
    if json:
        print_json(p)
    else:
        typer.echo(
            f"{p.sku}: price {_num(p.price_gross)} gross"
            if p.price_gross is not None
            else f"{p.sku}: no price"
        )


@app.command("link")
def link(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration"),
    external_id: str = typer.Option(None, "--external-id", help="Link this supplier item by hand…"),
    sku: str = typer.Option(None, "--sku", help="…to the product with this SKU."),
    now: bool = typer.Option(False, "--now", help="Auto-link here instead of queueing the job."),
    json: bool = JsonOption,
) -> None:
    """Auto-link a supplier's items to products by SKU/EAN (queued on 'integrations'), or link one by hand."""
    from rexbit_desktop.services.catalog import products as catalog

    c = cli_context(ctx)
    if external_id or sku:
        if not (external_id and sku):
            raise ValidationError("A manual link needs both --external-id and --sku.")
        offer = catalog.link_offer(
            c.db.uow(), c.actor, integration_id=integration, external_id=external_id, sku=sku
        )
        if json:
            print_json(offer)
        else:
            typer.echo(f"item {offer.external_id} of integration {integration} linked to {sku} (manual)")
        return
    if not now:
        from rexbit_desktop.queueing import defer_job

        c.actor.require(Permission.INTEGRATIONS_RUN)
        job_id = defer_job(c.db, "imports:link_integration_products", integration_id=integration)
        if json:
            print_json({"job_id": job_id})
        else:
            typer.echo(f"queued linking of integration {integration} as job {job_id}")
        return
    result = catalog.link_integration_products(c.db.uow(), c.actor, integration_id=integration)
    if json:
        print_json(result)
    else:
        typer.echo(
            f"{result.examined} items: {result.linked} linked, {result.ambiguous} ambiguous, "
            f"{result.unmatched} unmatched"
        )


@app.command("unlink")
def unlink(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration"),
    external_id: str = typer.Option(..., "--external-id"),
    json: bool = JsonOption,
) -> None:
    """Unlink a supplier item by hand; auto-linking leaves it unlinked."""
    from rexbit_desktop.services.catalog import products as catalog

    c = cli_context(ctx)
    offer = catalog.unlink_offer(c.db.uow(), c.actor, integration_id=integration, external_id=external_id)
    if json:
        print_json(offer)
    else:
        typer.echo(f"item {offer.external_id} of integration {integration} unlinked (manual)")
