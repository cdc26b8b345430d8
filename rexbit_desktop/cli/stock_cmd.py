"""``rexbit warehouse add`` and ``rexbit stock receive|show|shortages``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json, to_jsonable
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.stock import stock

app = typer.Typer(help="Stock in warehouses.", no_args_is_help=True)
warehouse_app = typer.Typer(help="Warehouses.", no_args_is_help=True)


@warehouse_app.command("add")
def warehouse_add(
    ctx: typer.Context,
    code: str = typer.Option(..., "--code", help="Short code, e.g. MAG1."),
    name: str = typer.Option(..., "--name", help="Name printed on documents."),
    default: bool = typer.Option(False, "--default", help="Reserve and issue from here by default."),
    json: bool = JsonOption,
) -> None:
    """Add a warehouse."""
    c = cli_context(ctx)
    dto = stock.add_warehouse(c.db.uow(), c.actor, code=code, name=name, default=default)
    if json:
        print_json(dto)
    else:
        typer.echo(f"warehouse {dto.code} ({dto.name}) added{' as default' if dto.is_default else ''}")


@warehouse_app.command("list")
def warehouse_list(ctx: typer.Context, json: bool = JsonOption) -> None:
    """List warehouses."""
    c = cli_context(ctx)
    rows = stock.list_warehouses(c.db.uow(), c.actor)
    if json:
        print_json(rows)
        return
    for w in rows:
        typer.echo(f"{w.code:<10} {w.name}{'  (default)' if w.is_default else ''}")


@app.command("receive")
def receive(
    ctx: typer.Context,
    sku: str = typer.Option(..., "--sku"),
    warehouse: str = typer.Option(..., "--warehouse", help="Warehouse code."),
    qty: str = typer.Option(..., "--qty", help="Quantity received, e.g. 10 or 2.5."),
    price: str = typer.Option(None, "--price", help="Net purchase price per unit (decimal string)."),
    comment: str = typer.Option(None, "--comment"),
    json: bool = JsonOption,
) -> None:
    """Receive goods with a posted PZ; waiting shortages are reserved, oldest order first."""
    c = cli_context(ctx)
    price_net = None
    if price is not None:
        try:
            price_net = Decimal(price.replace(",", "."))
        except InvalidOperation:
            raise ValidationError(f"The price '{price}' is not a number.") from None
    dto = stock.receive_stock(
        c.db.uow(), c.actor, sku=sku, warehouse=warehouse, qty=qty, price_net=price_net, comment=comment
    )
    if json:
        print_json(dto)
        return
    item = dto.document.items[0]
    typer.echo(f"{dto.document.number}: received {item.quantity} {item.unit} of {item.sku} into {warehouse}")
    for f in dto.filled_shortages:
        typer.echo(f"  reserved {f.missing_qty} for order {f.order_number} (was short)")


@app.command("show")
def show(ctx: typer.Context, sku: str = typer.Option(..., "--sku"), json: bool = JsonOption) -> None:
    """Stock of one product per warehouse: on hand, reserved, available, and who waits for it."""
    c = cli_context(ctx)
    dto = stock.product_stock(c.db.uow(), c.actor, sku=sku)
    if json:
        data = to_jsonable(dto)
        data["on_hand"], data["reserved"] = str(dto.on_hand), str(dto.reserved)
        print_json(data)
        return
    typer.echo(f"{dto.sku}  {dto.name}  [{dto.unit}]")
    typer.echo(f"{'warehouse':<10} {'on hand':>12} {'reserved':>12} {'available':>12}")
    for lv in dto.levels:
        typer.echo(f"{lv.warehouse_code:<10} {lv.on_hand:>12} {lv.reserved:>12} {lv.available:>12}")
    for s in dto.shortages:
        typer.echo(f"short: {s.missing_qty} for order {s.order_number} in {s.warehouse_code}")


@app.command("shortages")
def shortages(ctx: typer.Context, json: bool = JsonOption) -> None:
    """What orders wait for, oldest order first (the order in which arriving stock is handed out)."""
    c = cli_context(ctx)
    rows = stock.list_shortages(c.db.uow(), c.actor)
    if json:
        print_json(rows)
        return
    for s in rows:
        typer.echo(f"{s.order_number:<22} {s.sku:<20} {s.warehouse_code:<8} {s.missing_qty:>10}")
