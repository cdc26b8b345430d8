"""A worker ``kill -9``-ed while it sends an e-mail (real ``rexbit queue work`` processes, a real SMTP
server on 127.0.0.1): after the server took the message the retry does not send it again; killed before
the message was handed over, the retry sends it (once)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from rexbit_desktop.db.session import open_database
from rexbit_desktop.services.messages.accounts import set_mail_account
from rexbit_desktop.services.messages.outbox import send_order_mail
from rexbit_desktop.services.messages.timeline import order_timeline
from rexbit_desktop.services.users import actor_for_login
from tests.support.mail import SmtpServer
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.wait import wait_for
from tests.support.workers import Process, query, statuses

FAST_HEARTBEATS = ["--heartbeat=0.5", "--stalled-after=2", "--sleep=0.2"]


def _queue_one_mail(db_url: str, smtp: SmtpServer) -> tuple[str, str]:
    db = open_database(db_url)
    try:
        actor = actor_for_login(db.uow(), None)
        add_products(db, "A-1")
        setup_warehouse(db, actor)
        set_mail_account(db.uow(), actor, "sklep", smtp.account())
        number = create(db, actor, ("A-1", 1)).number
        sent = send_order_mail(db.uow(), actor, number, "payment_received")
        assert sent.message_id
        return number, sent.message_id
    finally:
        db.dispose()


def _timeline(db_url: str, number: str):  # type: ignore[no-untyped-def]
    db = open_database(db_url)
    try:
        return order_timeline(db.uow(), actor_for_login(db.uow(), None), number)
    finally:
        db.dispose()


@pytest.mark.slow
def test_killed_after_the_server_took_the_message_it_is_not_sent_again(
    db_url: str, smtp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    smtp.handler.hold = threading.Event()  # the server takes the message, its answer waits
    number, message_id = _queue_one_mail(db_url, smtp)
    first = Process(db_url, "queue", "work", "--queue=mail", *FAST_HEARTBEATS, log=tmp_path / "first.log")
    try:
        assert smtp.handler.got_one.wait(30), first.output()
        first.proc.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        smtp.handler.hold.set()
    assert len(smtp.received) == 1
    assert query(db_url, "SELECT state FROM mail_messages") == [("sending",)]

    second = Process(db_url, "queue", "work", "--queue=mail", *FAST_HEARTBEATS, log=tmp_path / "second.log")
    try:
        wait_for(
            lambda: set(statuses(db_url).values()) == {"succeeded"}, timeout=40, what="the job to be rerun"
        )
    finally:
        assert second.stop() == 0, second.output()
    assert len(smtp.received) == 1, "the retry sent the message a second time"
    assert smtp.received[0].message["Message-ID"] == message_id
    [entry] = _timeline(db_url, number)
    assert entry.state == "uncertain" and "not sent again" in (entry.error or "")
    assert [a.outcome for a in entry.attempts] == ["uncertain"]


@pytest.mark.slow
def test_killed_before_the_message_was_handed_over_the_retry_sends_it(
    db_url: str, smtp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    smtp.handler.hold_rcpt = threading.Event()  # the envelope's answer waits: DATA never starts
    number, message_id = _queue_one_mail(db_url, smtp)
    first = Process(db_url, "queue", "work", "--queue=mail", *FAST_HEARTBEATS, log=tmp_path / "first.log")
    try:
        assert smtp.handler.at_rcpt.wait(30), first.output()
        first.proc.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        smtp.handler.hold_rcpt.set()
    assert smtp.received == []
    assert query(db_url, "SELECT state FROM mail_messages") == [("queued",)]

    second = Process(db_url, "queue", "work", "--queue=mail", *FAST_HEARTBEATS, log=tmp_path / "second.log")
    try:
        wait_for(
            lambda: set(statuses(db_url).values()) == {"succeeded"}, timeout=40, what="the job to be rerun"
        )
    finally:
        assert second.stop() == 0, second.output()
    assert len(smtp.received) == 1 and smtp.received[0].message["Message-ID"] == message_id
    [entry] = _timeline(db_url, number)
    assert entry.state == "sent" and entry.attempts[-1].outcome == "sent"
