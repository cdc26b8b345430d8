"""Replies: read the accounts' IMAP folders and put each customer's answer into its order's timeline.

A reply belongs to an order when its ``In-Reply-To`` or ``References`` names the ``Message-ID`` of an
e-mail we sent, else when its subject contains an order number. Anything else is left in the mailbox as
it was (the folder is opened read-only). A message fetched again (a second ``mail fetch``, a reset
cursor) is stored once: ``(account, Message-ID)`` is unique.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from rexbit_desktop.adapters.mail.config import validate_mail_config
from rexbit_desktop.adapters.mail.imap import ImapFolder
from rexbit_desktop.db.models.mail import MailAccount, MailMessage, MailReply
from rexbit_desktop.db.models.orders import Order
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.roles import Actor, Permission

log = logging.getLogger(__name__)

_MSGID = re.compile(r"<[^<>\s]+>")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*[A-Za-z0-9]")
MAX_BODY = 100_000


@dataclass
class FetchResult:
    accounts: int = 0
    fetched: int = 0
    matched: int = 0
    stored: int = 0
    """New replies stored (a reply fetched before is matched again but not stored twice)."""
    unmatched: int = 0
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Parsed:
    header_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    body: str
    date: datetime | None


def _text_body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        text = re.sub(r"<[^>]+>", " ", text)
    return str(text)[:MAX_BODY]


def parse_mail(raw: bytes) -> _Parsed:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    header_id = str(msg.get("Message-ID") or "").strip()
    if not header_id:  # no Message-ID: the content's hash keeps a second fetch from storing it again
        header_id = f"<sha256.{hashlib.sha256(raw).hexdigest()}@rexbit.invalid>"
    date = None
    try:
        date = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    return _Parsed(
        header_id=header_id[:300],
        in_reply_to=_MSGID.findall(str(msg.get("In-Reply-To") or "")),
        references=_MSGID.findall(str(msg.get("References") or "")),
        subject=str(msg.get("Subject") or ""),
        from_address=parseaddr(str(msg.get("From") or ""))[1] or str(msg.get("From") or ""),
        body=_text_body(msg),
        date=date,
    )


def _match(session: Any, mail: _Parsed) -> tuple[int, int | None, str] | None:
    """(order id, our message id, how) or None."""
    for how, ids in (("in_reply_to", mail.in_reply_to), ("references", mail.references)):
        if ids:
            row = session.execute(
                select(MailMessage.order_id, MailMessage.id)
                .where(MailMessage.message_id.in_(ids), MailMessage.order_id.is_not(None))
                .order_by(MailMessage.id.desc())
                .limit(1)
            ).first()
            if row is not None:
                return row.order_id, row.id, how
    tokens = {t for t in _TOKEN.findall(mail.subject) if any(ch.isdigit() for ch in t)}
    if tokens:
        order_id = session.scalar(
            select(Order.id).where(Order.number.in_(tokens)).order_by(Order.id).limit(1)
        )
        if order_id is not None:
            return order_id, None, "subject"
    return None


def fetch_replies(uow: UnitOfWork, actor: Actor, *, account: str | None = None) -> FetchResult:
    """Read new mail of every account with IMAP (or the named one) and store the replies."""
    actor.require(Permission.ORDERS_EDIT)
    result = FetchResult()
    with uow:
        stmt = select(MailAccount).order_by(MailAccount.id)
        if account:
            stmt = stmt.where(MailAccount.name == account)
        accounts = [
            (
                row.id,
                row.name,
                validate_mail_config(dict(row.config or {})),
                row.inbox_uidvalidity,
                row.inbox_last_uid,
            )
            for row in uow.session.scalars(stmt)
        ]
    for account_id, name, cfg, uidvalidity, last_uid in accounts:
        if not cfg.get("imap_host"):
            continue
        result.accounts += 1
        with ImapFolder(cfg) as folder:
            start = (last_uid or 0) if folder.uidvalidity == uidvalidity else 0
            uids = folder.uids_after(start)
            mails = folder.fetch(uids)
        result.fetched += len(mails)
        with uow:
            s = uow.session
            for fetched in mails:
                mail = parse_mail(fetched.raw)
                found = _match(s, mail)
                if found is None:
                    result.unmatched += 1
                    continue
                order_id, our_id, how = found
                result.matched += 1
                inserted = s.execute(
                    pg_insert(MailReply)
                    .values(
                        account_id=account_id,
                        order_id=order_id,
                        in_reply_to_message_id=our_id,
                        header_message_id=mail.header_id,
                        matched_by=how,
                        from_address=mail.from_address[:300],
                        subject=mail.subject,
                        body_text=mail.body,
                        received_at=mail.date,
                    )
                    .on_conflict_do_nothing(
                        index_elements=[MailReply.account_id, MailReply.header_message_id]
                    )
                    .returning(MailReply.id)
                ).first()
                result.stored += inserted is not None
            s.execute(
                update(MailAccount)
                .where(MailAccount.id == account_id)
                .values(
                    inbox_uidvalidity=folder.uidvalidity,
                    inbox_last_uid=max([start, *uids]),
                )
            )
            uow.commit()
        log.info(
            "mail account %s: %d fetched, %d matched, %d unmatched",
            name,
            len(mails),
            result.matched,
            result.unmatched,
        )
    return result
