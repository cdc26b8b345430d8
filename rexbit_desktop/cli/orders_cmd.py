"""``rexbit orders …``: create, list, show, transition, reserve, cancel, ship, pdf, settings, expiry,
sync-external (the shop's orders)."""

from __future__ import annotations

import json as jsonlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, console, err_console, print_json
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import queries as order_queries
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import reservations as stock_reservations
from rexbit_desktop.services.stock.dto import ReservationResultDTO

app = typer.Typer(help="Orders: workflow, reservations, WZ documents, PDFs.", no_args_is_help=True)
settings_app = typer.Typer(help="Order settings.", no_args_is_help=True)
app.add_typer(settings_app, name="settings")


def _q(value: Decimal) -> str:
    """A quantity as people write it: 3, 2.5 (not 3.000)."""
    return f"{value.normalize():f}"


def _m(value: Decimal) -> str:
    return f"{value:.2f}"


def _print_reservation(result: ReservationResultDTO) -> None:
    if not result.lines:
        typer.echo(f"{result.order_number}: no stock items to reserve")
        return
    for line in result.lines:
        tail = f", SHORT {_q(line.missing)} (on the shortages list)" if line.missing else ""
        typer.echo(
            f"{line.sku:<20} {line.warehouse_code:<8} ordered {_q(line.ordered)}, reserved now "
            f"{_q(line.reserved_now)}, held {_q(line.reserved_total)}{tail}"
        )
    typer.echo("fully reserved" if result.complete else "partially reserved")


@app.command("create")
def create(
    ctx: typer.Context,
    file: Path = typer.Option(..., "--file", help="Order JSON (see docs/orders.md); '-' reads stdin."),
    json: bool = JsonOption,
) -> None:
    """Create an order from a JSON file."""
    c = cli_context(ctx)
    try:
        text = typer.get_text_stream("stdin").read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"Cannot read {file}: {exc.strerror}.") from None
    try:
        payload: Any = jsonlib.loads(text)
    except ValueError as exc:
        raise ValidationError(f"{file} is not valid JSON: {exc}.") from None
    dto = orders.create_order(c.db.uow(), c.actor, payload)
    if json:
        print_json(dto)
    else:
        typer.echo(f"order {dto.number} created ({dto.status}, {_m(dto.total_gross)} {dto.currency})")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: str = typer.Option(None, "--status"),
    limit: int = typer.Option(100, "--limit"),
    json: bool = JsonOption,
) -> None:
    """List orders, newest first."""
    c = cli_context(ctx)
    rows = order_queries.newest_orders(c.db.uow(), c.actor, status=status, limit=limit)
    if json:
        print_json(rows)
        return
    for o in rows:
        typer.echo(
            f"{o.number:<22} {o.status:<21} {o.payment_status:<15} {o.fulfillment_status:<11} "
            f"{o.total_gross:>12} {o.currency}  {o.customer_name or ''}"
        )


@app.command("show")
def show(ctx: typer.Context, number: str = typer.Argument(...), json: bool = JsonOption) -> None:
    """An order with its items, reservations, documents, history, payments and shipments."""
    c = cli_context(ctx)
    o = orders.get_order(c.db.uow(), c.actor, number)
    if json:
        print_json(o)
        return
    typer.echo(
        f"{o.number}  {o.status_label} ({o.status})  payment {o.payment_status}  fulfilment {o.fulfillment_status}"
    )
    typer.echo(
        f"customer: {o.customer_name or '-'} {o.customer_email or ''}   total {_m(o.total_gross)} {o.currency}"
    )
    typer.echo("items:")
    for i in o.items:
        typer.echo(
            f"  {i.sku or '-':<20} {_q(i.quantity):>8} {i.unit:<6} {_m(i.price_gross):>10}  reserved {_q(i.reserved)}"
            f"{f', short {_q(i.missing)}' if i.missing else ''}{f', issued {_q(i.issued)}' if i.issued else ''}  {i.name}"
        )
    if o.reservations:
        typer.echo("reservations:")
        for r in o.reservations:
            typer.echo(
                f"  {r.sku:<20} {r.warehouse_code:<8} {_q(r.reserved_qty):>8} {r.status:<10} {r.release_reason or ''}"
            )
    if o.documents:
        typer.echo("documents:")
        for d in o.documents:
            typer.echo(f"  {d.type:<12} {d.number or '-':<22} {d.status:<10} {d.warehouse_code or ''}")
    for p in o.payments:
        typer.echo(f"payment: {p.provider} {p.status} {_m(p.amount)} {p.currency}")
    for s in o.shipments:
        typer.echo(f"shipment: {s.carrier} {s.tracking_number or ''} {s.tracking_url}")
    typer.echo("history:")
    for h in o.history:
        typer.echo(
            f"  {h.created_at:%Y-%m-%d %H:%M}  {h.from_status or '-'} → {h.to_status}  by {h.changed_by}"
            f"{'  ' + h.comment if h.comment else ''}"
        )
    for n in o.notes:
        typer.echo(f"note ({n.author}): {n.body}")
    typer.echo("next: " + (", ".join(o.allowed_transitions) or "(final)"))


@app.command("transition")
def transition(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    to: str = typer.Option(..., "--to", help="Target status."),
    comment: str = typer.Option(None, "--comment"),
    carrier: str = typer.Option(None, "--carrier", help="Entering 'shipped': the carrier (required)."),
    tracking: str = typer.Option(
        None, "--tracking", help="Entering 'shipped': the tracking number (unless the carrier needs none)."
    ),
    json: bool = JsonOption,
) -> None:
    """Change an order's status (with its automatic reservations and documents). Entering 'shipped'
    records the carrier (and the tracking number it needs), as `rexbit orders ship` does."""
    c = cli_context(ctx)
    result = OrderWorkflowService().transition(
        c.db.uow(), c.actor, number, to, comment=comment, carrier=carrier, tracking=tracking
    )
    if json:
        print_json(result)
        return
    typer.echo(f"{result.order_number}: {result.from_status} → {result.to_status}")
    if result.reservation is not None:
        _print_reservation(result.reservation)
    for n in result.issued_documents:
        typer.echo(f"issued {n}")
    for n in result.storno_documents:
        typer.echo(f"storno {n}")


@app.command("reserve")
def reserve(ctx: typer.Context, number: str = typer.Argument(...), json: bool = JsonOption) -> None:
    """Reserve stock for an order now; prints what was reserved and what is short."""
    c = cli_context(ctx)
    result = orders.reserve_order(c.db.uow(), c.actor, number)
    if json:
        print_json({"order_number": result.order_number, "complete": result.complete, "lines": result.lines})
    else:
        _print_reservation(result)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    comment: str = typer.Option(None, "--comment"),
    json: bool = JsonOption,
) -> None:
    """Cancel an order: reservations released, issued goods put back with a storno IN."""
    c = cli_context(ctx)
    result = orders.cancel_order(c.db.uow(), c.actor, number, comment=comment)
    if json:
        print_json(result)
        return
    typer.echo(f"{result.order_number}: cancelled (released {result.released_qty})")
    for n in result.storno_documents:
        typer.echo(f"storno {n}")


@app.command("ship")
def ship(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    carrier: str = typer.Option(..., "--carrier"),
    tracking: str = typer.Option(..., "--tracking"),
    json: bool = JsonOption,
) -> None:
    """Record the parcel and mark the order shipped."""
    c = cli_context(ctx)
    o = orders.ship_order(c.db.uow(), c.actor, number, carrier=carrier, tracking=tracking)
    if json:
        print_json(o)
        return
    s = o.shipments[-1]
    typer.echo(f"{o.number}: shipped with {s.carrier} {s.tracking_number} {s.tracking_url}".rstrip())


@app.command("note")
def note(ctx: typer.Context, number: str = typer.Argument(...), text: str = typer.Argument(...)) -> None:
    """Add a note to an order."""
    c = cli_context(ctx)
    orders.add_note(c.db.uow(), c.actor, number, text)
    typer.echo("note added")


@app.command("mail")
def mail(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    template: str = typer.Option(
        ..., "--template", help="Template code, e.g. order_shipped (rexbit mail template list)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the e-mail, send nothing."),
    account: str = typer.Option(None, "--account", help="Mail account (default: the default one)."),
    json: bool = JsonOption,
) -> None:
    """E-mail the order's customer from a template (through the outbox and the queue)."""
    from rexbit_desktop.cli.mail_cmd import _print_message
    from rexbit_desktop.services.messages.outbox import send_order_mail

    c = cli_context(ctx)
    m = send_order_mail(c.db.uow(), c.actor, number, template, account=account, dry_run=dry_run)
    if json or dry_run:
        _print_message(m, json)
    else:
        typer.echo(f"e-mail to {m.to_address} queued: {m.subject} ({m.message_id})")


@app.command("pdf")
def pdf(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    type_: str = typer.Option(..., "--type", help="wz | confirmation | reservation | packing"),
    out: Path = typer.Option(..., "--out", help="PDF file to write (for several WZ: -2, -3 … are added)."),
) -> None:
    """Print an order's document to PDF."""
    from rexbit_desktop.services.orders.pdfs import render_order_pdf

    c = cli_context(ctx)
    for path in render_order_pdf(c.db.uow(), c.actor, number, kind=type_, out=out):
        typer.echo(str(path))


@app.command("sync-external")
def sync_external(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration", help="Id of the prestashop_db integration."),
    since: str = typer.Option(
        None, "--since", help="Read the shop's orders changed since this day (YYYY-MM-DD), not the cursor."
    ),
    days: int = typer.Option(30, "--days", min=1, help="First run: the orders changed in the last N days."),
    limit: int = typer.Option(None, "--limit", min=1, help="At most N shop orders this run."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be taken in; change nothing."),
    json: bool = JsonOption,
) -> None:
    """Take in the shop's new and changed orders (PrestaShop database)."""
    from datetime import date

    from rexbit_desktop.cli.shop_cmd import progress_bar
    from rexbit_desktop.services.shop.orders import sync_orders

    try:
        since_day = date.fromisoformat(since) if since else None
    except ValueError:
        raise ValidationError(f"--since '{since}' is not a date: write YYYY-MM-DD.") from None
    c = cli_context(ctx)
    with progress_bar(not json) as progress:
        result = sync_orders(
            c.db.uow(), c.actor, integration_id=integration, since=since_day, days=days, limit=limit,
            dry_run=dry_run, progress=progress,
        )  # fmt: skip
    if json:
        print_json({"sync_run_id": result.sync_run_id, **result.counts(), "cursor": result.cursor})
    else:
        console.print(
            f"{'dry run: ' if dry_run else ''}examined {result.examined}, created {result.created}, "
            f"updated {result.updated}, skipped {result.skipped}, retried {result.retried} "
            f"({result.retry_pending} still to retry), errors {result.errors} "
            f"in {result.duration_s:.3f} s (sync run {result.sync_run_id}; states: {result.mapping})",
            highlight=False,
        )
    for detail in result.error_details[:10]:
        err_console.print(
            f"  - shop order {detail['id_order']}: {detail['reason']}"
            if detail.get("id_order") is not None
            else f"  - {detail['reason']}",
            markup=False,
            highlight=False,
        )


@app.command("release-expired-reservations")
def release_expired(ctx: typer.Context, json: bool = JsonOption) -> None:
    """Release reservations past their expiry time (run every 5 minutes by the schedule)."""
    c = cli_context(ctx)
    result = stock_reservations.release_expired_reservations(c.db.uow(), c.actor)
    if json:
        print_json(result)
    else:
        typer.echo(
            f"released {result.released_reservations} reservations ({result.released_qty}) "
            f"of {len(result.orders)} orders"
        )


@settings_app.command("show")
def settings_show(ctx: typer.Context, json: bool = JsonOption) -> None:
    """Show the order settings."""
    from rexbit_desktop.domain.order_settings import settings_to_sections

    c = cli_context(ctx)
    current = order_settings.get_order_settings(c.db.uow(), c.actor)
    sections = settings_to_sections(current)
    if json:
        print_json(sections)
        return
    for key, value in sections.items():
        typer.echo(f"[{key}]")
        if key == "statuses":
            for status, entry in value.items():
                typer.echo(f"  {status:<21} {entry['label_pl']} / {entry['label_en']}  {entry['colour']}")
        elif key == "carriers":
            for carrier in value["items"]:
                typer.echo(f"  {carrier['code']:<10} {carrier['name']}  {carrier['tracking_url']}")
        else:
            for k, v in value.items():
                typer.echo(f"  {k} = {v}")


@settings_app.command("set")
def settings_set(
    ctx: typer.Context,
    key: str = typer.Argument(
        ..., help="e.g. automation.issue_wz_on, numbering.pattern, statuses.paid.colour"
    ),
    value: str = typer.Argument(..., help="A value; JSON is accepted for lists and objects."),
) -> None:
    """Change one order setting."""
    c = cli_context(ctx)
    parsed: Any = value
    if value[:1] in "[{":
        try:
            parsed = jsonlib.loads(value)
        except ValueError as exc:
            raise ValidationError(f"The value for {key} is not valid JSON: {exc}.") from None
    elif value.lower() in ("null", "none"):
        parsed = None
    order_settings.set_order_setting(c.db.uow(), c.actor, key, parsed)
    typer.echo(f"{key} = {value}")
