from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Any

import typer

from rexbit_desktop.cli import shop_cmd
from rexbit_desktop.cli.common import JsonOption, cli_context, console, print_json
from rexbit_desktop.domain.errors import ValidationError

app = typer.Typer(help="Integrations: supplier feeds and PrestaShop databases.", no_args_is_help=True)

shop_cmd.register_integration_commands(app)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = jsonlib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ValidationError(f"The config file {path} does not exist.") from None
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except jsonlib.JSONDecodeError as exc:
        raise ValidationError(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path} must hold a JSON object.")
    return data


def _resolve_source(source: str, config_file: Path) -> str:
    """A relative local path in a profile file is relative to that file (profiles travel with feeds)."""
    if "://" in source or Path(source).expanduser().is_absolute():
        return source
    beside = (Path(config_file).resolve().parent / source).resolve()
    return str(beside) if beside.exists() else str(Path(source).resolve())


@app.command("create")
def create(
    ctx: typer.Context,
    type: str = typer.Option(..., "--type", help="supplier_feed | prestashop_db"),
    name: str = typer.Option(..., "--name"),
    config: Path = typer.Option(None, "--config", help="JSON file with the integration's config."),
    contractor: int = typer.Option(None, "--contractor", help="Supplier (contractor id) of a supplier feed."),
    json: bool = JsonOption,
) -> None:
    """Create an integration (a supplier feed gets a supplier contractor of the same name by default)."""
    from rexbit_desktop.services import integrations

    c = cli_context(ctx)
    cfg = _read_json(config) if config else {}
    dto = integrations.create_integration(
        c.db.uow(), c.actor, type=type, name=name, config=cfg, contractor_id=contractor
    )
    if json:
        print_json(dto)
    else:
        typer.echo(f"integration {dto.id} '{dto.name}' ({dto.type}) created")


@app.command("update")
def update(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration"),
    name: str = typer.Option(None, "--name"),
    config: Path = typer.Option(
        None,
        "--config",
        help="JSON file: keys to change (merged over the saved config; password kept if absent).",
    ),
    enabled: bool = typer.Option(None, "--enable/--disable", help="Switch the integration on or off."),
    json: bool = JsonOption,
) -> None:
    """Rename, reconfigure, enable or disable an integration."""
    from rexbit_desktop.services import integrations

    c = cli_context(ctx)
    dto = integrations.update_integration(
        c.db.uow(),
        c.actor,
        integration,
        name=name,
        config=_read_json(config) if config else None,
        enabled=enabled,
    )
    if json:
        print_json(dto)
    else:
        state = "enabled" if dto.enabled else "disabled"
        typer.echo(f"integration {dto.id} '{dto.name}' ({dto.type}) saved, {state}")


@app.command("list")
def list_(ctx: typer.Context, json: bool = JsonOption) -> None:
    """List integrations with their profiles and last import."""
    from rexbit_desktop.services import integrations

    c = cli_context(ctx)
    rows = integrations.list_integrations(c.db.uow(), c.actor)
    if json:
        profiles = integrations.list_import_profiles(c.db.uow(), c.actor)
        print_json(
            [
                {
                    **{k: getattr(r, k) for k in r.__dataclass_fields__},
                    "import_profiles": [
                        integrations.masked_profile(p) for p in profiles if p.integration_id == r.id
                    ],
                }
                for r in rows
            ]
        )
        return
    if not rows:
        typer.echo(
            "no integrations (add one with: rexbit integration create --type=supplier_feed --name=...)"
        )
    for r in rows:
        last = f"last import {r.last_run_status} {r.last_run_at:%Y-%m-%d %H:%M}" if r.last_run_at else ""
        typer.echo(
            f"{r.id:>4}  {r.type:<14} {r.name:<30} {'enabled' if r.enabled else 'disabled':<9}"
            f" profiles {r.profiles}  {last}"
        )


@app.command("task-create")
def task_create(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration"),
    config: Path = typer.Option(
        ..., "--config", help="JSON file: name, source_location, format, options, mappings."
    ),
    json: bool = JsonOption,
) -> None:
    """Add an import profile to a supplier feed."""
    from rexbit_desktop.services import integrations

    c = cli_context(ctx)
    data = _read_json(config)
    unknown = set(data) - {"name", "source_location", "format", "options", "mappings", "enabled"}
    if unknown:
        raise ValidationError(
            f"Unknown key(s) in {config}: {', '.join(sorted(unknown))}.",
            hint="A profile has name, source_location, format, options, mappings (and enabled).",
        )
    source = data.get("source_location") or ""
    dto = integrations.create_import_profile(
        c.db.uow(),
        c.actor,
        integration_id=integration,
        name=data.get("name") or "",
        source_location=_resolve_source(str(source), config) if source else "",
        format=data.get("format") or "",
        options=data.get("options"),
        mappings=data.get("mappings"),
        enabled=bool(data.get("enabled", True)),
    )
    if json:
        print_json(integrations.masked_profile(dto))
    else:
        typer.echo(f"import profile {dto.id} '{dto.name}' added to integration {dto.integration_id}")


def _print_run(r: Any) -> None:
    colour = {"succeeded": "green", "failed": "red", "cancelled": "yellow"}.get(r.status, "white")
    console.print(
        f"run {r.id} [{colour}]{r.status}[/]: {r.message or ''}"
        + (f" ({r.duration_s:.2f} s)" if r.duration_s is not None else ""),
        highlight=False,
        soft_wrap=True,
    )
    for e in r.errors[:10]:
        console.print(
            f"  line {e.get('line')}: {e.get('reason')}", highlight=False, markup=False, soft_wrap=True
        )
    if len(r.errors) > 10:
        console.print(f"  … {len(r.errors) - 10} more (rexbit integration runs --json)", highlight=False)


@app.command("import")
def import_(
    ctx: typer.Context,
    integration: int = typer.Option(..., "--integration"),
    task: int = typer.Option(None, "--task", help="One import profile (default: every enabled one)."),
    limit: int = typer.Option(None, "--limit", help="Read only the first N rows (nothing is zeroed)."),
    now: bool = typer.Option(False, "--now", help="Run here with a progress bar instead of queueing."),
    json: bool = JsonOption,
) -> None:
    """Import a supplier feed: queue it on 'import' (default) or run it now."""
    from rexbit_desktop.services.feeds import imports
    from rexbit_desktop.services.feeds import runs as imports_runs

    c = cli_context(ctx)
    db = c.db
    if not now:
        queued = imports_runs.queue_import(
            db.uow(), c.actor, integration_id=integration, task_id=task, limit=limit
        )
        out = [{"run_id": q.run_id, "task_id": q.task_id, "job_id": q.job_id} for q in queued]
        if json:
            print_json(out)
        else:
            for o in out:
                typer.echo(f"queued import run {o['run_id']} (profile {o['task_id']}) as job {o['job_id']}")
        if queued and not queued[0].worker_alive:
            typer.echo(
                "warning: no worker takes jobs from the 'import' queue now; the import waits until one starts "
                "(rexbit serve, or rexbit queue work --queue=import), or run it here with --now.",
                err=True,
            )
        return

    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    results = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=json,
    ) as bar:
        bar_task = bar.add_task("import", total=None)

        def progress(done: int, total: int | None, message: str = "") -> None:
            bar.update(bar_task, completed=done, total=total, description=message or "import")

        runs = imports.create_import_runs(
            db.uow(), c.actor, integration_id=integration, task_id=task, limit=limit
        )
        for r in runs:
            results.append(imports.execute_run_now(db.uow, r.id, progress=progress))
    if json:
        print_json(results)
    else:
        for r in results:
            _print_run(r)
    if any(r.status != "succeeded" for r in results):
        raise typer.Exit(1)


@app.command("runs")
def runs(
    ctx: typer.Context,
    integration: int = typer.Option(None, "--integration"),
    task: int = typer.Option(None, "--task"),
    limit: int = typer.Option(20, "--limit"),
    json: bool = JsonOption,
) -> None:
    """Import run history, newest first, with the first errors and their line numbers."""
    from rexbit_desktop.services.feeds import runs as imports_runs

    c = cli_context(ctx)
    rows = imports_runs.list_runs(c.db.uow(), c.actor, integration_id=integration, task_id=task, limit=limit)
    if json:
        print_json(rows)
    else:
        for r in rows:
            _print_run(r)


@app.command("preview")
def preview(
    ctx: typer.Context,
    config: Path = typer.Option(..., "--config", help="A profile JSON file (as for task-create)."),
    rows: int = typer.Option(10, "--rows"),
    json: bool = JsonOption,
) -> None:
    """Show the header and first rows of a feed as the import would read them."""
    from rexbit_desktop.services import integrations

    c = cli_context(ctx)
    data = _read_json(config)
    dto = integrations.preview_feed(
        c.actor,
        source_location=_resolve_source(str(data.get("source_location") or ""), config),
        format=str(data.get("format") or ""),
        options=data.get("options"),
        mappings=data.get("mappings"),
        rows=rows,
    )
    if json:
        print_json(dto)
        return
    typer.echo("detected: " + ", ".join(f"{k}={v!r}" for k, v in dto.detected.items()))
    columns = list(dto.headers)
    for row in dto.rows:  # values read through a mapping path (XML) that is not a column of its own
        columns += [k for k in row if k not in columns]
    typer.echo("columns:  " + " | ".join(columns))
    for row in dto.rows:
        typer.echo("  " + " | ".join(str(row.get(c, "")) for c in columns))
