"""The outbox: e-mails to customers rendered from templates, stored, then sent by a queued job.

Delivery is at-least-once up to the moment the message is handed to the server, and never twice:

* ``enqueue`` inserts the message under an idempotency key (order, template, trigger) — the same trigger
  (a retried status-change job, a double click) finds the row and adds nothing — and defers
  ``mail:send_message`` in the same transaction. Its ``Message-ID`` is assigned here and never changes.
* ``deliver`` (the job, delivery.py) sends the envelope (MAIL FROM, RCPT TO), then commits ``state = 'sending'``,
  then sends DATA and records the answer. A job that finds its message ``sending`` knows an earlier
  attempt died while handing it over: the server may have it, so it is marked ``uncertain`` and **not**
  sent again (an operator may send it again from the order). Any failure before that commit (no
  connection, a 4xx to the envelope, a worker killed before DATA) is retried.
* 4xx answers are retried with the account's ``retry_delays``; 5xx answers fail the message at once with
  the server's reply kept (timeline, ``queue failed``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.mail.config import sender
from rexbit_desktop.db.models.mail import MailMessage
from rexbit_desktop.db.models.orders import Order, OrderAuditLog
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.messages.accounts import load_account
from rexbit_desktop.services.messages.compose import OutgoingMessage, mail_details, message_id_for, prepare
from rexbit_desktop.services.orders.workflow import find_order

SEND_TASK = "mail:send_message"


# The messages and their jobs in one statement: a message is stored (or found under its idempotency
# key, then nothing is added) and its ``mail:send_message`` job deferred in the caller's transaction.
_STORE = text(
    "WITH new AS ("
    " INSERT INTO mail_messages (order_id, account_id, template_code, trigger, idempotency_key, message_id,"
    " from_address, to_address, reply_to, subject, body_text, body_html, attachments, created_by)"
    " SELECT r.order_id, r.account_id, r.template_code, r.trigger, r.idempotency_key, r.message_id,"
    " r.from_address, r.to_address, r.reply_to, r.subject, r.body_text, r.body_html,"
    " coalesce(r.attachments, '[]'::jsonb), r.created_by"
    " FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(order_id bigint, account_id bigint,"
    " template_code text, trigger text, idempotency_key text, message_id text, from_address text,"
    " to_address text, reply_to text, subject text, body_text text, body_html text, attachments jsonb,"
    " created_by text)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
    " RETURNING id, idempotency_key, message_id)"
    " SELECT new.id, new.idempotency_key, new.message_id,"
    " (SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, 'mail-message-' || new.id, NULL,"
    " jsonb_build_object('message_id', new.id), NULL)::procrastinate_job_to_defer_v1]))) AS job_id"
    " FROM new"
)
SEND_QUEUE = "mail"
"""The queue of ``mail:send_message`` (its declaration in jobs/tasks_mail.py says the same)."""


def _store(session: Session, prepared: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[OutgoingMessage]:
    result: list[OutgoingMessage] = []
    for start in range(0, len(prepared), 500):
        chunk = prepared[start : start + 500]
        stored = {
            r.idempotency_key: r
            for r in session.execute(
                _STORE,
                {"rows": json.dumps([values for values, _ in chunk]), "queue": SEND_QUEUE, "task": SEND_TASK},
            )
        }
        missing = [
            values["idempotency_key"] for values, _ in chunk if values["idempotency_key"] not in stored
        ]
        earlier = {
            r.idempotency_key: r
            for r in session.execute(
                select(
                    MailMessage.id, MailMessage.idempotency_key, MailMessage.message_id, MailMessage.state
                ).where(MailMessage.idempotency_key.in_(missing))
            )
        } if missing else {}  # fmt: skip
        for values, shown in chunk:
            key = values["idempotency_key"]
            if key in stored:
                row = stored[key]
                result.append(
                    OutgoingMessage(
                        id=row.id, message_id=row.message_id, state="queued", created=True, **shown
                    )
                )
            else:  # enqueued before under this key: that message is reported, nothing is added
                row = earlier[key]
                result.append(
                    OutgoingMessage(
                        id=row.id, message_id=row.message_id, state=row.state, created=False, **shown
                    )
                )
    return result


def enqueue(
    session: Session,
    actor: Actor,
    order: Order,
    template_code: str,
    trigger: str,
    *,
    account: str | None = None,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str | None = None,
    dry_run: bool = False,
) -> OutgoingMessage:
    """Render and store one e-mail for an order and defer its job (inside the caller's transaction)."""
    detail = mail_details(session, [order])[order.id]
    values, shown = prepare(
        session, actor, order, detail, template_code, trigger,
        account=account, subject=subject, body_text=body_text, body_html=body_html,
    )  # fmt: skip
    if dry_run:
        return OutgoingMessage(id=None, message_id=None, state="dry-run", created=False, **shown)
    return _store(session, [(values, shown)])[0]


def send_order_mail(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    template_code: str,
    *,
    account: str | None = None,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str | None = None,
    dry_run: bool = False,
    request_id: str | None = None,
) -> OutgoingMessage:
    """Send a template to the order's customer (queued), or only render it (``dry_run``).

    ``request_id`` names the operator's action: the same id sent twice (a double click, a retried
    request) stores one message."""
    actor.require(Permission.ORDERS_EDIT if not dry_run else Permission.VIEW)
    with uow:
        order = find_order(uow.session, number)
        result = enqueue(
            uow.session, actor, order, template_code, f"manual:{request_id or uuid.uuid4().hex}",
            account=account, subject=subject, body_text=body_text, body_html=body_html, dry_run=dry_run,
        )  # fmt: skip
        if not dry_run:
            uow.commit()
        return result


@dataclass(frozen=True)
class BulkResult:
    sent: list[OutgoingMessage] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Order number → why it got no e-mail (the CLI's text)."""
    refusals: dict[str, tuple[str | None, dict[str, Any]]] = field(default_factory=dict)
    """Order number → (error code, params), for the GUI to say it in the user's language."""


def send_bulk_mail(
    uow: UnitOfWork, actor: Actor, numbers: list[str], template_code: str, *, request_id: str | None = None
) -> BulkResult:
    """One e-mail per selected order, prepared and stored together (a handful of statements for the
    whole selection); an order that cannot get it (no e-mail address, no such order) is reported and
    the others are sent."""
    actor.require(Permission.ORDERS_EDIT)
    trigger = f"manual:{request_id or uuid.uuid4().hex}"
    result = BulkResult()
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    with uow:
        s = uow.session
        orders = {o.number: o for o in s.scalars(select(Order).where(Order.number.in_(wanted)))}
        details = mail_details(s, list(orders.values())) if orders else {}
        prepared = []
        for number in wanted:
            order = orders.get(number)
            if order is None:
                result.errors[number] = f"There is no order '{number}'."
                result.refusals[number] = ("order_not_found", {"number": number})
                continue
            try:
                prepared.append(prepare(s, actor, order, details[order.id], template_code, trigger))
            except RexbitError as exc:
                result.errors[number] = exc.message
                code = exc.code if isinstance(exc.code, str) else None
                result.refusals[number] = (code, {**exc.params, "message": exc.message})
        result.sent.extend(_store(s, prepared))
        uow.commit()
    return result


RESENDABLE = ("uncertain", "failed")


def resend_message(
    uow: UnitOfWork, actor: Actor, message_id: int, *, request_id: str | None = None
) -> OutgoingMessage:
    """Send again an e-mail that may not have arrived (``uncertain``) or that failed: the same text and
    attachments as a new outbox message (a new idempotency key and ``Message-ID``, so the recipient's
    mailbox does not take it for the first), queued; the order's audit log records who asked.

    ``request_id`` names the operator's click: the same id twice queues one copy."""
    actor.require(Permission.ORDERS_EDIT)
    request = request_id or uuid.uuid4().hex
    with uow:
        s = uow.session
        old = s.get(MailMessage, message_id)
        if old is None:
            raise NotFound(
                f"There is no outbox message {message_id}.",
                code="mail_message_not_found",
                params={"id": message_id},
            )
        if old.state not in RESENDABLE:
            raise ValidationError(
                f"Message {message_id} is {old.state}: only an uncertain or failed e-mail is sent again.",
                code="mail_not_resendable",
                params={"state": old.state},
            )
        order = s.get(Order, old.order_id) if old.order_id is not None else None
        account_id, from_address = old.account_id, old.from_address
        if account_id is None:  # its account was deleted: the default one sends it
            row, cfg = load_account(s)
            account_id, from_address = row.id, sender(cfg)
        template = old.template_code or "custom"
        trigger = f"resend:{old.id}:{request}"
        values = {
            "order_id": old.order_id,
            "account_id": account_id,
            "template_code": old.template_code,
            "trigger": trigger[:200],
            "idempotency_key": f"order:{old.order_id}:{template}:{trigger}"[:400],
            "message_id": message_id_for(parseaddr(from_address)[1]),
            "from_address": from_address,
            "to_address": old.to_address,
            "reply_to": old.reply_to,
            "subject": old.subject,
            "body_text": old.body_text,
            "body_html": old.body_html,
            "attachments": list(old.attachments or []),
            "created_by": actor.login,
        }
        shown = {
            "order_number": order.number if order is not None else "",
            "template_code": old.template_code,
            "to_address": old.to_address,
            "from_address": from_address,
            "subject": old.subject,
            "body_text": old.body_text,
            "body_html": old.body_html,
            "attachments": [str(a.get("filename")) for a in old.attachments or [] if isinstance(a, dict)],
        }
        result = _store(s, [(values, shown)])[0]
        if result.created and order is not None:
            s.add(
                OrderAuditLog(
                    order_id=order.id,
                    actor=actor.login,
                    action="mail_resent",
                    details={
                        "message": old.id,
                        "state": old.state,
                        "new_message": result.id,
                        "subject": old.subject,
                        "to": old.to_address,
                    },
                )
            )
        uow.commit()
        return result
