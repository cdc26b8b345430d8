"""Customers' replies fetched from a real IMAP server (dovecot, started by the fixture) and matched to
their orders: by In-Reply-To / References of our Message-ID, else by the order number in the subject;
other mail is left alone; a reply fetched twice is stored once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.adapters.mail.imap import ImapError
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.services.messages.accounts import check_inbox, set_mail_account
from rexbit_desktop.services.messages.inbox import fetch_replies
from rexbit_desktop.services.messages.outbox import send_order_mail
from rexbit_desktop.services.messages.timeline import order_timeline
from tests.support.orders import add_products, create, setup_warehouse


def _reply(
    subject: str, *, in_reply_to: str | None = None, references: str | None = None, msgid: str
) -> bytes:
    headers = [
        "From: Zażółć Gęślą <jazn@example.pl>",
        "To: sklep@example.pl",
        f"Subject: {subject}",
        f"Message-ID: {msgid}",
        "Date: Wed, 02 Dec 2026 10:00:00 +0100",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if references:
        headers.append(f"References: {references}")
    return ("\r\n".join(headers) + "\r\n\r\nDziękuję, czy paczka dojdzie jutro?\r\n").encode()


def _schedule_enabled(db: Any) -> bool:
    with db.uow() as uow:
        return bool(uow.session.scalar(text("SELECT enabled FROM schedules WHERE name = 'fetch-mail'")))


def test_replies_land_in_their_orders_timeline_once(db, system_actor: Actor, smtp, imap_server) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "A-1")
    setup_warehouse(db, system_actor)
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    assert not _schedule_enabled(db)  # no IMAP yet: the fetch schedule stays off
    set_mail_account(db.uow(), system_actor, "sklep", imap_server.account())
    assert _schedule_enabled(db)
    assert "0 message(s)" in check_inbox(db.uow(), system_actor).detail

    first = create(db, system_actor, ("A-1", 1)).number
    other = create(db, system_actor, ("A-1", 1)).number
    sent = send_order_mail(db.uow(), system_actor, first, "payment_received")
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)])
    assert smtp.received[0].message["Message-ID"] == sent.message_id

    imap_server.append(
        _reply(
            f"Re: {sent.subject}",
            in_reply_to=sent.message_id,
            references=sent.message_id,
            msgid="<r1@example.pl>",
        )
    )
    imap_server.append(
        _reply("Odp: coś", references=f"<older@example.pl> {sent.message_id}", msgid="<r2@example.pl>")
    )
    imap_server.append(_reply(f"Pytanie o zamówienie {other}", msgid="<r3@example.pl>"))
    imap_server.append(_reply("Oferta współpracy", msgid="<spam@example.pl>"))
    imap_server.append(
        _reply(
            "Re: inne zamówienie ZAM/1999/01/99999",
            in_reply_to="<not-ours@example.pl>",
            msgid="<r5@example.pl>",
        )
    )

    result = fetch_replies(db.uow(), system_actor)
    assert (result.fetched, result.matched, result.stored, result.unmatched) == (5, 3, 3, 2)
    again = fetch_replies(db.uow(), system_actor)
    assert (again.fetched, again.stored) == (0, 0)
    with db.uow() as uow:  # the folder read from the start again (a new UIDVALIDITY would do this)
        uow.session.execute(text("UPDATE mail_accounts SET inbox_last_uid = NULL"))
        uow.commit()
    reread = fetch_replies(db.uow(), system_actor)
    assert (reread.fetched, reread.matched, reread.stored) == (5, 3, 0)

    timeline = order_timeline(db.uow(), system_actor, first)
    assert [(e.kind, e.matched_by) for e in timeline] == [
        ("sent", None),
        ("reply", "in_reply_to"),
        ("reply", "references"),
    ]
    assert "czy paczka dojdzie jutro" in timeline[1].body and timeline[1].from_address == "jazn@example.pl"
    [reply] = order_timeline(db.uow(), system_actor, other)
    assert (reply.kind, reply.matched_by, reply.subject) == (
        "reply",
        "subject",
        f"Pytanie o zamówienie {other}",
    )
    # Read-only: nothing was marked seen, moved or deleted (the unmatched mail included).
    flags = imap_server.flags()
    assert len(flags) == 5 and not any(b"\\Seen" in f for f in flags)


def test_imap_errors_are_clear(db, system_actor: Actor, smtp, imap_server) -> None:  # type: ignore[no-untyped-def]
    set_mail_account(
        db.uow(), system_actor, "sklep", {**smtp.account(), **imap_server.account(imap_password="wrong")}
    )
    with pytest.raises(ImapError, match="refused the login 'sklep'") as refused:
        check_inbox(db.uow(), system_actor)
    assert "wrong" not in str(refused.value)
    set_mail_account(
        db.uow(), system_actor, "sklep", {"imap_password": imap_server.password, "imap_folder": "Nie ma"}
    )
    with pytest.raises(ImapError, match="'Nie ma' cannot be opened"):
        check_inbox(db.uow(), system_actor)
