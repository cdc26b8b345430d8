"""The order detail's "Wiadomości" tab on a real database with a real SMTP server: send from a template
(edited before sending), the worker sends it, the tab and the history show it; a refused e-mail shows
the server's answer."""

from __future__ import annotations

from collections import deque

from rexbit_desktop.domain.roles import Role
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.services.messages.accounts import set_mail_account
from rexbit_desktop.ui.orders.detail import OrderDetailDialog
from rexbit_desktop.ui.orders.messages import SendMailDialog
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.ui import make_ctx


def _column(table, c: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_send_from_the_messages_tab_and_see_it_sent(qtbot, db, system_actor, smtp) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    number = create(db, system_actor, ("A-1", 1)).number
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    ctx = make_ctx(db, Role.OPERATOR, login="jan")
    detail = OrderDetailDialog(ctx, number)
    qtbot.addWidget(detail)
    detail.load()
    tabs = [detail.lower_tabs.tabText(i) for i in range(detail.lower_tabs.count())]
    assert "Wiadomości" in tabs
    panel = detail.messages_panel
    assert panel.table.rowCount() == 0 and not panel.empty.isHidden()

    dialogs: list[SendMailDialog] = []

    def ask() -> SendMailDialog:
        dialog = SendMailDialog(ctx, number, panel)
        qtbot.addWidget(dialog)
        dialog.choose("order_shipped")
        assert dialog.subject.text() == f"Zamówienie {number} zostało wysłane"
        assert dialog.to_label.text() == "jazn@example.pl"
        assert dialog.attachments.text().startswith("potwierdzenie-zamowienia-")
        dialog.subject.setText("Paczka w drodze")
        dialog.body.setPlainText(dialog.body.toPlainText() + "\nPozdrawiamy serdecznie")
        dialog.exec = lambda: (dialog.send(), dialog.result())[1]  # type: ignore[method-assign]
        dialogs.append(dialog)
        return dialog

    panel.ask_dialog = ask
    panel.send_button.click()
    assert dialogs and dialogs[0].result_message is not None
    assert ctx.dialogs.infos and "czeka w kolejce" in ctx.dialogs.infos[-1][1]  # type: ignore[attr-defined]
    assert _column(panel.table, 3) == ["w kolejce"]

    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)])
    detail.load()
    assert _column(panel.table, 1) == ["Wysłana do klienta"]
    assert _column(panel.table, 2) == ["Paczka w drodze"]
    assert _column(panel.table, 3) == ["wysłana"] and _column(panel.table, 4) == ["jan"]
    assert _column(panel.table, 5)[0].startswith("potwierdzenie-zamowienia-")
    assert "Pozdrawiamy serdecznie" in panel.details.toPlainText()
    assert "Próba 1: sent" in panel.details.toPlainText()
    assert _column(detail.history_table, 4)[-1] == "Wysłano e-mail: Paczka w drodze"
    [got] = smtp.received
    msg = got.message
    assert msg["Subject"] == "Paczka w drodze" and msg.get_body(preferencelist=("html",)) is None


def test_a_refused_email_shows_the_servers_answer(qtbot, db, system_actor, smtp) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    number = create(db, system_actor, ("A-1", 1)).number
    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    smtp.handler.answers = deque(["550 5.7.1 Message rejected as spam"])
    from rexbit_desktop.services.messages.outbox import send_order_mail

    send_order_mail(db.uow(), system_actor, number, "payment_received")
    run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)])
    detail = OrderDetailDialog(make_ctx(db, Role.OPERATOR), number)
    qtbot.addWidget(detail)
    detail.load()
    panel = detail.messages_panel
    assert _column(panel.table, 3) == ["błąd wysyłki"]
    assert "Odpowiedź serwera: 550 5.7.1 Message rejected as spam" in panel.details.toPlainText()
    assert not any("Wysłano e-mail" in c for c in _column(detail.history_table, 4))
