"""Delivering one outbox message (the body of the ``mail:send_message`` job): claim it, build the MIME
message with its attachments, hand it to the account's SMTP connection, record the answer.

See outbox.py for the guarantees: ``sending`` is committed before DATA, so a job that finds its message
``sending`` marks it ``uncertain`` instead of sending it a second time.
"""

from __future__ import annotations

import io
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.mail.config import validate_mail_config
from rexbit_desktop.adapters.mail.smtp import (
    POOL,
    MailDeliveryError,
    PermanentMailError,
    SmtpReply,
    TemporaryMailError,
    UncertainDelivery,
)
from rexbit_desktop.adapters.pdf.render import render_pdf
from rexbit_desktop.db.models.mail import MailAttempt, MailMessage
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.errors import NotFound, RexbitError

log = logging.getLogger(__name__)


class RetryLater(RexbitError):
    """The server answered 4xx (or could not be reached): the job is tried again after ``delay`` seconds."""

    def __init__(
        self, message: str, delay: float, *, code: str | None = None, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.delay = delay


@dataclass(frozen=True)
class Delivery:
    message_id: int
    state: str
    attempt: int
    reply: str | None = None


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _record_attempt(
    session: Session, message: int, attempt: int, outcome: str, code: int | None, reply: str | None
) -> None:
    session.add(
        MailAttempt(
            message_id=message,
            attempt=attempt,
            outcome=outcome,
            smtp_code=code,
            reply=reply,
            worker=_worker_name(),
        )
    )


def _attachments(db: Database, number: str, kinds: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    from rexbit_desktop.services.orders.pdfs import build_order_documents

    files: list[tuple[str, bytes]] = []
    with db.uow() as uow:
        for entry in kinds:
            docs = build_order_documents(uow.session, number, str(entry["kind"]))
            for n, doc in enumerate(docs, start=1):
                buffer = io.BytesIO()
                render_pdf(doc, buffer)
                name = str(entry["filename"])
                if n > 1:
                    name = name.replace(".pdf", f"-{n}.pdf")
                files.append((name, buffer.getvalue()))
    return files


def build_mime(row: Any, order_number: str | None, files: list[tuple[str, bytes]]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = row.from_address
    msg["To"] = Address(addr_spec=row.to_address) if "@" in row.to_address else row.to_address
    if row.reply_to:
        msg["Reply-To"] = row.reply_to
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = row.message_id
    if order_number:
        msg["X-Rexbit-Order"] = order_number
    msg.set_content(row.body_text)
    if row.body_html:
        msg.add_alternative(row.body_html, subtype="html")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg


FINAL_STATES = ("sent", "failed", "uncertain")

# The job's statements, each one round trip in autocommit (a transaction around each would double them).
_CLAIM = text(
    "UPDATE mail_messages m SET attempts = m.attempts + 1"
    " WHERE m.id = :id AND m.state IN ('queued', 'retrying')"
    " RETURNING m.id, m.attempts, m.order_id, m.account_id, m.from_address, m.to_address, m.reply_to,"
    " m.subject, m.body_text, m.body_html, m.attachments, m.message_id,"
    " (SELECT o.number FROM orders o WHERE o.id = m.order_id) AS order_number,"
    " (SELECT a.config FROM mail_accounts a WHERE a.id = m.account_id) AS account_config"
)
_MARK_SENDING = text("UPDATE mail_messages SET state = 'sending', sending_since = now() WHERE id = :id")
_FINISH = text(
    "WITH attempt AS (INSERT INTO mail_attempts (message_id, attempt, outcome, smtp_code, reply, worker)"
    " VALUES (:id, :attempt, :outcome, :code, :reply, :worker))"
    " UPDATE mail_messages SET state = :state, last_error = :error,"
    " sent_at = CASE WHEN CAST(:sent AS boolean) THEN now() ELSE sent_at END WHERE id = :id"
)


def _lost_attempt(db: Database, message_id: int) -> Delivery:
    """The message was not claimable: it is final already, or an earlier attempt died in 'sending'."""
    with db.uow() as uow:
        s = uow.session
        row = s.scalars(select(MailMessage).where(MailMessage.id == message_id).with_for_update()).first()
        if row is None:
            raise NotFound(
                f"There is no outbox message {message_id}.",
                code="mail_message_not_found",
                params={"id": message_id},
            )
        if row.state != "sending":
            return Delivery(row.id, row.state, row.attempts, row.last_error)
        # An earlier attempt committed "sending" and never recorded the answer: it died while the
        # message was being handed over (or just after the server took it). Sending again could mail
        # the customer twice, so it is not done on its own.
        reason = (
            "The worker stopped while the message was being handed to the mail server; it was not "
            "sent again (it may have arrived). Send it again from the order if the customer did not get it."
        )
        row.state, row.last_error = "uncertain", reason
        _record_attempt(s, row.id, row.attempts, "uncertain", None, reason)
        uow.commit()
        log.warning(
            "mail %s (%s): found 'sending' after a lost attempt; marked uncertain", row.id, row.message_id
        )
        return Delivery(row.id, "uncertain", row.attempts, reason)


def deliver(db: Database, message_id: int) -> Delivery:
    """Send one outbox message (the body of ``mail:send_message``); see the module's docstring.

    Raises ``RetryLater`` for a temporary failure with attempts left, ``MailDeliveryError`` when the
    message failed for good (the job fails with the server's answer)."""
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(_CLAIM, {"id": message_id}).first()
        if row is None:
            return _lost_attempt(db, message_id)
        attempt = int(row.attempts)

        def finish(outcome: str, code: int | None, reply: str | None, state: str) -> None:
            conn.execute(
                _FINISH,
                {
                    "id": message_id, "attempt": attempt, "outcome": outcome, "code": code, "reply": reply,
                    "worker": _worker_name(), "state": state,
                    "sent": state == "sent", "error": None if state == "sent" else reply,
                },
            )  # fmt: skip

        if row.account_config is None:
            finish("failed", None, "The message's mail account was deleted.", "failed")
            raise PermanentMailError("The message's mail account was deleted.", code="mail_account_deleted")
        cfg = validate_mail_config(dict(row.account_config))
        order_number = row.order_number
        try:
            files = (
                _attachments(db, order_number, list(row.attachments))
                if row.attachments and order_number
                else []
            )
        except RexbitError as exc:  # e.g. a WZ attached before the order has one
            finish("failed", None, f"Attachment: {exc.message}", "failed")
            raise PermanentMailError(
                f"The attachment cannot be made: {exc.message}",
                code="mail_attachment_failed",
                params={"reason": exc.message, "cause": exc.code or "", "cause_params": exc.params},
            ) from None
        data = build_mime(row, order_number, files).as_bytes(policy=SMTP_POLICY)
        delays = list(cfg.get("retry_delays") or [])
        pool_key = str(row.account_id)

        def mark_sending() -> None:
            conn.execute(_MARK_SENDING, {"id": message_id})

        try:
            try:
                session = POOL.session(pool_key, cfg)
                reply: SmtpReply = session.send(
                    cfg["from_address"],
                    [row.to_address],
                    data,
                    before_data=mark_sending,
                )
            except UncertainDelivery:
                POOL.discard(pool_key)
                raise
        except UncertainDelivery as exc:
            finish("uncertain", exc.smtp_code, exc.message, "uncertain")
            log.warning("mail %s: %s", message_id, exc.message)
            return Delivery(message_id, "uncertain", attempt, exc.message)
        except TemporaryMailError as exc:
            reply_text = exc.reply or exc.message
            if attempt <= len(delays):
                finish("retry", exc.smtp_code, reply_text, "retrying")
                raise RetryLater(
                    f"attempt {attempt}: {exc.message}",
                    delays[attempt - 1],
                    code="mail_retry_later",
                    params={**exc.params, "attempt": attempt, "reason": exc.message},
                ) from None
            finish("failed", exc.smtp_code, reply_text, "failed")
            raise PermanentMailError(
                f"{exc.message} Gave up after {attempt} attempts.",
                smtp_code=exc.smtp_code,
                reply=exc.reply,
                code="mail_gave_up",
                params={**exc.params, "attempts": attempt, "reason": exc.message},
            ) from None
        except MailDeliveryError as exc:
            finish("failed", exc.smtp_code, exc.reply or exc.message, "failed")
            raise
        finish("sent", reply.code, f"{reply.code} {reply.text}", "sent")
        return Delivery(message_id, "sent", attempt, f"{reply.code} {reply.text}")
