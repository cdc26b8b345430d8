"""Mail accounts (settings, manager/admin only): SMTP for sending, optionally IMAP for replies.

The passwords never leave this module except into the SMTP/IMAP login: DTOs carry the redacted config.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.mail.config import redacted_config, sender, validate_mail_config
from rexbit_desktop.adapters.mail.imap import ImapFolder
from rexbit_desktop.adapters.mail.smtp import SmtpSession
from rexbit_desktop.db.models.mail import MailAccount
from rexbit_desktop.db.models.scheduling import Schedule
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission

FETCH_SCHEDULE = "fetch-mail"


@dataclass(frozen=True)
class MailAccountDTO:
    id: int
    name: str
    is_default: bool
    config: dict[str, Any]
    """Redacted: passwords shown as ***."""
    has_imap: bool


def _dto(row: MailAccount) -> MailAccountDTO:
    cfg = validate_mail_config(dict(row.config or {}))
    return MailAccountDTO(row.id, row.name, row.is_default, redacted_config(cfg), bool(cfg.get("imap_host")))


def load_account(session: Session, name: str | None = None) -> tuple[MailAccount, dict[str, Any]]:
    """An account by name, or the default one; its config validated (passwords in it: keep it inside)."""
    stmt = select(MailAccount)
    if name:
        stmt = stmt.where(MailAccount.name == name.strip())
    else:
        stmt = stmt.order_by(MailAccount.is_default.desc(), MailAccount.id).limit(1)
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(
            f"There is no mail account '{name}'." if name else "No mail account is set up.",
            code="mail_no_account",
            params={"name": name or ""},
        )
    return row, validate_mail_config(dict(row.config or {}))


def account_by_id(session: Session, account_id: int) -> tuple[MailAccount, dict[str, Any]]:
    row = session.get(MailAccount, account_id)
    if row is None:
        raise NotFound(
            f"Mail account {account_id} does not exist any more.",
            code="mail_account_gone",
            params={"id": account_id},
        )
    return row, validate_mail_config(dict(row.config or {}))


def list_mail_accounts(uow: UnitOfWork, actor: Actor) -> list[MailAccountDTO]:
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        return [_dto(r) for r in uow.session.scalars(select(MailAccount).order_by(MailAccount.id))]


def _sync_fetch_schedule(session: Session) -> None:
    """The reply fetch runs on its schedule only while some account has an IMAP server."""
    any_imap = any(
        validate_mail_config(dict(cfg or {})).get("imap_host")
        for cfg in session.scalars(select(MailAccount.config))
    )
    session.execute(update(Schedule).where(Schedule.name == FETCH_SCHEDULE).values(enabled=any_imap))


def set_mail_account(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    changes: dict[str, Any],
    *,
    default: bool | None = None,
) -> MailAccountDTO:
    """Create an account or change some of its keys (a key given as None goes back to its default;
    the password is kept unless a new one or ``password_env`` is given)."""
    actor.require(Permission.SETTINGS_EDIT)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "Give the mail account a name (up to 100 characters).",
            code="mail_account_name",
            params={"max": 100},
        )
    with uow:
        s = uow.session
        row = s.scalars(select(MailAccount).where(MailAccount.name == name).with_for_update()).first()
        merged = dict(row.config or {}) if row is not None else {}
        if changes.get("password_env"):
            merged.pop("password", None)
        if changes.get("password"):
            merged.pop("password_env", None)
        if changes.get("imap_password_env"):
            merged.pop("imap_password", None)
        if changes.get("imap_password"):
            merged.pop("imap_password_env", None)
        for key, value in changes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        cfg = validate_mail_config(merged)
        stored = {k: v for k, v in cfg.items() if k in merged or k in ("smtp_host", "from_address")}
        if row is None:
            first = s.scalar(select(MailAccount.id).limit(1)) is None
            row = MailAccount(name=name, config=stored, is_default=first if default is None else default)
            s.add(row)
        else:
            row.config = stored
        row.updated_by = actor.login
        s.flush()
        if default:
            s.execute(update(MailAccount).where(MailAccount.id != row.id).values(is_default=False))
            row.is_default = True
        _sync_fetch_schedule(s)
        dto = _dto(row)
        uow.commit()
        return dto


def delete_mail_account(uow: UnitOfWork, actor: Actor, name: str) -> None:
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        row, _cfg = load_account(uow.session, name)
        uow.session.delete(row)
        uow.session.flush()
        _sync_fetch_schedule(uow.session)
        uow.commit()


@dataclass(frozen=True)
class AccountCheck:
    account: str
    ok: bool
    detail: str
    recipient: str = ""
    """The test e-mail's recipient."""
    messages: int | None = None
    """The messages in the reply folder (the inbox check)."""


def send_test_mail(
    uow: UnitOfWork, actor: Actor, *, to: str | None = None, account: str | None = None
) -> AccountCheck:
    """ "Send a test e-mail": connect, log in and send one short message now (not through the outbox).
    Errors (bad login, TLS, unreachable host) are raised with a clear message."""
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        row, cfg = load_account(uow.session, account)
        name = row.name
    recipient = (to or cfg["from_address"]).strip()
    msg = EmailMessage()
    msg["From"] = sender(cfg)
    msg["To"] = recipient
    msg["Subject"] = "rexbit: wiadomość testowa"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(
        "rexbit-test." + uuid.uuid4().hex[:8], domain=cfg["from_address"].rsplit("@", 1)[1]
    )
    msg.set_content(f"Konto pocztowe „{name}” w rexbit działa ({cfg['smtp_host']}:{cfg['smtp_port']}).\n")
    session = SmtpSession(cfg).connect()
    try:
        reply = session.send(cfg["from_address"], [recipient], msg.as_bytes(policy=SMTP_POLICY))
    finally:
        session.close()
    return AccountCheck(name, True, f"sent to {recipient}: {reply.code} {reply.text}", recipient=recipient)


def check_inbox(uow: UnitOfWork, actor: Actor, *, account: str | None = None) -> AccountCheck:
    """ "Check the inbox": log in to IMAP and open the reply folder (read-only)."""
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        row, cfg = load_account(uow.session, account)
        name = row.name
    with ImapFolder(cfg) as folder:
        count = len(folder.uids_after(0))
    return AccountCheck(
        name, True, f"folder {cfg['imap_folder']} on {cfg['imap_host']}: {count} message(s)", messages=count
    )
