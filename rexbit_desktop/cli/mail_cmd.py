"""``rexbit mail …``: mail accounts, templates, automatic rules, the test e-mail and the reply fetch."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from rexbit_desktop.cli.common import JsonOption, cli_context, print_json
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.services.messages import accounts, automation, inbox, outbox, template_admin
from rexbit_desktop.services.messages.templates import TemplateSource

app = typer.Typer(
    help="E-mail to customers: accounts, templates, automatic rules, replies.", no_args_is_help=True
)
account_app = typer.Typer(help="Mail accounts (SMTP, optional IMAP for replies).", no_args_is_help=True)
template_app = typer.Typer(help="Message templates (Jinja2, checked when saved).", no_args_is_help=True)
rules_app = typer.Typer(
    help="Automatic e-mails: a template sent when an order enters a status.", no_args_is_help=True
)
app.add_typer(account_app, name="account")
app.add_typer(template_app, name="template")
app.add_typer(rules_app, name="rules")


def _read_secret(what: str) -> str:
    """A password from standard input (never a command-line argument: those show in `ps` and shell history)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{what}: ")
    return sys.stdin.readline().rstrip("\r\n")


@account_app.command("set")
def account_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The account's name, e.g. sklep."),
    smtp_host: str = typer.Option(None, "--smtp-host"),
    smtp_port: int = typer.Option(None, "--smtp-port", help="Default: 587 (starttls), 465 (ssl), 25 (none)."),
    security: str = typer.Option(None, "--security", help="starttls, ssl or none."),
    login: str = typer.Option(None, "--login"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the SMTP password from stdin."),
    password_env: str = typer.Option(
        None, "--password-env", help="Environment variable holding the password."
    ),
    from_address: str = typer.Option(None, "--from", help="Sender address."),
    from_name: str = typer.Option(None, "--from-name"),
    reply_to: str = typer.Option(None, "--reply-to"),
    imap_host: str = typer.Option(None, "--imap-host", help="IMAP server for replies (optional)."),
    imap_port: int = typer.Option(None, "--imap-port"),
    imap_security: str = typer.Option(None, "--imap-security", help="ssl, starttls or none."),
    imap_login: str = typer.Option(None, "--imap-login", help="Default: the SMTP login."),
    imap_password_stdin: bool = typer.Option(False, "--imap-password-stdin"),
    imap_password_env: str = typer.Option(None, "--imap-password-env"),
    imap_folder: str = typer.Option(None, "--imap-folder", help="Default: INBOX."),
    documents_url: str = typer.Option(None, "--documents-url", help="Link for customers, {number} = order."),
    retry_delays: str = typer.Option(
        None, "--retry-delays", help="Seconds between attempts after a 4xx, e.g. 60,300,1800."
    ),
    default: bool = typer.Option(None, "--default/--not-default"),
    json: bool = JsonOption,
) -> None:
    """Create a mail account or change some of its settings (manager, admin)."""
    c = cli_context(ctx)
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "smtp_host": smtp_host, "smtp_port": smtp_port, "security": security, "login": login,
            "password_env": password_env, "from_address": from_address, "from_name": from_name,
            "reply_to": reply_to, "imap_host": imap_host, "imap_port": imap_port, "imap_security": imap_security,
            "imap_login": imap_login, "imap_password_env": imap_password_env, "imap_folder": imap_folder,
            "documents_url": documents_url,
        }.items()
        if v is not None
    }  # fmt: skip
    if password_stdin:
        changes["password"] = _read_secret("SMTP password")
    if imap_password_stdin:
        changes["imap_password"] = _read_secret("IMAP password")
    if retry_delays is not None:
        try:
            changes["retry_delays"] = [float(x) for x in retry_delays.split(",") if x.strip()]
        except ValueError:
            raise ValidationError(
                "--retry-delays is a comma-separated list of seconds, e.g. 60,300,1800."
            ) from None
    dto = accounts.set_mail_account(c.db.uow(), c.actor, name, changes, default=default)
    if json:
        print_json(dto)
    else:
        typer.echo(f"mail account {dto.name} saved{' (default)' if dto.is_default else ''}")


@account_app.command("list")
def account_list(ctx: typer.Context, json: bool = JsonOption) -> None:
    """Mail accounts (passwords shown as ***)."""
    c = cli_context(ctx)
    rows = accounts.list_mail_accounts(c.db.uow(), c.actor)
    if json:
        print_json(rows)
        return
    for a in rows:
        cfg = a.config
        typer.echo(
            f"{a.name:<16} {'default' if a.is_default else '':<8} {cfg['from_address']:<30} "
            f"smtp {cfg['smtp_host']}:{cfg['smtp_port']} ({cfg['security']})"
            + (f"  imap {cfg['imap_host']}:{cfg['imap_port']}/{cfg['imap_folder']}" if a.has_imap else "")
        )


@account_app.command("delete")
def account_delete(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    c = cli_context(ctx)
    accounts.delete_mail_account(c.db.uow(), c.actor, name)
    typer.echo(f"mail account {name} deleted")


@app.command("test")
def test(
    ctx: typer.Context,
    to: str = typer.Option(None, "--to", help="Recipient (default: the sender address)."),
    account: str = typer.Option(None, "--account"),
    json: bool = JsonOption,
) -> None:
    """Send a test e-mail now (checks host, TLS and login)."""
    c = cli_context(ctx)
    result = accounts.send_test_mail(c.db.uow(), c.actor, to=to, account=account)
    print_json(result) if json else typer.echo(f"{result.account}: {result.detail}")


@app.command("check-inbox")
def check_inbox(
    ctx: typer.Context, account: str = typer.Option(None, "--account"), json: bool = JsonOption
) -> None:
    """Log in to the IMAP folder for replies (read-only)."""
    c = cli_context(ctx)
    result = accounts.check_inbox(c.db.uow(), c.actor, account=account)
    print_json(result) if json else typer.echo(f"{result.account}: {result.detail}")


@app.command("fetch")
def fetch(
    ctx: typer.Context, account: str = typer.Option(None, "--account"), json: bool = JsonOption
) -> None:
    """Fetch new replies from the IMAP folders and put them into their orders' timelines."""
    c = cli_context(ctx)
    r = inbox.fetch_replies(c.db.uow(), c.actor, account=account)
    if json:
        print_json(r)
    else:
        typer.echo(
            f"{r.accounts} account(s): {r.fetched} new message(s), {r.matched} matched to orders "
            f"({r.stored} new replies), {r.unmatched} left in the inbox"
        )


# ---------------------------------------------------------------- templates


@template_app.command("list")
def template_list(ctx: typer.Context, json: bool = JsonOption) -> None:
    c = cli_context(ctx)
    rows = template_admin.list_templates(c.db.uow(), c.actor)
    if json:
        print_json(rows)
        return
    for t in rows:
        attach = f"  [{', '.join(t.attachments)}]" if t.attachments else ""
        typer.echo(f"{t.code:<20} {t.language:<3} {t.name}{attach}")


@template_app.command("show")
def template_show(
    ctx: typer.Context, code: str = typer.Argument(...), language: str = typer.Option("pl", "--language"),
    json: bool = JsonOption,
) -> None:  # fmt: skip
    c = cli_context(ctx)
    t = template_admin.get_template(c.db.uow(), c.actor, code, language)
    if json:
        print_json(t)
        return
    typer.echo(
        f"subject: {t.subject}\nattachments: {', '.join(t.attachments) or '-'}\n--- text\n{t.body_text}"
    )
    if t.body_html:
        typer.echo(f"--- html\n{t.body_html}")


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}.") from None


@template_app.command("set")
def template_set(
    ctx: typer.Context,
    code: str = typer.Argument(...),
    language: str = typer.Option("pl", "--language"),
    name: str = typer.Option(None, "--name"),
    subject: str = typer.Option(None, "--subject"),
    text_file: Path = typer.Option(None, "--text-file", help="Plain-text body (Jinja2)."),
    html_file: Path = typer.Option(None, "--html-file", help="HTML body (Jinja2); '' clears it."),
    attach: str = typer.Option(None, "--attach", help="confirmation,packing,reservation,wz ('' for none)."),
) -> None:
    """Create or change a template; refused with the line when a variable is unknown or the syntax wrong."""
    c = cli_context(ctx)
    current: TemplateSource | None
    try:
        current = template_admin.get_template(c.db.uow(), c.actor, code, language)
        if current.language != language:  # another language of it exists: this one is new
            current = None
    except NotFound:
        current = None
    if current is None:
        if subject is None or text_file is None:
            raise ValidationError("A new template needs --subject and --text-file.")
        current = TemplateSource(code, language, name or code, subject, "", None, [])
    source = replace(
        current,
        name=name if name is not None else current.name,
        subject=subject if subject is not None else current.subject,
        body_text=_read(text_file) if text_file is not None else current.body_text,
        body_html=(_read(html_file) or None) if html_file is not None else current.body_html,
        attachments=[a.strip() for a in attach.split(",") if a.strip()]
        if attach is not None
        else current.attachments,
    )
    template_admin.save_template(c.db.uow(), c.actor, source)
    typer.echo(f"template {code} ({language}) saved")


@template_app.command("preview")
def template_preview(
    ctx: typer.Context, code: str = typer.Argument(...), order: str = typer.Option(..., "--order"),
    json: bool = JsonOption,
) -> None:  # fmt: skip
    """The template rendered for one order (nothing is sent)."""
    c = cli_context(ctx)
    m = template_admin.preview_template(c.db.uow(), c.actor, order, code)
    _print_message(m, json)


@template_app.command("variables")
def template_variables() -> None:
    """The variables a template may use."""
    for name, description in template_admin.template_variables():
        typer.echo(f"{name:<60} {description}")


def _print_message(m: Any, json: bool) -> None:
    if json:
        print_json(m)
        return
    typer.echo(f"From: {m.from_address}\nTo: {m.to_address}\nSubject: {m.subject}")
    if m.attachments:
        typer.echo("Attachments: " + ", ".join(m.attachments))
    if m.message_id:
        typer.echo(f"Message-ID: {m.message_id} ({m.state})")
    typer.echo("")
    typer.echo(m.body_text)


# ---------------------------------------------------------------- rules


@rules_app.command("show")
def rules_show(ctx: typer.Context, json: bool = JsonOption) -> None:
    c = cli_context(ctx)
    rules = automation.get_mail_rules(c.db.uow(), c.actor)
    if json:
        print_json(rules)
        return
    for r in rules:
        typer.echo(
            f"{'on ' if r.enabled else 'off'} {r.status:<22} → {r.template:<20} "
            f"{'all orders' if r.sources is None else 'sources: ' + ', '.join(r.sources)}"
        )


@rules_app.command("set")
def rules_set(
    ctx: typer.Context,
    status: str = typer.Argument(..., help="The status an order enters, e.g. shipped."),
    template: str = typer.Argument(..., help="The template sent, e.g. order_shipped."),
    source: list[str] = typer.Option(
        None, "--source", help="Only orders of this source (repeat); default all."
    ),
    enable: bool = typer.Option(True, "--enable/--disable"),
) -> None:
    """Add or change the rule "send TEMPLATE when an order enters STATUS"."""
    c = cli_context(ctx)
    rules = [
        r
        for r in automation.get_mail_rules(c.db.uow(), c.actor)
        if (r.status, r.template) != (status, template)
    ]
    rules.append(automation.MailRule(status, template, list(source) if source else None, enable))
    automation.save_mail_rules(c.db.uow(), c.actor, rules)
    typer.echo(f"rule {status} → {template} {'on' if enable else 'off'}")


@rules_app.command("remove")
def rules_remove(
    ctx: typer.Context, status: str = typer.Argument(...), template: str = typer.Argument(...)
) -> None:
    c = cli_context(ctx)
    rules = automation.get_mail_rules(c.db.uow(), c.actor)
    kept = [r for r in rules if (r.status, r.template) != (status, template)]
    if len(kept) == len(rules):
        raise ValidationError(f"There is no rule {status} → {template}.", hint="See: rexbit mail rules show")
    automation.save_mail_rules(c.db.uow(), c.actor, kept)
    typer.echo(f"rule {status} → {template} removed")


@rules_app.command("language")
def rules_language(
    ctx: typer.Context,
    language: str = typer.Argument(
        None, help="Two letters, e.g. pl or en; without it: show the current one."
    ),
) -> None:
    """The language of e-mails to orders without one of their own (typed in); shop orders keep their
    customer's language, a template missing in a language is sent in Polish."""
    c = cli_context(ctx)
    settings = automation.get_mail_settings(c.db.uow(), c.actor)
    if language is None:
        typer.echo(settings.default_language)
        return
    automation.save_mail_rules(c.db.uow(), c.actor, settings.rules, default_language=language)
    typer.echo(f"default language of e-mails: {language.strip().lower()}")


@app.command("resend")
def resend(
    ctx: typer.Context,
    message: int = typer.Argument(
        ..., help="The outbox message id (rexbit orders mail … --json, the timeline)."
    ),
    json: bool = JsonOption,
) -> None:
    """Send again an e-mail that failed or may not have arrived (uncertain): a copy with a new Message-ID."""
    c = cli_context(ctx)
    m = outbox.resend_message(c.db.uow(), c.actor, message)
    if json:
        print_json(m)
        return
    typer.echo(f"message {message} queued again as {m.id} to {m.to_address} ({m.message_id})")
