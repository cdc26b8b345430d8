"""``rexbit shipments …``: carrier shipments (InPost ShipX, DPD Polska): create, labels, tracking, the DPD
handover protocol, carrier accounts, locker search."""

from __future__ import annotations

import json as jsonlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.shipping import ParcelSpec, preset
from rexbit_desktop.services import shipping

app = typer.Typer(help="Carrier shipments: InPost and DPD labels, tracking, protocols.", no_args_is_help=True)


def _money(value: str | None, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(f"{what} '{value}' is not a number.") from None


def _write(path: Path, content: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    except OSError as exc:
        raise ValidationError(f"Cannot write {path}: {exc.strerror}.") from None


def _print_shipment(s: shipping.ShipmentDTO) -> None:
    numbers = ", ".join(s.tracking_numbers) or "-"
    tail = f" (order {s.order_moved})" if s.order_moved else ""
    typer.echo(
        f"{s.order_number} package {s.package_no}: {s.carrier} {s.status} {numbers} {s.tracking_url}".rstrip()
        + tail
    )
    if s.error:
        typer.echo(f"  note: {s.error}")


@app.command("create")
def create(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="Order number."),
    carrier: str = typer.Option(None, "--carrier", help="inpost | dpd (default: by the delivery method)."),
    size: str = typer.Option(None, "--size", help="InPost locker size A, B, C, or a DPD preset S, M, L."),
    weight: str = typer.Option(None, "--weight", help="Weight in kg."),
    dims: str = typer.Option(None, "--dims", help="Length x width x height in mm, e.g. 400x300x200."),
    target: str = typer.Option(
        None, "--target", help="InPost parcel locker, e.g. KRA010 (default: from the order)."
    ),
    courier: bool = typer.Option(
        False, "--courier", help="InPost courier to the address instead of a locker."
    ),
    cod: str = typer.Option(
        None, "--cod", help="Cash on delivery amount (default: the order total when paid on delivery)."
    ),
    no_cod: bool = typer.Option(False, "--no-cod", help="No cash on delivery."),
    insurance: str = typer.Option(None, "--insurance", help="Insured amount (default: the order total)."),
    parcels: int = typer.Option(1, "--parcels", help="Parcels in the package (DPD)."),
    package: int = typer.Option(1, "--package", help="Package number of the order (1 for the first parcel)."),
    no_ship: bool = typer.Option(False, "--no-ship", help="Do not move the order to shipped."),
    queue: bool = typer.Option(False, "--queue", help="Defer to a worker (job shipping:create_shipment)."),
    json: bool = JsonOption,
) -> None:
    """Create the carrier shipment of an order (again: the same package is never created twice)."""
    c = cli_context(ctx)
    explicit = (
        any(v is not None for v in (weight, dims, target, cod, insurance))
        or no_cod
        or courier
        or parcels != 1
    )
    parcel = None
    if explicit:
        defaults = shipping.shipment_defaults(c.db.uow(), c.actor, number)
        chosen = preset(size) if size else None
        length = width = height = None
        if dims:
            m = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*[x×]\s*(\d+)\s*", dims)
            if not m:
                raise ValidationError(f"--dims '{dims}' is not LxWxH in mm, e.g. 400x300x200.")
            length, width, height = (int(g) for g in m.groups())
        elif chosen is not None:
            length, width, height = chosen.length_mm, chosen.width_mm, chosen.height_mm
        parcel = ParcelSpec(
            size=(chosen.size if chosen else size.upper() if size else None),
            length_mm=length,
            width_mm=width,
            height_mm=height,
            weight_kg=_money(weight, "--weight") or (chosen.weight_kg if chosen else Decimal("1")),
            cod=None if no_cod else (_money(cod, "--cod") if cod is not None else defaults.cod),
            insurance=_money(insurance, "--insurance") if insurance is not None else defaults.insurance,
            target_point=None if courier else (target or defaults.target_point),
            parcels=parcels,
        )
    if queue:
        from rexbit_desktop.queueing import defer_job

        job_id = defer_job(
            c.db,
            "shipping:create_shipment",
            order_number=number,
            carrier=carrier,
            size=size,
            parcel=parcel.as_json() if parcel else None,
            package_no=package,
            mark_shipped=not no_ship,
        )
        if json:
            print_json({"job_id": job_id, "order_number": number})
        else:
            typer.echo(f"shipment of {number} queued as job {job_id}")
        return
    dto = shipping.create_shipment(
        c.db.uow(),
        c.actor,
        number,
        carrier=carrier,
        parcel=parcel,
        size=size,
        package_no=package,
        mark_shipped=not no_ship,
    )
    if json:
        print_json(dto)
        return
    _print_shipment(dto)


@app.command("list")
def list_(ctx: typer.Context, number: str = typer.Argument(...), json: bool = JsonOption) -> None:
    """The shipments of an order."""
    c = cli_context(ctx)
    items = shipping.list_order_shipments(c.db.uow(), c.actor, number)
    if json:
        print_json(items)
        return
    for s in items:
        _print_shipment(s)


@app.command("label")
def label(
    ctx: typer.Context,
    numbers: list[str] = typer.Argument(..., help="Order number(s): several give one PDF."),
    out: Path = typer.Option(..., "--out", help="PDF file to write."),
    package: int = typer.Option(None, "--package", help="Package number (one order only)."),
) -> None:
    """Write the label PDF of an order's shipment (or of many orders, as one PDF)."""
    c = cli_context(ctx)
    if len(numbers) == 1:
        _write(out, shipping.shipment_label(c.db.uow(), c.actor, numbers[0], package_no=package))
        typer.echo(f"label of {numbers[0]} written to {out}")
        return
    result = shipping.labels_for_orders(c.db.uow(), c.actor, numbers)
    _write(out, result.content)
    typer.echo(f"{result.labels} label(s) of {len(result.orders)} order(s) written to {out}")
    for number, why in result.missing:
        typer.echo(f"  {number}: {why}")


@app.command("track")
def track(
    ctx: typer.Context,
    numbers: list[str] = typer.Argument(
        None, help="Order numbers (default with --all-open: every open shipment)."
    ),
    all_open: bool = typer.Option(False, "--all-open", help="Every open InPost and DPD shipment."),
    json: bool = JsonOption,
) -> None:
    """Read the carriers' tracking; delivered orders go to completed (automation.complete_on_delivery)."""
    c = cli_context(ctx)
    if not numbers and not all_open:
        raise ValidationError("Name the orders or give --all-open.")
    result = shipping.track_shipments(c.db.uow(), c.actor, numbers=None if all_open else list(numbers))
    if json:
        print_json(result)
        return
    typer.echo(
        f"checked {result.checked}, changed {result.updated}, delivered {result.delivered}, "
        f"completed {len(result.completed)}"
        + (f": {', '.join(result.completed)}" if result.completed else "")
    )
    for error in result.errors:
        typer.echo(f"  {error}")


@app.command("protocol")
def protocol(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="PDF file to write."),
    carrier: str = typer.Option("dpd", "--carrier"),
    day: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    json: bool = JsonOption,
) -> None:
    """The DPD handover protocol of the day's parcels not handed over yet."""
    c = cli_context(ctx)
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        raise ValidationError(f"--date '{day}' is not YYYY-MM-DD.") from None
    result = shipping.handover_protocol(c.db.uow(), c.actor, carrier=carrier, day=when)
    _write(out, result.content)
    if json:
        print_json({k: v for k, v in result.__dict__.items() if k != "content"} | {"file": str(out)})
        return
    typer.echo(f"protocol {result.document_id} of {result.day}: {result.parcels} parcel(s) written to {out}")


@app.command("carrier-set")
def carrier_set(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Carrier code of the order settings, e.g. inpost."),
    service: str = typer.Option(..., "--service", help="inpost | dpd | manual"),
    name: str = typer.Option(None, "--name"),
    config: str = typer.Option("{}", "--config", help="JSON object, or @FILE with it."),
    disabled: bool = typer.Option(False, "--disabled"),
    json: bool = JsonOption,
) -> None:
    """Add or change a carrier account (secrets as token/password, or token_env/password_env)."""
    c = cli_context(ctx)
    text = config
    if config.startswith("@"):
        try:
            text = Path(config[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"Cannot read {config[1:]}: {exc.strerror}.") from None
    try:
        data: Any = jsonlib.loads(text)
    except ValueError as exc:
        raise ValidationError(f"--config is not valid JSON: {exc}.") from None
    dto = shipping.save_carrier_account(
        c.db.uow(), c.actor, code=code, service=service, name=name, config=data, enabled=not disabled
    )
    if json:
        print_json(dto)
        return
    typer.echo(f"carrier {dto.code} ({dto.service}) saved")


@app.command("carriers")
def carriers(ctx: typer.Context, json: bool = JsonOption) -> None:
    """Carrier accounts (secrets shown as ***)."""
    c = cli_context(ctx)
    items = shipping.list_carrier_accounts(c.db.uow(), c.actor)
    if json:
        print_json(items)
        return
    for a in items:
        typer.echo(
            f"{a.code:<10} {a.service:<7} {'on ' if a.enabled else 'off'} {a.name}  {jsonlib.dumps(a.config, ensure_ascii=False)}"
        )


@app.command("points")
def points(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Locker code or postcode."),
    carrier: str = typer.Option("inpost", "--carrier"),
    json: bool = JsonOption,
) -> None:
    """Search parcel lockers (the target point of a locker shipment)."""
    c = cli_context(ctx)
    items = shipping.find_pickup_points(c.db.uow(), c.actor, carrier, query)
    if json:
        print_json(items)
        return
    for p in items:
        typer.echo(f"{p.code:<10} {p.street}, {p.postcode} {p.city}  {p.description}")
