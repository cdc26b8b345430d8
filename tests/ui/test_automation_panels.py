"""The rules editor and the webhooks settings on a real database, per role (offscreen Qt widgets)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from pytest_httpserver import HTTPServer

from rexbit_desktop.domain.roles import Role
from rexbit_desktop.services.automation import rules, webhooks
from rexbit_desktop.ui.orders.automation_panel import AutomationPanel, RuleEditorDialog
from rexbit_desktop.ui.orders.view import OrdersView
from rexbit_desktop.ui.orders.webhooks_panel import WebhooksPanel
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.ui import make_ctx


def _column(table, c: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_a_manager_writes_a_rule_in_the_editor_and_tries_it(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "UI-1")
    big = create(db, system_actor, ("UI-1", 5))  # 615.00
    create(db, system_actor, ("UI-1", 1))
    ctx = make_ctx(db, Role.MANAGER)
    panel = AutomationPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    assert len(panel.rules) == 3 and all("(wbudowana)" in n for n in _column(panel.table, 2))

    editor = RuleEditorDialog(None)
    qtbot.addWidget(editor)
    editor.name.setText("Duże zamówienia")
    editor.event.setCurrentIndex(editor.event.findData("status_changed"))
    editor.add_condition("total_gross", "gte", "500")
    editor.add_action("set_tag", "duze")
    panel.open_editor = lambda _rule: editor.rule_data()
    panel.edit_rule(new=True)
    assert ctx.dialogs.errors == []
    assert "Duże zamówienia" in _column(panel.table, 2)
    row = _column(panel.table, 2).index("Duże zamówienia")
    assert panel.table.item(row, 3).text() == "Zmiana statusu (z → na)"
    assert panel.table.item(row, 4).text() == "wartość brutto ≥ 500"
    assert panel.table.item(row, 5).text() == "Ustaw znacznik: duze"

    panel.table.selectRow(row)
    panel.dry_run()
    title, text = ctx.dialogs.infos[-1]
    assert title == "Próba na sucho" and "spełnia teraz 1 z 2" in text and big.number in text

    panel.toggle()
    assert panel.table.item(_column(panel.table, 2).index("Duże zamówienia"), 0).text() == ""
    # A rule the services refuse is explained, not saved.
    bad = RuleEditorDialog(None)
    qtbot.addWidget(bad)
    bad.name.setText("Zła")
    bad.add_condition("total_gross", "gte", "dużo")
    bad.add_action("add_note", "x")
    panel.open_editor = lambda _rule: bad.rule_data()
    panel.edit_rule(new=True)
    assert ctx.dialogs.errors and "dużo" in ctx.dialogs.errors[-1][0]
    assert [r.name for r in rules.list_rules(db.uow(), system_actor) if not r.builtin] == ["Duże zamówienia"]


def test_an_operator_sees_rules_but_cannot_change_them(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(db, Role.OPERATOR)
    panel = AutomationPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.load()
    assert panel.notice.isVisible() and not panel.new_button.isEnabled() and panel.dry_run_button.isEnabled()


def test_webhooks_panel_adds_tests_and_resends(qtbot, db, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hooks").respond_with_data("dzięki", status=200)
    ctx = make_ctx(db, Role.ADMIN)
    panel = WebhooksPanel(ctx)
    qtbot.addWidget(panel)
    panel.load()
    panel.ask_endpoint = lambda: {
        "name": "sklep",
        "url": httpserver.url_for("/hooks"),
        "event_types": ["orders.updated"],
        "allow_private": True,
    }
    panel.add_endpoint()
    assert ctx.dialogs.errors == []
    assert QGuiApplication.clipboard().text().startswith("whsec_")
    assert _column(panel.endpoint_table, 0) == ["sklep"]
    panel.endpoint_table.selectRow(0)
    panel.send_test()
    assert ctx.dialogs.infos[-1][1] == "Wysłano test: dostarczono, odpowiedź 200."
    panel.load_deliveries()
    assert _column(panel.delivery_table, 3) == ["dostarczono"]
    panel.delivery_table.selectRow(0)
    assert "#1" in panel.attempts.toPlainText() and "200" in panel.attempts.toPlainText()
    panel.send_again()
    assert ctx.dialogs.infos[-1][1] == "Ponownie w kolejce."
    assert webhooks.list_deliveries(db.uow(), ctx.actor)[0].status == "pending"


def test_orders_view_has_the_two_tabs(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    view = OrdersView(make_ctx(db, Role.MANAGER))
    qtbot.addWidget(view)
    names = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert names[-3:] == ["Reguły automatyzacji", "Webhooki", "E-mail"]
    view.tabs.setCurrentWidget(view.automation_panel)
    assert view.automation_panel.table.rowCount() == 3
