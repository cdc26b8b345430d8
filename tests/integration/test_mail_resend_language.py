"""Sending again an e-mail that failed or may not have arrived, the language of an order's e-mails, and
the refusals of a bulk send; a real SMTP server (aiosmtpd on 127.0.0.1) and real PostgreSQL, the shop
order from the real MariaDB fixture."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from sqlalchemy import select, text

from rexbit_desktop.db.models.mail import MailMessage
from rexbit_desktop.db.models.orders import OrderAuditLog
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.services.messages.accounts import set_mail_account
from rexbit_desktop.services.messages.automation import get_mail_settings, save_mail_rules
from rexbit_desktop.services.messages.outbox import resend_message, send_bulk_mail, send_order_mail
from rexbit_desktop.services.messages.template_admin import get_template, preview_template, save_template
from rexbit_desktop.services.messages.templates import TemplateSource
from rexbit_desktop.services.messages.timeline import order_timeline
from tests.support.orders import add_products, create, setup_warehouse

OPERATOR = Actor(login="operator1", role=Role.OPERATOR)


def run_jobs(db: Any) -> None:
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1, tries=1)])


@pytest.fixture
def manual_order(db, system_actor, smtp) -> str:  # type: ignore[no-untyped-def]
    add_products(db, "A-1")
    setup_warehouse(db, system_actor)
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    return create(db, system_actor, ("A-1", 2)).number


def test_a_failed_email_is_sent_again_once_under_a_new_key_and_logged(db, system_actor, manual_order, smtp):  # type: ignore[no-untyped-def]
    smtp.handler.answers = deque(["550 5.2.2 Mailbox full"])
    first = send_order_mail(db.uow(), OPERATOR, manual_order, "order_received")
    run_jobs(db)
    assert smtp.received == []
    again = resend_message(db.uow(), OPERATOR, first.id, request_id="click-1")
    # The same click twice (a double click, a retried request) queues one copy.
    assert resend_message(db.uow(), OPERATOR, first.id, request_id="click-1").id == again.id
    run_jobs(db)

    [got] = smtp.received
    assert got.message["Message-ID"] == again.message_id != first.message_id
    assert got.message["Subject"] == first.subject
    entries = order_timeline(db.uow(), system_actor, manual_order)
    assert [(e.state, e.resend_of) for e in entries] == [("failed", None), ("sent", first.id)]
    with db.uow() as uow:
        keys = list(uow.session.scalars(select(MailMessage.idempotency_key).order_by(MailMessage.id)))
        [log] = uow.session.execute(
            select(OrderAuditLog.actor, OrderAuditLog.details).where(OrderAuditLog.action == "mail_resent")
        ).all()
    assert keys[1] != keys[0] and "resend" in keys[1]
    assert log.actor == "operator1" and log.details["message"] == first.id
    assert log.details["new_message"] == again.id and log.details["state"] == "failed"


def test_only_an_uncertain_or_failed_email_is_sent_again(db, system_actor, manual_order, smtp):  # type: ignore[no-untyped-def]
    sent = send_order_mail(db.uow(), OPERATOR, manual_order, "order_received")
    run_jobs(db)
    with pytest.raises(ValidationError) as refused:
        resend_message(db.uow(), OPERATOR, sent.id)
    assert refused.value.code == "mail_not_resendable" and refused.value.params == {"state": "sent"}
    with db.uow() as uow:  # an uncertain one may be sent again
        uow.session.execute(
            text("UPDATE mail_messages SET state = 'uncertain' WHERE id = :id"), {"id": sent.id}
        )
        uow.commit()
    resend_message(db.uow(), OPERATOR, sent.id)
    run_jobs(db)
    assert len(smtp.received) == 2


def test_a_bulk_send_reports_the_refused_orders_with_codes(db, system_actor, manual_order, smtp):  # type: ignore[no-untyped-def]
    no_mail = create(db, system_actor, ("A-1", 1), addresses={"customer": {"name": "Bez Maila"}}).number
    result = send_bulk_mail(db.uow(), OPERATOR, [manual_order, no_mail, "NIE-MA-1"], "order_received")
    assert [m.order_number for m in result.sent] == [manual_order]
    assert result.refusals[no_mail] == (
        "mail_no_address",
        {"number": no_mail, "message": f"Order {no_mail} has no customer e-mail address."},
    )
    assert result.refusals["NIE-MA-1"] == ("order_not_found", {"number": "NIE-MA-1"})
    run_jobs(db)
    assert len(smtp.received) == 1


def test_orders_typed_in_keep_the_default_language_of_the_day_they_were_taken_in(
    db, system_actor, manual_order
) -> None:  # type: ignore[no-untyped-def]
    base = get_template(db.uow(), system_actor, "order_received")
    save_template(
        db.uow(),
        system_actor,
        TemplateSource(
            "order_received", "en", "Order received", "We received order {{ order.number }}",
            "Hello {{ customer.name }}, thank you for order {{ order.number }}.", None, base.attachments,
        ),
    )  # fmt: skip
    assert preview_template(db.uow(), system_actor, manual_order, "order_received").subject.startswith(
        "Przyjęliśmy"
    )
    save_mail_rules(
        db.uow(), system_actor, get_mail_settings(db.uow(), system_actor).rules, default_language="en"
    )
    assert get_mail_settings(db.uow(), system_actor).default_language == "en"
    typed_in_english = create(db, system_actor, ("A-1", 1)).number
    english = preview_template(db.uow(), system_actor, typed_in_english, "order_received")
    assert english.subject == f"We received order {typed_in_english}"
    # The order taken in before the change keeps Polish.
    assert preview_template(db.uow(), system_actor, manual_order, "order_received").subject.startswith(
        "Przyjęliśmy"
    )
    # No English "payment received": the Polish one is sent.
    assert (
        "płatność"
        in preview_template(db.uow(), system_actor, typed_in_english, "payment_received").subject.lower()
    )
    # Back to Polish: the English order stays English.
    save_mail_rules(
        db.uow(), system_actor, get_mail_settings(db.uow(), system_actor).rules, default_language="pl"
    )
    assert preview_template(db.uow(), system_actor, typed_in_english, "order_received").subject == (
        f"We received order {typed_in_english}"
    )
    with db.uow() as uow:
        languages = dict(uow.session.execute(text("SELECT number, metadata->>'language' FROM orders")).all())
    assert languages == {manual_order: "pl", typed_in_english: "en"}
    with pytest.raises(ValidationError) as bad:
        save_mail_rules(db.uow(), system_actor, [], default_language="english")
    assert bad.value.code == "mail_bad_language"


@pytest.mark.mysql
def test_a_shop_order_keeps_its_customers_language_for_its_emails(db, shop, system_actor, smtp) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shop.orders import sync_orders
    from tests.support.shop import add_shop_order, create_shop_integration, line

    integration = create_shop_integration(db, shop)
    add_shop_order(shop, 811, state=2, lines=[line(9, "49.90")], id_lang=2)  # the fixture's "en"
    add_shop_order(shop, 812, state=2, lines=[line(9, "49.90")], id_lang=1)  # "pl"
    assert sync_orders(db.uow(), system_actor, integration_id=integration).created == 2
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    base = get_template(db.uow(), system_actor, "order_received")
    save_template(
        db.uow(),
        system_actor,
        TemplateSource(
            "order_received", "en", "Order received", "We received order {{ order.number }}",
            "Thank you for order {{ order.number }}.", None, base.attachments,
        ),
    )  # fmt: skip
    with db.uow() as uow:
        languages = dict(
            uow.session.execute(text("SELECT external_order_id, metadata->>'language' FROM orders")).all()
        )
        numbers = dict(uow.session.execute(text("SELECT external_order_id, number FROM orders")).all())
    assert languages == {"811": "en", "812": "pl"}
    send_order_mail(db.uow(), OPERATOR, numbers["811"], "order_received")
    send_order_mail(db.uow(), OPERATOR, numbers["812"], "order_received")
    run_jobs(db)
    subjects = sorted(r.message["Subject"] for r in smtp.received)
    assert subjects == sorted(
        [f"We received order {numbers['811']}", f"Przyjęliśmy zamówienie {numbers['812']}"]
    )
