"""E-mail to customers through the outbox and the queue, against a real SMTP server on 127.0.0.1
(aiosmtpd) and real PostgreSQL; the imported order comes from the real MariaDB shop fixture."""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from rexbit_desktop.db.models.mail import MailAttempt, MailMessage
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.services.messages.accounts import set_mail_account
from rexbit_desktop.services.messages.automation import MailRule, save_mail_rules
from rexbit_desktop.services.messages.outbox import send_order_mail
from rexbit_desktop.services.messages.timeline import order_timeline
from rexbit_desktop.services.ops.queue import list_failed_jobs
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from tests.support.orders import add_products, create, setup_warehouse

OPERATOR = Actor(login="operator1", role=Role.OPERATOR)


def run_jobs(db: Any) -> None:
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1, tries=1)])


def messages(db: Any) -> list[MailMessage]:
    with db.uow() as uow:
        rows = list(uow.session.scalars(select(MailMessage).order_by(MailMessage.id)))
        uow.session.expunge_all()
        return rows


def attempts(db: Any, message_id: int) -> list[tuple[int, str, int | None]]:
    with db.uow() as uow:
        return [
            (a.attempt, a.outcome, a.smtp_code)
            for a in uow.session.scalars(
                select(MailAttempt).where(MailAttempt.message_id == message_id).order_by(MailAttempt.id)
            )
        ]


@pytest.fixture
def manual_order(db, system_actor, smtp) -> str:  # type: ignore[no-untyped-def]
    add_products(db, "A-1")
    setup_warehouse(db, system_actor)
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    return create(db, system_actor, ("A-1", 2)).number


def _pdftotext(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the attached PDF back")
    pdf = tmp_path / "attachment.pdf"
    pdf.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.mysql
def test_shipping_an_imported_order_mails_the_customer_once_with_tracking_and_the_confirmation(
    db, shop, system_actor, smtp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shop.orders import sync_orders
    from tests.support.shop import add_shop_order, create_shop_integration, line

    integration = create_shop_integration(db, shop)
    add_shop_order(shop, 801, state=2, lines=[line(9, "49.90", 2, ref="NIEZNANY")])
    assert sync_orders(db.uow(), system_actor, integration_id=integration).created == 1
    with db.uow() as uow:
        number, email = uow.session.execute(text("SELECT number, customer_email FROM orders")).one()
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    save_mail_rules(db.uow(), system_actor, [MailRule("shipped", "order_shipped", ["prestashop"])])

    wf = OrderWorkflowService()
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        wf.transition(db.uow(), system_actor, number, status)
    orders.ship(db.uow(), system_actor, number, carrier="inpost", tracking="620000111222333")
    run_jobs(db)
    # The status-change job may run again (the shop was unreachable, a worker died): still one e-mail.
    with db.uow() as uow:
        uow.session.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'todo' WHERE task_name = 'orders:order_status_changed'"
                " AND args->>'to_status' = 'shipped'"
            )
        )
        uow.commit()
    run_jobs(db)

    assert len(smtp.received) == 1
    got = smtp.received[0]
    assert got.rcpt_tos == [email]
    msg = got.message
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert number in msg["Subject"] and number in body
    assert "620000111222333" in body
    assert "https://inpost.pl/sledzenie-przesylek?number=620000111222333" in body
    [attachment] = list(msg.iter_attachments())
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF")
    assert number in _pdftotext(pdf, tmp_path)
    [row] = messages(db)
    assert row.state == "sent" and row.message_id == msg["Message-ID"]
    assert row.created_by == "job:orders:order_status_changed"
    [entry] = order_timeline(db.uow(), system_actor, number)
    assert (entry.kind, entry.state, entry.message_id) == ("sent", "sent", msg["Message-ID"])
    assert entry.attachments == [attachment.get_filename()]


def test_a_rule_for_manual_orders_defers_the_listener_without_queued(db, system_actor, manual_order, smtp):  # type: ignore[no-untyped-def]
    save_mail_rules(db.uow(), system_actor, [MailRule("awaiting_payment", "order_received", ["manual"])])
    OrderWorkflowService().transition(db.uow(), system_actor, manual_order, "awaiting_payment")
    run_jobs(db)
    assert len(smtp.received) == 1
    assert smtp.received[0].message["Subject"] == f"Przyjęliśmy zamówienie {manual_order}"
    # Another source's rule does not apply: no job, no e-mail.
    save_mail_rules(db.uow(), system_actor, [MailRule("paid", "payment_received", ["prestashop"])])
    OrderWorkflowService().transition(db.uow(), system_actor, manual_order, "paid")
    with db.uow() as uow:
        assert (
            uow.session.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE args->>'to_status' = 'paid'")
            )
            == 0
        )


def test_451_twice_then_250_sends_one_email_in_three_attempts(db, system_actor, manual_order, smtp):  # type: ignore[no-untyped-def]
    smtp.handler.answers = deque(["451 4.7.1 Try again later", "451 4.7.1 Try again later"])
    sent = send_order_mail(db.uow(), OPERATOR, manual_order, "payment_received")
    run_jobs(db)
    assert len(smtp.received) == 1 and len(smtp.handler.refused) == 2
    [row] = messages(db)
    assert row.state == "sent" and row.attempts == 3 and row.message_id == sent.message_id
    assert smtp.received[0].message["Message-ID"] == sent.message_id
    assert attempts(db, row.id) == [(1, "retry", 451), (2, "retry", 451), (3, "sent", 250)]
    [entry] = order_timeline(db.uow(), OPERATOR, manual_order)
    assert [a.outcome for a in entry.attempts] == ["retry", "retry", "sent"] and entry.by == "operator1"


def test_550_fails_the_message_with_the_servers_reply_in_the_timeline_and_the_failed_jobs(
    db, system_actor, manual_order, smtp
) -> None:  # type: ignore[no-untyped-def]
    smtp.handler.answers = deque(["550 5.1.1 <jazn@example.pl>: Recipient address rejected"])
    send_order_mail(db.uow(), OPERATOR, manual_order, "payment_received")
    run_jobs(db)
    assert smtp.received == []
    [row] = messages(db)
    assert row.state == "failed" and row.attempts == 1
    [entry] = order_timeline(db.uow(), OPERATOR, manual_order)
    assert entry.state == "failed" and "550 5.1.1 <jazn@example.pl>: Recipient address rejected" in (
        entry.error or ""
    )
    [failed] = list_failed_jobs(db.uow(), system_actor)
    assert (
        failed.task == "mail:send_message"
        and "Recipient address rejected" in failed.error
        and "550" in failed.error
    )


def test_the_same_request_stores_one_message_and_a_dry_run_none(db, system_actor, manual_order, smtp):  # type: ignore[no-untyped-def]
    preview = send_order_mail(db.uow(), OPERATOR, manual_order, "order_received", dry_run=True)
    assert preview.id is None and manual_order in preview.subject and preview.attachments
    assert messages(db) == []
    first = send_order_mail(db.uow(), OPERATOR, manual_order, "order_received", request_id="click-1")
    again = send_order_mail(db.uow(), OPERATOR, manual_order, "order_received", request_id="click-1")
    assert first.created and not again.created and first.id == again.id
    edited = send_order_mail(
        db.uow(),
        OPERATOR,
        manual_order,
        "order_received",
        subject="Poprawione",
        body_text="Treść poprawiona.",
    )
    run_jobs(db)
    assert sorted(r.message["Subject"] for r in smtp.received) == [
        "Poprawione",
        f"Przyjęliśmy zamówienie {manual_order}",
    ]
    assert edited.id != first.id


def test_an_order_without_an_email_address_is_refused_clearly(db, system_actor, smtp) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "A-1")
    setup_warehouse(db, system_actor)
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    number = create(db, system_actor, ("A-1", 1), addresses={"customer": {"name": "Bez Maila"}}).number
    with pytest.raises(ValidationError, match="no customer e-mail address"):
        send_order_mail(db.uow(), OPERATOR, number, "order_received")
    assert messages(db) == []
