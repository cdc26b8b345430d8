"""E-mail to customers: accounts, templates, the outbox with its attempts, and replies fetched over IMAP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, created_at_column, updated_at_column


class MailAccount(Base):
    """An SMTP account (and optionally the IMAP folder its replies arrive in).

    ``config`` is validated by ``integrations/mail/config.py``; the password is never shown (``password_env``
    names an environment variable instead of storing it)."""

    __tablename__ = "mail_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    config: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    updated_by: Mapped[str | None] = mapped_column(String(100))
    # Where ``mail fetch`` got to in the IMAP folder: UIDs above ``inbox_last_uid`` are new (while the
    # folder's UIDVALIDITY stays the same; a new one makes the next fetch read the folder again).
    inbox_uidvalidity: Mapped[int | None]
    inbox_last_uid: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class MailTemplate(Base):
    """Subject and bodies (Jinja2, sandboxed) of one message kind in one language, with its attachments."""

    __tablename__ = "mail_templates"
    __table_args__ = (UniqueConstraint("code", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="pl", server_default="pl")
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Kinds of order documents attached: confirmation, packing, reservation, wz.
    attachments: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    updated_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class MailMessage(Base):
    """One e-mail to a customer: the outbox row while it waits, the record of what was sent afterwards.

    ``idempotency_key`` (order, template, trigger) makes enqueueing the same message twice a no-op;
    ``message_id`` is assigned before the first SMTP transaction and kept; ``state`` goes
    queued → sending → sent | failed | uncertain (the worker died between handing the message to the
    server and recording the answer: it is not sent again on its own)."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'sending', 'retrying', 'sent', 'failed', 'uncertain')", name="state"
        ),
        Index("ix_mail_messages_order_id_created_at", "order_id", "created_at"),
        Index("ix_mail_messages_state_created_at", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("mail_accounts.id", ondelete="SET NULL"))
    template_code: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(400), unique=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    from_address: Mapped[str] = mapped_column(String(300))
    to_address: Mapped[str] = mapped_column(String(300))
    reply_to: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    state: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
    sending_since: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class MailAttempt(Base):
    """One SMTP attempt of a message: its outcome and the server's reply."""

    __tablename__ = "mail_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # sent, retry, failed, uncertain
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    reply: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = created_at_column()


class MailReply(Base):
    """A customer's e-mail fetched from the IMAP folder and matched to an order (never stored twice)."""

    __tablename__ = "mail_replies"
    __table_args__ = (UniqueConstraint("account_id", "header_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mail_accounts.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    in_reply_to_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_messages.id", ondelete="SET NULL")
    )
    header_message_id: Mapped[str] = mapped_column(String(300))
    matched_by: Mapped[str] = mapped_column(String(16))  # in_reply_to, references, subject
    from_address: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = created_at_column()
