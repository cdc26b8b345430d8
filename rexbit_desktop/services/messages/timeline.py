"""The order's "Wiadomości" tab: every e-mail sent (attachments, who, state, attempts) and every reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from rexbit_desktop.db.models.mail import MailAttempt, MailMessage, MailReply, MailTemplate
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.workflow import find_order


@dataclass(frozen=True)
class AttemptDTO:
    attempt: int
    outcome: str
    smtp_code: int | None
    reply: str | None
    at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    """"sent" (our e-mail) or "reply" (the customer's)."""
    at: datetime
    subject: str
    body: str
    from_address: str
    to_address: str
    state: str
    """sent messages: queued, sending, retrying, sent, failed, uncertain; replies: received."""
    by: str
    """Who sent it (a login or job:…) / the customer's address."""
    message_id: str
    attachments: list[str] = field(default_factory=list)
    template: str | None = None
    error: str | None = None
    attempts: list[AttemptDTO] = field(default_factory=list)
    matched_by: str | None = None
    id: int = 0
    resend_of: int | None = None
    """The message this one sends again (``resend_message``)."""
    requested_at: datetime | None = None
    """When it was asked for (queued); ``at`` is when it went out."""


def _resend_of(trigger: str) -> int | None:
    kind, _, rest = trigger.partition(":")
    number = rest.partition(":")[0]
    return int(number) if kind == "resend" and number.isdigit() else None


def order_timeline(uow: UnitOfWork, actor: Actor, number: str) -> list[TimelineEntry]:
    """Messages and replies of an order, oldest first."""
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        order = find_order(s, number)
        messages = list(
            s.scalars(select(MailMessage).where(MailMessage.order_id == order.id).order_by(MailMessage.id))
        )
        attempts: dict[int, list[AttemptDTO]] = {}
        if messages:
            for a in s.scalars(
                select(MailAttempt)
                .where(MailAttempt.message_id.in_([m.id for m in messages]))
                .order_by(MailAttempt.message_id, MailAttempt.id)
            ):
                attempts.setdefault(a.message_id, []).append(
                    AttemptDTO(a.attempt, a.outcome, a.smtp_code, a.reply, a.at)
                )
        names = dict(
            s.execute(select(MailTemplate.code, MailTemplate.name).where(MailTemplate.language == "pl")).all()
        )
        entries = [
            TimelineEntry(
                kind="sent",
                at=m.sent_at or m.created_at,
                subject=m.subject,
                body=m.body_text,
                from_address=m.from_address,
                to_address=m.to_address,
                state=m.state,
                by=m.created_by,
                message_id=m.message_id,
                attachments=[str(a.get("filename")) for a in m.attachments or [] if isinstance(a, dict)],
                template=names.get(m.template_code or "", m.template_code),
                error=m.last_error,
                attempts=attempts.get(m.id, []),
                id=m.id,
                resend_of=_resend_of(m.trigger),
                requested_at=m.created_at,
            )
            for m in messages
        ]
        for r in s.scalars(select(MailReply).where(MailReply.order_id == order.id).order_by(MailReply.id)):
            entries.append(
                TimelineEntry(
                    kind="reply",
                    at=r.received_at or r.fetched_at,
                    subject=r.subject,
                    body=r.body_text,
                    from_address=r.from_address,
                    to_address="",
                    state="received",
                    by=r.from_address,
                    message_id=r.header_message_id,
                    matched_by=r.matched_by,
                    id=r.id,
                )
            )
    entries.sort(key=lambda e: (e.at, e.kind != "sent", e.id))
    return entries
