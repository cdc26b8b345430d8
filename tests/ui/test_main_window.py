"""The main window shell: navigation, status bar, keyboard shortcuts, login."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

from rexbit_desktop.domain.errors import NotFound, PermissionDenied
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.users import add_user, authenticate
from rexbit_desktop.ui.dialogs import describe_error
from rexbit_desktop.ui.login import LoginDialog
from rexbit_desktop.ui.main_window import MainWindow
from rexbit_desktop.ui.runner import TaskError, TaskRunner


def test_main_window_shows_navigation_and_status(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    labels = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert labels == ["Pulpit", "Zamówienia", "Produkty", "Integracje", "Kolejki", "Harmonogram"]
    assert "administrator" in window.user_label.text()
    url = ctx.db.engine.url
    if url.query.get("host"):  # the embedded server (or any local server) through a Unix socket
        expected = f"Baza danych: serwer na tym komputerze (gniazdo {url.query['host']}), baza {url.database}"
    else:
        expected = f"Baza danych: serwer {url.host}:{url.port or 5432}/{url.database}"
    assert window.db_label.text() == expected
    window.show_view("queues")
    assert window.stack.currentWidget() is window.views["queues"]


def test_login_dialog_refuses_wrong_password_and_accepts_right_one(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_user(db.uow(), system_actor, login="anna", role="operator", password="tajne-hasło")
    dialog = LoginDialog(lambda login, pw: authenticate(db.uow(), login, pw))
    qtbot.addWidget(dialog)
    dialog.login_edit.setText("anna")
    dialog.password_edit.setText("zle")
    dialog._try_login()
    assert dialog.actor is None
    assert dialog.error_label.text() == "Nieprawidłowy login lub hasło."
    qtbot.keyClicks(dialog.password_edit, "tajne-has")  # keyClicks types ASCII only
    dialog.password_edit.setText("")
    for ch in "tajne-hasło":  # Polish text character by character
        qtbot.keyClick(dialog.password_edit, ch) if ch.isascii() else dialog.password_edit.insert(ch)
    dialog._try_login()
    assert dialog.actor is not None and dialog.actor.role is Role.OPERATOR


def test_background_task_does_not_block_the_event_loop(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The service call in the pool waits until the GUI thread has handled ten timer ticks: it can end
    with "gotowe" only if the event loop kept running beside it (run in the GUI thread, it would block
    the ticks and end with "blocked"). No clock is compared, so load cannot make it flaky."""
    import threading

    from PySide6.QtCore import QTimer

    runner = TaskRunner(QThreadPool())
    results: list[str] = []
    ticks: list[int] = []
    ten_ticks = threading.Event()

    def slow(_ctx) -> str:  # type: ignore[no-untyped-def]
        return "gotowe" if ten_ticks.wait(timeout=20) else "blocked"

    def tick() -> None:
        ticks.append(1)
        if len(ticks) >= 10:
            ten_ticks.set()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    runner.submit(slow, on_result=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=30000)
    timer.stop()
    assert results == ["gotowe"]


def test_errors_are_described_in_user_words() -> None:
    msg, hint, details = describe_error(TaskError(NotFound("Nie ma takiego zamówienia."), "tb"))
    assert msg == "Nie ma takiego zamówienia." and details == "tb"
    msg, hint, _ = describe_error(TaskError(ZeroDivisionError("x"), "Traceback ..."))
    assert msg == "Coś poszło nie tak" and "Traceback" not in msg + hint


def test_role_permissions_are_enforced_by_actor() -> None:
    operator = Actor(login="op", role=Role.OPERATOR)
    import pytest

    from rexbit_desktop.domain.roles import Permission

    with pytest.raises(PermissionDenied):
        operator.require(Permission.SETTINGS_EDIT)


def test_log_out_and_switch_user_without_quitting(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    """A shared workstation: File → Log out / switch user asks who is next, rebuilds the views for them
    (their rights, their own last filters), and back; nobody logging in closes the window."""
    from tests.support.ui import make_ctx

    add_user(
        db.uow(), system_actor, login="anna", role="operator", password="haslo-anny", display_name="Anna"
    )
    add_user(
        db.uow(), system_actor, login="marek", role="manager", password="haslo-marka", display_name="Marek"
    )
    anna = authenticate(db.uow(), "anna", "haslo-anny")
    marek = authenticate(db.uow(), "marek", "haslo-marka")
    ctx = make_ctx(db, Role.OPERATOR, login="anna")
    ctx.actor = anna
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.findChild(type(window.switch_user_action), "switch_user") is window.switch_user_action
    assert window.switch_user_action.text() == "Wyloguj / zmień użytkownika…"

    def orders_search() -> str:
        panel = window.show_view("orders").list_panel  # type: ignore[attr-defined]
        return str(panel.filters.search_text())

    def type_search(text: str) -> None:
        panel = window.show_view("orders").list_panel  # type: ignore[attr-defined]
        panel.filters.search.setText(text)

    orders_search()
    type_search("kowalski")
    asked: list[str] = []
    window.ask_login = lambda last: asked.append(last) or marek  # type: ignore[func-returns-value]
    assert window.switch_user()
    assert asked == ["anna"] and window.isVisible()
    assert window.ctx.actor.login == "marek" and "Marek" in window.user_label.text()
    assert orders_search() == ""  # Marek's own (empty) filters, not Anna's
    type_search("nowak")

    window.ask_login = lambda last: asked.append(last) or anna  # type: ignore[func-returns-value]
    assert window.switch_user()
    assert asked == ["anna", "marek"] and window.ctx.actor.login == "anna"
    assert orders_search() == "kowalski"  # Anna's last filters are hers

    window.ask_login = lambda last: None  # logged out, nobody logs in
    assert not window.switch_user()
    assert not window.isVisible()
    assert ctx.setting("orders/list/filters")["search"] == "kowalski"
