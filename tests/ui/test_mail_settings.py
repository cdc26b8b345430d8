"""Zamówienia → E-mail (mail accounts, templates, automatic e-mails), the bulk send from the orders list
and "Wyślij ponownie" in the Wiadomości tab, with real widgets offscreen on a real database.

The account buttons run on the real task runner (a thread pool) against a real SMTP server (aiosmtpd with
AUTH on 127.0.0.1) and a real IMAP server (dovecot, started per test): a test e-mail that arrives, a bad
login, an unreachable host, a TLS failure, and the inbox check.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import select

from rexbit_desktop.db.models.mail import MailAccount, MailMessage, MailTemplate
from rexbit_desktop.domain.roles import Role
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.services.messages.accounts import list_mail_accounts, set_mail_account
from rexbit_desktop.services.messages.automation import get_mail_settings
from rexbit_desktop.services.messages.outbox import send_order_mail
from rexbit_desktop.ui.mail.accounts_page import MailAccountsPage
from rexbit_desktop.ui.mail.panel import MailSettingsPanel
from rexbit_desktop.ui.orders.view import OrdersView
from tests.support.mail import SmtpServer, free_port
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.ui import make_ctx
from tests.support.ui_language import language_problems, visible_texts

LOGIN, PASSWORD = "sklep@example.pl", "Tajne-hasło-ąę 1"


@pytest.fixture
def auth_smtp() -> Any:
    server = SmtpServer(login=(LOGIN, PASSWORD)).start()
    yield server
    server.stop()


def _fill(page: MailAccountsPage, port: int, **fields: str) -> None:
    values = {
        "name": "sklep", "smtp_host": "127.0.0.1", "login": LOGIN, "password": PASSWORD,
        "from_name": "Sklep Testowy", "from_address": "sklep@example.pl", "reply_to": "biuro@example.pl",
    }  # fmt: skip
    values.update(fields)
    for key, value in values.items():
        getattr(page, key).setText(value)
    page.security.setCurrentIndex(page.security.findData(fields.get("security", "none")))
    page.smtp_port.setValue(port)


def _wait_result(qtbot: Any, page: Any, text: str) -> str:
    try:
        qtbot.waitUntil(lambda: text in page.result.text(), timeout=30000)
    except Exception:
        raise AssertionError(page.result.text()) from None
    return str(page.result.text())


def test_operators_do_not_get_the_mail_settings_managers_do(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    operator = OrdersView(make_ctx(db, Role.OPERATOR))
    manager = OrdersView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(operator)
    qtbot.addWidget(manager)
    assert operator.mail_panel is None
    assert "E-mail" not in [operator.tabs.tabText(i) for i in range(operator.tabs.count())]
    assert isinstance(manager.mail_panel, MailSettingsPanel)
    assert manager.tabs.tabText(manager.tabs.indexOf(manager.mail_panel)) == "E-mail"


def test_test_email_in_the_background_then_a_bad_login_unreachable_host_and_tls(qtbot, db, auth_smtp) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER, login="szef", sync=False)
    page = MailAccountsPage(ctx)
    qtbot.addWidget(page)
    _fill(page, auth_smtp.port)
    page.test_to.setText("klient@example.pl")
    page.test_button.click()
    assert not page.test_button.isEnabled()  # running on the pool, the window stays responsive
    assert (
        _wait_result(qtbot, page, "Testowy e-mail wysłano") == "Testowy e-mail wysłano do klient@example.pl."
    )
    qtbot.waitUntil(lambda: page.list.count() == 1 and page.current is not None, timeout=10000)
    [got] = auth_smtp.received
    assert got.rcpt_tos == ["klient@example.pl"] and got.message["Subject"] == "rexbit: wiadomość testowa"
    # The saved password never comes back to the form (masked like the shop password).
    assert page.password.text() == "" and page.password.echoMode() == QLineEdit.EchoMode.Password
    assert page.password.placeholderText() == "bez zmian (zostaw puste)"
    assert page.password_state.text() == "Hasło jest ustawione."
    assert not any(PASSWORD in w.text() for w in page.findChildren(QLineEdit))
    [dto] = list_mail_accounts(db.uow(), ctx.actor)
    assert dto.config["password"] == "***"

    # A wrong password: the server's refusal, in Polish, nothing sent; the saved password is replaced.
    page.password.setText("złe hasło")
    page.test_button.click()
    text = _wait_result(qtbot, page, "odrzucił logowanie")
    assert text.startswith(f"Serwer poczty 127.0.0.1:{auth_smtp.port} odrzucił logowanie „{LOGIN}”: 535")
    assert "Sprawdź login i hasło konta pocztowego." in text
    assert len(auth_smtp.received) == 1
    assert "Traceback" not in text and "--" not in text

    # Nobody listens on the port.
    qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=10000)
    page.password.setText(PASSWORD)
    page.smtp_port.setValue(free_port())
    page.test_button.click()
    text = _wait_result(qtbot, page, "Nie można połączyć się")
    assert "Sprawdź nazwę serwera i port" in text

    # SSL/TLS against a server that speaks plain SMTP.
    qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=10000)
    page.security.setCurrentIndex(page.security.findData("ssl"))
    page.smtp_port.setValue(auth_smtp.port)
    page.test_button.click()
    text = _wait_result(qtbot, page, "(TLS)")
    assert "Sprawdź port i zabezpieczenie" in text
    qtbot.waitUntil(lambda: ctx.runner.running == 0, timeout=30000)  # no callback after the test


def test_check_the_inbox_on_a_real_imap_server_and_a_bad_imap_login(qtbot, db, imap_server) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.ADMIN, sync=False)
    page = MailAccountsPage(ctx)
    qtbot.addWidget(page)
    imap_server.append(b"From: a@example.pl\r\nSubject: hej\r\n\r\ntekst\r\n")
    _fill(page, 25, login=imap_server.user, password=imap_server.password)
    page.imap_host.setText("127.0.0.1")
    page.imap_security.setCurrentIndex(page.imap_security.findData("none"))
    page.imap_port.setValue(imap_server.port)
    page.inbox_button.click()
    assert _wait_result(qtbot, page, "Skrzynka działa") == "Skrzynka działa: folder INBOX, wiadomości: 1."
    assert imap_server.flags() == [b""] or all(b"\\Seen" not in f for f in imap_server.flags())

    qtbot.waitUntil(lambda: page.inbox_button.isEnabled(), timeout=10000)
    page.password.setText("złe")
    page.inbox_button.click()
    text = _wait_result(qtbot, page, "odrzucił logowanie")
    assert f"Serwer poczty 127.0.0.1:{imap_server.port} odrzucił logowanie „{imap_server.user}”" in text
    qtbot.waitUntil(lambda: ctx.runner.running == 0, timeout=30000)  # no callback after the test


def test_a_separate_imap_login_set_in_the_form_is_used_by_check_the_inbox(qtbot, db, imap_server) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.ADMIN, sync=False)
    page = MailAccountsPage(ctx)
    qtbot.addWidget(page)
    assert page.imap_login.placeholderText() == "puste: jak dla SMTP"
    # The SMTP login is not a user of the inbox: only the IMAP login and password typed here get in.
    _fill(page, 25)
    page.imap_host.setText("127.0.0.1")
    page.imap_security.setCurrentIndex(page.imap_security.findData("none"))
    page.imap_port.setValue(imap_server.port)
    page.inbox_button.click()
    assert f"odrzucił logowanie „{LOGIN}”" in _wait_result(qtbot, page, "odrzucił logowanie")
    # The account was saved before the check: the list reloads with it and the error stays on screen.
    qtbot.waitUntil(lambda: page.list.count() == 1 and ctx.runner.running == 0, timeout=30000)
    qtbot.wait(50)  # the reload's result is delivered through the event loop
    assert f"odrzucił logowanie „{LOGIN}”" in page.result.text()
    qtbot.waitUntil(lambda: page.inbox_button.isEnabled(), timeout=10000)

    page.imap_login.setText(imap_server.user)
    page.imap_password.setText(imap_server.password)
    page.inbox_button.click()
    assert _wait_result(qtbot, page, "Skrzynka działa") == "Skrzynka działa: folder INBOX, wiadomości: 0."
    qtbot.waitUntil(lambda: ctx.runner.running == 0, timeout=30000)
    qtbot.waitUntil(lambda: page.current is not None and page.list.count() == 1, timeout=10000)
    with db.uow() as uow:
        [cfg] = uow.session.scalars(select(MailAccount.config))
    assert (cfg["login"], cfg["password"]) == (LOGIN, PASSWORD)  # the SMTP ones are untouched
    assert (cfg["imap_login"], cfg["imap_password"]) == (imap_server.user, imap_server.password)
    # Shown back: the login, never the password (masked like the SMTP one).
    assert page.imap_login.text() == imap_server.user and page.imap_password.text() == ""
    assert page.imap_password.echoMode() == QLineEdit.EchoMode.Password
    assert page.imap_password.placeholderText() == "bez zmian (zostaw puste)"
    assert page.imap_password_state.text() == "Hasło jest ustawione."
    assert not any(imap_server.password in w.text() for w in page.findChildren(QLineEdit))
    [dto] = list_mail_accounts(db.uow(), ctx.actor)
    assert dto.config["imap_password"] == "***"

    # Saved again without retyping: the IMAP password is kept and the check still gets in.
    page.inbox_button.click()
    qtbot.waitUntil(lambda: "Sprawdzanie" not in page.result.text(), timeout=30000)
    assert page.result.text() == "Skrzynka działa: folder INBOX, wiadomości: 0."
    qtbot.waitUntil(lambda: ctx.runner.running == 0, timeout=30000)  # no callback after the test


def test_a_template_with_an_unknown_variable_or_a_syntax_error_is_refused_with_its_line(
    qtbot, db, system_actor
) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    number = create(db, system_actor, ("A-1", 2)).number
    ctx = make_ctx(db, Role.MANAGER)
    panel = MailSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    page = panel.templates
    row = [tpl.code for tpl in page.templates].index("order_shipped")
    page.list.setCurrentRow(row)
    assert page.code.text() == "order_shipped" and page.language.text() == "pl"
    variables = [page.variables.item(i).text() for i in range(page.variables.count())]
    assert "shipment.tracking_number / .tracking_url – numer przesyłki i link do śledzenia" in variables
    tracking = variables.index(
        "shipment.tracking_number / .tracking_url – numer przesyłki i link do śledzenia"
    )
    assert page.variables.item(tracking).data(256) == "{{ shipment.tracking_number }}"

    saved_body = page.body_text.toPlainText()
    page.body_text.setPlainText("Dzień dobry,\npaczka {{ order.nonexistent }} jest w drodze.\n")
    page.save_button.click()
    assert page.status.text().startswith("Treść (tekst) szablonu, wiersz 2: nieznana zmienna.")
    assert page.body_text.textCursor().blockNumber() == 1  # the cursor on the refused line
    page.body_text.setPlainText("A\nB\n{% for item in items %}\n{{ item.name }}\n")
    page.save_button.click()
    assert "wiersz 4: błąd składni" in page.status.text() or "wiersz 5: błąd składni" in page.status.text()
    with db.uow() as uow:
        stored = uow.session.scalars(
            select(MailTemplate.body_text).where(MailTemplate.code == "order_shipped")
        ).one()
    assert stored == saved_body  # nothing refused was stored

    # A valid edit with a variable inserted from the list, previewed for an order, then saved.
    page.body_text.setPlainText("Zamówienie ")
    cursor = page.body_text.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    page.body_text.setTextCursor(cursor)
    page.last_editor = page.body_text
    page.variables.itemDoubleClicked.emit(page.variables.item(0))  # order.number
    assert page.body_text.toPlainText() == "Zamówienie {{ order.number }}"
    page.order.setText(number)
    page.preview_button.click()
    assert f"Zamówienie {number}" in page.preview_text.toPlainText()
    page.save_button.click()
    assert (
        page.status.text() == "Zapisano szablon „Wysłane do klienta” (pl)."
        or "Zapisano szablon" in page.status.text()
    )
    with db.uow() as uow:
        stored = uow.session.scalars(
            select(MailTemplate.body_text).where(MailTemplate.code == "order_shipped")
        ).one()
    assert stored == "Zamówienie {{ order.number }}"


def test_rules_per_status_and_source_and_the_default_language(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.MANAGER)
    panel = MailSettingsPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    page = panel.rules
    assert page.table.rowCount() == 4 and not any(r.enabled for r in page.rules())
    panel.show()
    for tab in (panel.accounts, panel.templates, panel.rules):  # everything a person reads is Polish
        panel.tabs.setCurrentWidget(tab)
        assert language_problems(visible_texts(tab)) == []
    page.table.cellWidget(1, 0).setChecked(True)  # shipped → order_shipped
    page.table.cellWidget(1, 3).setText("prestashop")
    page.save_button.click()
    assert page.status.text() == "Zapisano reguły."
    settings = get_mail_settings(db.uow(), ctx.actor)
    shipped = next(r for r in settings.rules if r.status == "shipped")
    assert shipped.enabled and shipped.sources == ["prestashop"] and shipped.template == "order_shipped"
    page.default_language.setText("x1")
    page.save_button.click()
    assert page.status.text().startswith("„x1” to nie kod języka")
    assert get_mail_settings(db.uow(), ctx.actor).default_language == "pl"


def test_bulk_send_from_the_orders_list_reports_the_orders_without_an_address(
    qtbot, db, system_actor, smtp
) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    with_mail = [create(db, system_actor, ("A-1", 1)).number for _ in range(2)]
    without = create(db, system_actor, ("A-1", 1), addresses={"customer": {"name": "Bez Maila"}}).number
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    ctx = make_ctx(db, Role.OPERATOR, login="jan")
    view = OrdersView(ctx)
    qtbot.addWidget(view)
    panel = view.list_panel
    panel.refresh()
    panel.select_rows([*with_mail, without])
    button = panel.bulk_mail
    assert button.parent() is panel.bulk and button.toolTip() == "Wyślij e-mail do zaznaczonych…"

    def ask(templates: list[Any], count: int) -> Any:
        from rexbit_desktop.ui.mail.bulk_send import BulkMailDialog

        dialog = BulkMailDialog(templates, count)
        qtbot.addWidget(dialog)
        dialog.choose("payment_received")
        dialog.exec = lambda: dialog.DialogCode.Accepted  # type: ignore[method-assign]
        return dialog

    button.ask_dialog = ask
    button.click()
    title, text = ctx.dialogs.infos[-1]  # type: ignore[attr-defined]
    assert title == "E-mail do zaznaczonych zamówień"
    assert text.splitlines() == [
        "W kolejce do wysłania: 2 zamówienia. Nie wysłano: 1 zamówienie.",
        f"{without}: Zamówienie {without} nie ma adresu e-mail klienta.",
    ]
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)])
    assert len(smtp.received) == 2
    assert all(r.message["Subject"].startswith("Otrzymaliśmy płatność") for r in smtp.received)


def test_resend_a_failed_email_from_the_messages_tab_after_a_confirmation(
    qtbot, db, system_actor, smtp
) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.ui.orders.detail import OrderDetailDialog

    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    number = create(db, system_actor, ("A-1", 1)).number
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    smtp.handler.answers = deque(["550 5.2.2 Mailbox full"])
    send_order_mail(db.uow(), system_actor, number, "order_received")
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)])
    ctx = make_ctx(db, Role.OPERATOR, login="jan")
    detail = OrderDetailDialog(ctx, number)
    qtbot.addWidget(detail)
    detail.load()
    panel = detail.messages_panel
    panel.table.selectRow(0)
    assert panel.resend_button.isEnabled() and panel.resend_button.text() == "Wyślij ponownie…"

    ctx.dialogs.answer = False  # type: ignore[attr-defined]
    panel.resend_button.click()
    title, question = ctx.dialogs.confirms[-1]  # type: ignore[attr-defined]
    assert title == "Wyślij ponownie" and question.startswith(
        "Wysłać ponownie e-mail „Przyjęliśmy zamówienie"
    )
    with db.uow() as uow:
        assert len(list(uow.session.scalars(select(MailMessage.id)))) == 1  # "No": nothing queued

    ctx.dialogs.answer = True  # type: ignore[attr-defined]
    panel.resend_button.click()
    assert "ponownie czeka w kolejce" in ctx.dialogs.infos[-1][1]  # type: ignore[attr-defined]
    # The history shows the request (who asked) before the copy has gone out.
    detail.load()
    history = [
        [detail.history_table.item(r, c).text() for c in (3, 4)]
        for r in range(detail.history_table.rowCount())
    ]
    requested = [row for row in history if row[1].startswith("Zlecono ponowne wysłanie e-maila: ")]
    assert len(requested) == 1 and requested[0][0] == "jan"
    assert "Przyjęliśmy zamówienie" in requested[0][1]
    assert not any(row[1].startswith("Wysłano e-mail") for row in history)
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)])
    detail.load()
    comments = [detail.history_table.item(r, 4).text() for r in range(detail.history_table.rowCount())]
    assert [c.split(":")[0] for c in comments[-2:]] == ["Zlecono ponowne wysłanie e-maila", "Wysłano e-mail"]
    states = [panel.table.item(r, 3).text() for r in range(panel.table.rowCount())]
    assert states == ["błąd wysyłki", "wysłana"]
    panel.table.selectRow(1)
    assert "Ponowna wysyłka wiadomości nr" in panel.details.toPlainText()
    assert not panel.resend_button.isEnabled()  # a sent e-mail is not sent again
    assert len(smtp.received) == 1


def test_accounts_page_never_shows_the_password_of_an_env_account(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    set_mail_account(
        db.uow(), system_actor, "env",
        {"smtp_host": "smtp.example.pl", "from_address": "a@example.pl", "password_env": "REXBIT_SMTP_PASSWORD"},
    )  # fmt: skip
    ctx = make_ctx(db, Role.ADMIN)
    page = MailAccountsPage(ctx)
    qtbot.addWidget(page)
    page.load()
    assert page.password_source.currentData() == "env" and not page.password.isEnabled()
    assert page.password_state.text() == "Hasło jest odczytywane ze zmiennej REXBIT_SMTP_PASSWORD."
    page.from_address.setText("to nie adres")
    page.save_button.click()
    assert page.result.text() == "Adres nadawcy: to nie jest adres e-mail."
    with db.uow() as uow:
        [cfg] = uow.session.scalars(select(MailAccount.config))
    assert cfg["from_address"] == "a@example.pl"
