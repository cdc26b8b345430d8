"""``rexbit kpi [--period … | --from … --to …] [--json] [--pdf FILE] [--csv FILE]`` and ``rexbit kpi refresh``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json, to_jsonable
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.kpi import PERIOD_CHOICES, Period, period_for
from rexbit_desktop.services import kpi

app = typer.Typer(
    help="KPI dashboard figures (the desktop's Pulpit) for a period.", invoke_without_command=True
)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{option} must be a date like 2026-11-30, not '{value}'.") from None


def _period(period: str | None, first: str | None, last: str | None, today: date) -> Period:
    if first or last:
        if not (first and last):
            raise ValidationError("Give both --from and --to (or --period).")
        return Period(_date(first, "--from"), _date(last, "--to"))
    return period_for(period or "30d", today)


def _ids(values: list[str], option: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in values)
    except ValueError:
        raise ValidationError(f"{option} takes integration or warehouse ids (0 = none).") from None


@app.callback()
def show(
    ctx: typer.Context,
    period: str = typer.Option(
        None, "--period", help="One of: " + ", ".join(PERIOD_CHOICES) + " (default 30d)."
    ),
    first: str = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
    last: str = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (inclusive)."),
    integration: list[str] = typer.Option(
        [], "--integration", help="Only orders from this integration (0 = typed in)."
    ),
    warehouse: list[str] = typer.Option([], "--warehouse", help="Only orders of this warehouse id."),
    pdf: Path = typer.Option(None, "--pdf", help="Also write the PDF report here."),
    csv_out: Path = typer.Option(None, "--csv", help="Also write the figures as CSV here."),
    language: str = typer.Option("pl", "--language", help="Language of the PDF/CSV labels: pl or en."),
    json: bool = JsonOption,
) -> None:
    """Print the dashboard's figures for a period, compared with the period before."""
    if ctx.invoked_subcommand:
        return
    c = cli_context(ctx)
    settings = kpi.get_kpi_settings(c.db.uow(), c.actor)
    today = datetime.now(UTC).astimezone(settings.zone).date()
    chosen = _period(period, first, last, today)
    filters = kpi.KpiFilter(_ids(integration, "--integration"), _ids(warehouse, "--warehouse"))
    d = kpi.compute_dashboard(c.db.uow(), c.actor, chosen, filters=filters)
    if pdf is not None:
        pdf.write_bytes(kpi.dashboard_pdf(d, language))
    if csv_out is not None:
        csv_out.write_text(kpi.dashboard_csv(d, language), encoding="utf-8-sig")
    if json:
        data = to_jsonable(d)
        data["late_pct"] = d.late_pct
        data["reservation_pct"] = d.reservation_pct
        data["current"]["average"] = to_jsonable(d.current.average)
        data["previous"]["average"] = to_jsonable(d.previous.average)
        print_json(data)
        return
    from rexbit_desktop.services.kpi.export import summary_rows

    typer.echo(
        f"KPI {chosen.first} … {chosen.last} (previous {d.previous_period.first} … {d.previous_period.last})"
    )
    for label, now, before in summary_rows(d, "en"):
        typer.echo(f"  {label:<32} {now:>14}  {before:>14}")
    if pdf is not None:
        typer.echo(f"PDF report: {pdf}")
    if csv_out is not None:
        typer.echo(f"CSV: {csv_out}")


@app.command("refresh")
def refresh(
    ctx: typer.Context,
    all_days: bool = typer.Option(False, "--all", help="Rebuild every day (after a bulk load)."),
    json: bool = JsonOption,
) -> None:
    """Rebuild the daily figures of the days whose orders changed (the refresh-kpi schedule does it)."""
    c = cli_context(ctx)
    result = kpi.refresh_kpi(c.db.uow(), c.actor, all_days=all_days)
    if json:
        print_json(result)
    else:
        typer.echo(f"rebuilt {result.days} day(s) in {result.duration_s:.2f} s")
