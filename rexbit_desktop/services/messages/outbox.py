"""The outbox: e-mails to customers rendered from templates, stored, then sent by a queued job.

Delivery is at-least-once up to the moment the message is handed to the server, and never twice:

* ``enqueue`` inserts the message under an idempotency key (order, template, trigger) — the same trigger
  (a retried status-change job, a double click) finds the row and adds nothing — and defers
  ``mail:send_message`` in the same transaction. Its ``Message-ID`` is assigned here and never changes.
* ``deliver`` (the job) sends the envelope (MAIL FROM, RCPT TO), then commits ``state = 'sending'``,
  then sends DATA and records the answer. A job that finds its message ``sending`` knows an earlier
  attempt died while handing it over: the server may have it, so it is marked ``uncertain`` and **not**
  sent again (an operator may send it again from the order). Any failure before that commit (no
  connection, a 4xx to the envelope, a worker killed before DATA) is retried.
* 4xx answers are retried with the account's ``retry_delays``; 5xx answers fail the message at once with
  the server's reply kept (timeline, ``queue failed``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.mail.config import sender, validate_mail_config
from rexbit_desktop.adapters.mail.smtp import (
    POOL,
    MailDeliveryError,
    PermanentMailError,
    SmtpReply,
    TemporaryMailError,
    UncertainDelivery,
)
from rexbit_desktop.adapters.pdf.render import render_pdf
from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.db.models.mail import MailAttempt, MailMessage, MailTemplate
from rexbit_desktop.db.models.orders import Order, OrderAddress, OrderItem, OrderShipment
from rexbit_desktop.db.session import Database, UnitOfWork
from rexbit_desktop.domain.errors import NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.messages.accounts import load_account
from rexbit_desktop.services.messages.templates import RenderedMail, TemplateSource, order_context, render
from rexbit_desktop.services.orders.dto import AddressDTO, OrderDetailDTO, OrderItemDTO, ShipmentDTO
from rexbit_desktop.services.orders.payload import ADDRESS_FIELDS, ADDRESS_TYPES
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import find_order

log = logging.getLogger(__name__)

SEND_TASK = "mail:send_message"
ZERO = Decimal(0)
ATTACHMENT_NAMES = {
    "confirmation": "potwierdzenie-zamowienia",
    "packing": "lista-pakowania",
    "reservation": "rezerwacja",
    "wz": "wz",
}


class RetryLater(RexbitError):
    """The server answered 4xx (or could not be reached): the job is tried again after ``delay`` seconds."""

    def __init__(self, message: str, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


# ---------------------------------------------------------------- enqueue


@dataclass(frozen=True)
class OutgoingMessage:
    id: int | None
    """None for a dry run (nothing stored)."""
    order_number: str
    template_code: str | None
    to_address: str
    from_address: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list[str]
    message_id: str | None
    state: str
    created: bool
    """False when the same (order, template, trigger) was enqueued before: nothing new was added."""


def load_template(session: Session, code: str, language: str = "pl") -> TemplateSource:
    rows = {
        r.language: r for r in session.scalars(select(MailTemplate).where(MailTemplate.code == code.strip()))
    }
    row = rows.get(language) or rows.get("pl") or next(iter(rows.values()), None)
    if row is None:
        known = session.scalars(select(MailTemplate.code).distinct().order_by(MailTemplate.code)).all()
        raise NotFound(f"There is no mail template '{code}'.", hint="Templates: " + ", ".join(known))
    return TemplateSource(
        row.code,
        row.language,
        row.name,
        row.subject,
        row.body_text,
        row.body_html,
        list(row.attachments or []),
    )


def mail_details(session: Session, orders: list[Order]) -> dict[int, OrderDetailDTO]:
    """What a template needs of each order (items with units, addresses, shipments): three queries for
    any number of orders (the full ``order_detail`` reads a dozen per order)."""
    settings = load_settings(session)
    ids = [o.id for o in orders]
    items: dict[int, list[OrderItemDTO]] = {i: [] for i in ids}
    for i, unit in session.execute(
        select(OrderItem, Product.unit)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id.in_(ids))
        .order_by(OrderItem.id)
    ):
        items[i.order_id].append(
            OrderItemDTO(
                i.id, i.sku, i.ean, i.name, i.quantity, unit or "szt.", i.price_gross, i.price_net, i.vat_rate,
                (i.price_gross * i.quantity).quantize(Decimal("0.01")), None, ZERO, ZERO, ZERO,
                i.product_id is not None,
            )
        )  # fmt: skip
    addresses: dict[int, list[OrderAddress]] = {i: [] for i in ids}
    for a in session.scalars(select(OrderAddress).where(OrderAddress.order_id.in_(ids))):
        addresses[a.order_id].append(a)
    shipments: dict[int, list[ShipmentDTO]] = {i: [] for i in ids}
    for sh in session.scalars(
        select(OrderShipment).where(OrderShipment.order_id.in_(ids)).order_by(OrderShipment.id)
    ):
        carrier = settings.carrier(sh.carrier)
        link = carrier.tracking_link(sh.tracking_number or "") if carrier and sh.tracking_number else ""
        shipments[sh.order_id].append(
            ShipmentDTO(sh.carrier, sh.tracking_number, link, sh.status, sh.shipped_at)
        )
    return {
        o.id: OrderDetailDTO(
            id=o.id,
            number=o.number,
            status=o.status,
            status_label=settings.label(o.status),
            status_colour="",
            payment_status=o.payment_status,
            fulfillment_status=o.fulfillment_status,
            source=o.source,
            external_order_id=o.external_order_id,
            currency=o.currency,
            total_net=o.total_net,
            total_gross=o.total_gross,
            total_paid=o.total_paid,
            shipping_gross=o.shipping_gross,
            delivery_method=o.delivery_method,
            warehouse_code=None,
            customer_name=o.customer_name,
            customer_email=o.customer_email,
            created_at=o.created_at,
            updated_at=o.updated_at,
            items=items[o.id],
            addresses=[
                AddressDTO(a.type, *(getattr(a, f) for f in ADDRESS_FIELDS))
                for a in sorted(addresses[o.id], key=lambda a: ADDRESS_TYPES.index(a.type))
            ],
            payments=[],
            shipments=shipments[o.id],
            history=[],
            reservations=[],
            shortages=[],
            documents=[],
            notes=[],
            allowed_transitions=[],
        )
        for o in orders
    }


def _recipient(order: Order, detail: Any) -> str:
    email = (order.customer_email or "").strip()
    if not email:
        email = next((a.email for a in detail.addresses if a.email), "") or ""
    if not email or "@" not in email:
        raise ValidationError(
            f"Order {order.number} has no customer e-mail address.",
            hint="Add the e-mail to the customer's address, then send again.",
        )
    return email


def _message_id(from_address: str) -> str:
    domain = from_address.rsplit("@", 1)[-1] or "rexbit.local"
    return f"<rexbit.{uuid.uuid4().hex}@{domain}>"


def _prepare(
    session: Session,
    actor: Actor,
    order: Order,
    detail: OrderDetailDTO,
    template_code: str,
    trigger: str,
    *,
    account: str | None = None,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Render a template for an order: (the outbox row's values, what the caller is shown)."""
    cache: dict[Any, Any] = session.info.setdefault("rexbit.mail.compose", {})
    if ("account", account) not in cache:
        row, config = load_account(session, account)
        cache["account", account] = (row.id, config)
    account_id, cfg = cache["account", account]
    language = str((order.meta or {}).get("language") or "pl")
    if ("template", template_code, language) not in cache:
        cache["template", template_code, language] = load_template(session, template_code, language)
    template: TemplateSource = cache["template", template_code, language]
    context = order_context(detail, load_settings(session), documents_url=cfg.get("documents_url") or "")
    rendered = render(template, context)
    if subject is not None or body_text is not None or body_html is not None:  # edited before sending
        rendered = RenderedMail(
            " ".join((subject if subject is not None else rendered.subject).split()),
            body_text if body_text is not None else rendered.body_text,
            body_html if body_html is not None else rendered.body_html,
        )
    if not rendered.subject.strip() or not rendered.body_text.strip():
        raise ValidationError("The message needs a subject and a body.")
    to = _recipient(order, detail)
    attachments = [
        {"kind": kind, "filename": f"{ATTACHMENT_NAMES[kind]}-{_safe(order.number)}.pdf"}
        for kind in template.attachments
    ]
    values = {
        "order_id": order.id,
        "account_id": account_id,
        "template_code": template.code,
        "trigger": trigger[:200],
        "idempotency_key": f"order:{order.id}:{template.code}:{trigger}"[:400],
        "message_id": _message_id(cfg["from_address"]),
        "from_address": sender(cfg),
        "to_address": to,
        "reply_to": cfg.get("reply_to"),
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "attachments": attachments,
        "created_by": actor.login,
    }
    shown = {
        "order_number": order.number,
        "template_code": template.code,
        "to_address": to,
        "from_address": values["from_address"],
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "attachments": [a["filename"] for a in attachments],
    }
    return values, shown


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
SEND_QUEUE = "default"
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
    values, shown = _prepare(
        session, actor, order, detail, template_code, trigger,
        account=account, subject=subject, body_text=body_text, body_html=body_html,
    )  # fmt: skip
    if dry_run:
        return OutgoingMessage(id=None, message_id=None, state="dry-run", created=False, **shown)
    return _store(session, [(values, shown)])[0]


def _safe(number: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in number)


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
                continue
            try:
                prepared.append(_prepare(s, actor, order, details[order.id], template_code, trigger))
            except RexbitError as exc:
                result.errors[number] = exc.message
        result.sent.extend(_store(s, prepared))
        uow.commit()
    return result


# ---------------------------------------------------------------- delivery (the job)


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
            raise NotFound(f"There is no outbox message {message_id}.")
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
            raise PermanentMailError("The message's mail account was deleted.")
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
            raise PermanentMailError(f"The attachment cannot be made: {exc.message}") from None
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
            finish("uncertain", exc.code, exc.message, "uncertain")
            log.warning("mail %s: %s", message_id, exc.message)
            return Delivery(message_id, "uncertain", attempt, exc.message)
        except TemporaryMailError as exc:
            reply_text = exc.reply or exc.message
            if attempt <= len(delays):
                finish("retry", exc.code, reply_text, "retrying")
                raise RetryLater(f"attempt {attempt}: {exc.message}", delays[attempt - 1]) from None
            finish("failed", exc.code, reply_text, "failed")
            raise PermanentMailError(
                f"{exc.message} Gave up after {attempt} attempts.", code=exc.code, reply=exc.reply
            ) from None
        except MailDeliveryError as exc:
            finish("failed", exc.code, exc.reply or exc.message, "failed")
            raise
        finish("sent", reply.code, f"{reply.code} {reply.text}", "sent")
        return Delivery(message_id, "sent", attempt, f"{reply.code} {reply.text}")
