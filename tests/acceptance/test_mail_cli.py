"""``rexbit mail …`` and ``rexbit orders mail`` as real processes against a real SMTP server (aiosmtpd
with AUTH) and a real IMAP server (dovecot): the password is never printed — not in ``--json``, not in
``--verbose`` logs, not in errors, not in job arguments."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.support.mail import SmtpServer, free_port
from tests.support.workers import query, rexbit

SECRET = "Tajne-Hasło-123"


@pytest.fixture
def smtp() -> Any:
    server = SmtpServer(login=("sklep@example.pl", SECRET)).start()
    yield server
    server.stop()


def _order(db_url: str) -> str:
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.services.users import actor_for_login
    from tests.support.orders import add_products, create, setup_warehouse

    db = open_database(db_url)
    try:
        actor = actor_for_login(db.uow(), None)
        add_products(db, "A-1")
        setup_warehouse(db, actor)
        return create(db, actor, ("A-1", 2)).number
    finally:
        db.dispose()


def _set_account(db_url: str, port: int, password: str, *extra: str) -> Any:
    import subprocess
    import sys

    from tests.support.workers import ENV

    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, "--verbose", "mail", "account",
         "set", "sklep", "--smtp-host=127.0.0.1", f"--smtp-port={port}", "--security=none",
         "--login=sklep@example.pl", "--password-stdin", "--from=sklep@example.pl", "--from-name=Sklep", *extra],
        input=password + "\n", capture_output=True, text=True, timeout=60, env=ENV,
    )  # fmt: skip


@pytest.mark.slow
def test_mail_commands_never_print_the_password(db_url: str, smtp: SmtpServer, tmp_path: Path) -> None:
    outputs: list[str] = []

    def run(*args: str, ok: bool = True) -> Any:
        result = rexbit(db_url, "--verbose", *args)
        outputs.append(result.stdout + result.stderr)
        assert (result.returncode == 0) == ok, result.stdout + result.stderr
        return result

    saved = _set_account(db_url, smtp.port, SECRET)
    outputs.append(saved.stdout + saved.stderr)
    assert saved.returncode == 0, saved.stderr
    listed = json.loads(run("mail", "account", "list", "--json").stdout)
    assert listed[0]["config"]["password"] == "***" and listed[0]["config"]["login"] == "sklep@example.pl"

    assert "sent to sklep@example.pl: 250" in run("mail", "test").stdout
    assert len(smtp.received) == 1

    number = _order(db_url)
    dry = run("orders", "mail", number, "--template=order_shipped", "--dry-run")
    assert f"Subject: Zamówienie {number} zostało wysłane" in dry.stdout
    assert query(db_url, "SELECT count(*) FROM mail_messages") == [(0,)]
    queued = json.loads(run("orders", "mail", number, "--template=payment_received", "--json").stdout)
    assert queued["state"] == "queued" and queued["message_id"].startswith("<rexbit.")
    run("queue", "work", "--queue=mail", "--stop-when-empty", "--sleep=0.2")
    assert len(smtp.received) == 2 and smtp.received[1].message["Message-ID"] == queued["message_id"]
    [(args,)] = query(
        db_url, "SELECT args::text FROM procrastinate_jobs WHERE task_name = 'mail:send_message'"
    )
    outputs.append(args)

    # A wrong password: a clear error, without the password typed.
    wrong = "Zle-Haslo-456"
    assert _set_account(db_url, smtp.port, wrong).returncode == 0
    failed = run("mail", "test", ok=False)
    assert "refused" in failed.stderr and "535" in failed.stderr and wrong not in failed.stderr
    outputs.append(failed.stdout + failed.stderr)
    # Unreachable host and a password from the environment.
    closed = free_port()
    result = _set_account(db_url, closed, "")
    assert result.returncode == 0
    run("mail", "account", "set", "sklep", "--password-env=REXBIT_TEST_SMTP_PASSWORD")
    unreachable = rexbit(db_url, "mail", "test", env={"REXBIT_TEST_SMTP_PASSWORD": SECRET})
    assert (
        unreachable.returncode == 1
        and f"Cannot reach the mail server 127.0.0.1:{closed}" in unreachable.stderr
    )
    outputs.append(unreachable.stdout + unreachable.stderr)
    shown = json.loads(run("mail", "account", "list", "--json").stdout)[0]["config"]
    assert shown["password_env"] == "REXBIT_TEST_SMTP_PASSWORD" and "password" not in shown

    for text in outputs:
        assert SECRET not in text and wrong not in text


@pytest.mark.slow
def test_a_template_is_refused_with_its_line(db_url: str, tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text(
        "Dzień dobry,\n\nzamówienie {{ order.number }}\n{{ order.nonexistent }}\n", encoding="utf-8"
    )
    unknown = rexbit(db_url, "mail", "template", "set", "test_tpl", "--subject=Test", f"--text-file={body}")
    assert unknown.returncode == 1
    assert "plain-text body, line 4: unknown variable" in unknown.stderr and "nonexistent" in unknown.stderr
    body.write_text("{% for item in items %}\n{{ item.name }}\n", encoding="utf-8")
    unbalanced = rexbit(
        db_url, "mail", "template", "set", "test_tpl", "--subject=Test", f"--text-file={body}"
    )
    assert unbalanced.returncode == 1 and "line 2" in unbalanced.stderr and "endfor" in unbalanced.stderr
    assert "test_tpl" not in rexbit(db_url, "mail", "template", "list").stdout
    body.write_text("{% for item in items %}{{ item.name }}\n{% endfor %}", encoding="utf-8")
    assert (
        rexbit(
            db_url,
            "mail",
            "template",
            "set",
            "test_tpl",
            "--subject=Test {{ order.number }}",
            f"--text-file={body}",
        ).returncode
        == 0
    )
    assert "test_tpl" in rexbit(db_url, "mail", "template", "list").stdout


@pytest.mark.slow
def test_mail_fetch_twice_shows_a_reply_once(db_url: str, smtp: SmtpServer, imap_server) -> None:  # type: ignore[no-untyped-def]
    assert _set_account(db_url, smtp.port, SECRET).returncode == 0
    cfg = imap_server.account()
    import subprocess
    import sys

    from tests.support.workers import ENV

    subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, "mail", "account", "set", "sklep",
         "--imap-host=127.0.0.1", f"--imap-port={cfg['imap_port']}", "--imap-security=none",
         f"--imap-login={cfg['imap_login']}", "--imap-password-stdin"],
        input=str(cfg["imap_password"]) + "\n", capture_output=True, text=True, timeout=60, env=ENV, check=True,
    )  # fmt: skip
    assert query(db_url, "SELECT enabled FROM schedules WHERE name = 'fetch-mail'") == [(True,)]
    number = _order(db_url)
    sent = json.loads(
        rexbit(db_url, "orders", "mail", number, "--template=payment_received", "--json").stdout
    )
    assert rexbit(db_url, "queue", "work", "--queue=mail", "--stop-when-empty", "--sleep=0.2").returncode == 0
    imap_server.append(
        (f"From: jazn@example.pl\r\nTo: sklep@example.pl\r\nSubject: Re: {sent['subject']}\r\n"
         f"Message-ID: <odp-1@example.pl>\r\nIn-Reply-To: {sent['message_id']}\r\n\r\nDziekuje!\r\n").encode()
    )  # fmt: skip
    first = rexbit(db_url, "mail", "fetch")
    second = rexbit(db_url, "mail", "fetch")
    assert first.returncode == 0 and "1 matched to orders (1 new replies)" in first.stdout, first.stderr
    assert second.returncode == 0 and "0 new message(s)" in second.stdout
    assert query(db_url, "SELECT count(*), min(subject) FROM mail_replies") == [(1, f"Re: {sent['subject']}")]
    assert socket


@pytest.mark.slow
def test_resend_and_the_default_language_from_the_command_line(db_url: str, smtp: SmtpServer) -> None:
    assert _set_account(db_url, smtp.port, SECRET).returncode == 0
    assert rexbit(db_url, "mail", "rules", "language").stdout.strip() == "pl"
    assert rexbit(db_url, "mail", "rules", "language", "en").returncode == 0
    assert rexbit(db_url, "mail", "rules", "language").stdout.strip() == "en"
    bad = rexbit(db_url, "mail", "rules", "language", "english")
    assert bad.returncode != 0 and "not a language code" in bad.stderr

    number = _order(db_url)
    smtp.handler.answers.append("550 5.2.2 Mailbox full")
    queued = json.loads(
        rexbit(db_url, "orders", "mail", number, "--template=payment_received", "--json").stdout
    )
    rexbit(db_url, "queue", "work", "--queue=mail", "--stop-when-empty", "--sleep=0.2")
    assert query(db_url, f"SELECT state FROM mail_messages WHERE id = {queued['id']}") == [("failed",)]
    again = json.loads(rexbit(db_url, "mail", "resend", str(queued["id"]), "--json").stdout)
    assert again["id"] != queued["id"] and again["message_id"] != queued["message_id"]
    rexbit(db_url, "queue", "work", "--queue=mail", "--stop-when-empty", "--sleep=0.2")
    [got] = smtp.received
    assert got.message["Message-ID"] == again["message_id"]
    refused = rexbit(db_url, "mail", "resend", str(again["id"]))
    assert refused.returncode != 0 and "only an uncertain or failed e-mail" in refused.stderr
