"""``rexbit rules list|show|add|test|enable|disable|delete|run`` and
``rexbit webhooks list|add|test|deliveries|resend|enable|disable|rotate-secret``."""

from __future__ import annotations

import json as jsonlib
import os
from pathlib import Path

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json
from rexbit_desktop.domain.automation import rule_to_dict
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.automation import engine, rules, webhooks

rules_app = typer.Typer(help="Automation rules: event → conditions → actions.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Outbound webhooks (Standard Webhooks).", no_args_is_help=True)


def _rule_line(r: rules.Rule) -> str:
    state = "on " if r.enabled else "off"
    kind = "  (built-in)" if r.builtin else ""
    return f"{r.id:>4}  {state}  prio {r.priority:<4} {r.event:<17} {r.name}{kind}"


@rules_app.command("list")
def rules_list(ctx: typer.Context, json: bool = JsonOption) -> None:
    """List the rules, in the order they run (priority, then id)."""
    c = cli_context(ctx)
    found = rules.list_rules(c.db.uow(), c.actor)
    if json:
        print_json([rule_to_dict(r) for r in found])
        return
    for r in found:
        typer.echo(_rule_line(r))


@rules_app.command("show")
def rules_show(ctx: typer.Context, rule_id: int = typer.Argument(...)) -> None:
    """One rule as JSON (the form 'rules add --file' takes)."""
    c = cli_context(ctx)
    print_json(rule_to_dict(rules.get_rule(c.db.uow(), c.actor, rule_id)))


def _read_rule(path: Path) -> dict[str, object]:
    try:
        data = jsonlib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}.") from None
    except jsonlib.JSONDecodeError as exc:
        raise ValidationError(f"{path} is not JSON: {exc.msg} (line {exc.lineno}).") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path} must hold one rule (a JSON object).")
    return data


@rules_app.command("add")
def rules_add(
    ctx: typer.Context,
    file: Path = typer.Option(..., "--file", help="The rule as JSON (see docs/automation.md)."),
    replace: int = typer.Option(None, "--replace", help="Replace the rule with this id instead of adding."),
    json: bool = JsonOption,
) -> None:
    """Add (or replace) a rule from a JSON file."""
    c = cli_context(ctx)
    rule = rules.save_rule(c.db.uow(), c.actor, _read_rule(file), rule_id=replace)
    if json:
        print_json(rule_to_dict(rule))
    else:
        typer.echo(f"rule {rule.id} saved: {rule.name}")


@rules_app.command("test")
def rules_test(
    ctx: typer.Context,
    rule_id: int = typer.Argument(...),
    limit: int = typer.Option(200, "--limit", help="At most this many order numbers listed."),
    json: bool = JsonOption,
) -> None:
    """Dry run: which open orders would the rule's conditions match now? Changes nothing."""
    c = cli_context(ctx)
    result = rules.dry_run(c.db.uow(), c.actor, rule_id, limit=limit)
    if json:
        print_json(result)
        return
    typer.echo(
        f"rule {result.rule_id} ({result.rule_name}): {result.matched} of {result.checked} open orders match"
    )
    for number in result.orders:
        typer.echo(f"  {number}")


@rules_app.command("enable")
def rules_enable(ctx: typer.Context, rule_id: int = typer.Argument(...)) -> None:
    """Switch a rule on."""
    c = cli_context(ctx)
    typer.echo(_rule_line(rules.set_rule_enabled(c.db.uow(), c.actor, rule_id, True)))


@rules_app.command("disable")
def rules_disable(ctx: typer.Context, rule_id: int = typer.Argument(...)) -> None:
    """Switch a rule off."""
    c = cli_context(ctx)
    typer.echo(_rule_line(rules.set_rule_enabled(c.db.uow(), c.actor, rule_id, False)))


@rules_app.command("delete")
def rules_delete(ctx: typer.Context, rule_id: int = typer.Argument(...)) -> None:
    """Delete a rule (built-in rules can only be switched off)."""
    c = cli_context(ctx)
    rules.delete_rule(c.db.uow(), c.actor, rule_id)
    typer.echo(f"rule {rule_id} deleted")


@rules_app.command("run")
def rules_run(ctx: typer.Context, json: bool = JsonOption) -> None:
    """Handle the waiting events now (what the 'automation:process_events' job does)."""
    c = cli_context(ctx)
    result = engine.process_events(c.db)
    if json:
        print_json(result.as_dict())
    else:
        typer.echo(", ".join(f"{k} {v}" for k, v in result.as_dict().items()))


# ------------------------------------------------------------------ webhooks


@webhooks_app.command("list")
def webhooks_list(ctx: typer.Context, json: bool = JsonOption) -> None:
    """Endpoints with their deliveries by status (secrets are never shown)."""
    c = cli_context(ctx)
    found = webhooks.list_endpoints(c.db.uow(), c.actor)
    if json:
        print_json(found)
        return
    for e in found:
        state = "on " if e.enabled else "off"
        typer.echo(
            f"{e.id:>4}  {state}  {e.name:<20} {e.url}  [{', '.join(e.event_types) or 'rules only'}]  "
            f"pending {e.pending}, delivered {e.delivered}, failed {e.failed}"
            + (f"  — {e.disabled_reason}" if e.disabled_reason else "")
        )


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")


@webhooks_app.command("add")
def webhooks_add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name"),
    url: str = typer.Option(..., "--url", help="https://… of the receiver."),
    events: str = typer.Option("orders.updated", "--events", help="Comma-separated webhook types."),
    secret_file: Path = typer.Option(
        ...,
        "--secret-file",
        help="The whsec_ secret: read from this file if it exists, else generated and written there (0600).",
    ),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Admin only: allow a target in a private or loopback range."
    ),
    json: bool = JsonOption,
) -> None:
    """Add an endpoint. The secret never appears on screen: it is read from or written to a file."""
    c = cli_context(ctx)
    given = None
    if secret_file.exists():
        given = secret_file.read_text(encoding="utf-8").strip()
    dto, secret = webhooks.add_endpoint(
        c.db.uow(),
        c.actor,
        name=name,
        url=url,
        event_types=[e for e in events.split(",") if e.strip()],
        secret=given,
        allow_private=allow_private,
    )
    if given is None:
        _write_secret(secret_file, secret)
    if json:
        print_json(dto)
    else:
        typer.echo(
            f"endpoint {dto.id} ({dto.name}) added; secret {'read from' if given else 'written to'} {secret_file}"
        )


@webhooks_app.command("test")
def webhooks_test(ctx: typer.Context, endpoint: str = typer.Argument(...), json: bool = JsonOption) -> None:
    """Send a 'webhook.test' message now and show the answer."""
    c = cli_context(ctx)
    d = webhooks.test_endpoint(c.db, c.actor, endpoint)
    if json:
        print_json(d)
        return
    last = d.history[-1] if d.history else None
    code = last.status_code if last else None
    typer.echo(f"{d.status}: {code if code is not None else (last.response if last else '')}")
    if d.status != "delivered":
        raise typer.Exit(1)


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    ctx: typer.Context,
    endpoint: str = typer.Option(None, "--endpoint"),
    limit: int = typer.Option(20, "--limit"),
    json: bool = JsonOption,
) -> None:
    """The latest deliveries with their attempts and answers, newest first."""
    c = cli_context(ctx)
    found = webhooks.list_deliveries(c.db.uow(), c.actor, endpoint=endpoint, limit=limit)
    if json:
        print_json(found)
        return
    for d in found:
        typer.echo(
            f"{d.id:>6}  {d.status:<9} {d.endpoint:<16} {d.type:<22} {d.order_number or '-':<22} "
            f"attempts {d.attempts}  last {d.last_status_code or '-'}  {d.msg_id}"
        )
        for a in d.history:
            typer.echo(
                f"          #{a.attempt} {a.status_code or '-'} {a.duration_ms} ms {(a.response or '')[:80]!r}"
            )


@webhooks_app.command("resend")
def webhooks_resend(ctx: typer.Context, delivery_id: int = typer.Argument(...)) -> None:
    """Send a delivery again (same webhook-id)."""
    c = cli_context(ctx)
    webhooks.send_again(c.db.uow(), c.actor, delivery_id)
    typer.echo(f"delivery {delivery_id} queued again")


@webhooks_app.command("enable")
def webhooks_enable(ctx: typer.Context, endpoint: str = typer.Argument(...)) -> None:
    c = cli_context(ctx)
    webhooks.update_endpoint(c.db.uow(), c.actor, endpoint, enabled=True)
    typer.echo(f"endpoint {endpoint} switched on")


@webhooks_app.command("disable")
def webhooks_disable(ctx: typer.Context, endpoint: str = typer.Argument(...)) -> None:
    c = cli_context(ctx)
    webhooks.update_endpoint(c.db.uow(), c.actor, endpoint, enabled=False)
    typer.echo(f"endpoint {endpoint} switched off")


@webhooks_app.command("rotate-secret")
def webhooks_rotate(
    ctx: typer.Context,
    endpoint: str = typer.Argument(...),
    secret_file: Path = typer.Option(..., "--secret-file", help="Where the new secret is written (0600)."),
    drop_old: bool = typer.Option(False, "--drop-old", help="Sign with the new secret only."),
) -> None:
    """A new secret; the old one keeps signing alongside until --drop-old."""
    c = cli_context(ctx)
    secret = webhooks.rotate_secret(c.db.uow(), c.actor, endpoint, keep_old=not drop_old)
    _write_secret(secret_file, secret)
    typer.echo(f"new secret written to {secret_file}")
