"""Automation rules on PostgreSQL: events after the commit, rules from the table, actions through the
order services, the depth limit, failing actions, the built-in rules (the old switches), the dry run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from rexbit_desktop.db.models import AutomationEvent, AutomationRule, OrderAuditLog
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.automation import engine, rules
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, create, setup_warehouse

PAID_COMPANY_RULE = {
    "name": "Opłacone firmowe ≥ 500 zł",
    "event": "status_changed",
    "conditions": [
        {"field": "to_status", "op": "eq", "value": "paid"},
        {"field": "source", "op": "in", "value": ["prestashop"]},
        {"field": "total_gross", "op": "gte", "value": "500"},
        {"field": "is_company", "op": "is_true"},
    ],
    "actions": [
        {"type": "reserve"},
        {"type": "set_status", "status": "awaiting_fulfillment"},
        {"type": "add_note", "text": "Duże zamówienie firmowe – sprawdzić fakturę."},
    ],
    "stop_on_failure": True,
}


def automation_audits(db, order_id: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        return [
            {**a.details, "kind": a.action}
            for a in uow.session.scalars(
                select(OrderAuditLog)
                .where(OrderAuditLog.order_id == order_id, OrderAuditLog.action.like("automation%"))
                .order_by(OrderAuditLog.id)
            )
        ]


def notes(db, number: str, actor) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.body for n in orders.get_order(db.uow(), actor, number).notes]


@pytest.mark.mysql
def test_paid_company_order_of_500_from_the_shop_runs_the_rule_once(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shop.orders import sync_orders
    from tests.support.shop import (
        add_our_product,
        add_shop_order,
        create_shop_integration,
        line,
        shop_execute,
    )

    integration = create_shop_integration(db, shop)
    add_our_product(db, sku="DUZY", shop_integration=integration, external_id="7:0")
    stock.add_warehouse(db.uow(), system_actor, code="MAG", name="Magazyn", default=True)
    stock.receive_stock(db.uow(), system_actor, sku="DUZY", warehouse="MAG", qty="20")
    rule = rules.save_rule(db.uow(), system_actor, PAID_COMPANY_RULE)
    bankwire, payment = 10, 2
    # 2 × 242.50 + 15 shipping = 500.00; 2 × 242.00 + 15 = 499.00 (both invoiced to "Firma Sp. z o.o.").
    add_shop_order(shop, 301, state=bankwire, lines=[line(7, "242.50", 2, ref="DUZY")], total_paid_real="0")
    add_shop_order(shop, 302, state=bankwire, lines=[line(7, "242.00", 2, ref="DUZY")], total_paid_real="0")
    assert sync_orders(db.uow(), system_actor, integration_id=integration).created == 2
    engine.process_events(db)

    for id_order in (301, 302):
        shop_execute(
            shop,
            f"UPDATE {shop.t('orders')} SET current_state = %s, total_paid_real = total_paid, date_upd = NOW()"
            " WHERE id_order = %s",
            (payment, id_order),
        )
    assert sync_orders(db.uow(), system_actor, integration_id=integration).updated == 2
    done = engine.process_events(db)
    assert done.runs == 1 and done.failed == 0

    with db.uow() as uow:
        big, small = (
            uow.session.execute(
                text("SELECT id, number, status, total_gross FROM orders WHERE external_order_id = :e"),
                {"e": str(e)},
            ).one()
            for e in (301, 302)
        )
    assert (big.status, big.total_gross) == ("awaiting_fulfillment", Decimal("500.0000"))
    assert (small.status, small.total_gross) == ("paid", Decimal("499.0000"))
    assert stock.product_stock(db.uow(), system_actor, sku="DUZY").levels[0].reserved == Decimal("2.000")
    assert notes(db, big.number, system_actor) == ["Duże zamówienie firmowe – sprawdzić fakturę."]
    assert notes(db, small.number, system_actor) == []
    steps = automation_audits(db, big.id)
    assert [(s["rule"], s["action_type"], s["ok"]) for s in steps] == [
        (rule.name, "reserve", True),
        (rule.name, "set_status", True),
        (rule.name, "add_note", True),
    ]
    assert automation_audits(db, small.id) == []

    # Taking the same orders in again (a full re-read of the shop) fires nothing a second time.
    from datetime import date, timedelta

    again = sync_orders(
        db.uow(), system_actor, integration_id=integration, since=date.today() - timedelta(days=2)
    )
    assert (again.created, again.updated) == (0, 0)
    assert engine.process_events(db).runs == 0
    # And handling the same event twice (two workers, a crash before marking it) runs nothing twice.
    with db.uow() as uow:
        uow.session.execute(text("UPDATE automation_events SET processed_at = NULL"))
        uow.commit()
    assert engine.process_events(db).runs == 0
    assert len(automation_audits(db, big.id)) == 3
    assert notes(db, big.number, system_actor) == ["Duże zamówienie firmowe – sprawdzić fakturę."]


def test_two_rules_setting_each_others_trigger_stop_at_the_depth_limit(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "PETLA")
    setup_warehouse(db, system_actor)
    stock.receive_stock(db.uow(), system_actor, sku="PETLA", warehouse="MAG", qty="1")
    order = create(db, system_actor, ("PETLA", 1))
    wf = OrderWorkflowService()
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        wf.transition(db.uow(), system_actor, order.number, status)
    orders.ship(db.uow(), system_actor, order.number, carrier="inpost", tracking="T1")
    wf.transition(db.uow(), system_actor, order.number, "completed")
    for trigger, target in (("return_requested", "completed"), ("completed", "return_requested")):
        rules.save_rule(
            db.uow(),
            system_actor,
            {
                "name": f"{trigger} → {target}",
                "event": "status_changed",
                "conditions": [{"field": "to_status", "op": "eq", "value": trigger}],
                "actions": [{"type": "set_status", "status": target}],
            },
        )

    wf.transition(db.uow(), system_actor, order.number, "return_requested")  # a person's change: depth 0
    result = engine.process_events(db)  # no exception reaches the caller

    assert result.loops_stopped == 1 and result.runs == 5 and result.failed == 0
    audits = automation_audits(db, order.id)
    stops = [a for a in audits if a["kind"] == "automation_loop_stopped"]
    assert len(stops) == 1 and stops[0]["depth"] == 5
    assert len([a for a in audits if a["kind"] == "automation"]) == 5
    history = orders.get_order(db.uow(), system_actor, order.number).history
    assert [h.changed_by for h in history[-5:]] == ["job:automation"] * 5
    assert engine.process_events(db).events == 0  # nothing left over


def test_a_failed_action_stops_the_rest_of_the_rule_and_says_why(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "BRAK")
    setup_warehouse(db, system_actor)  # no stock at all
    order = create(db, system_actor, ("BRAK", 2))
    rules.save_rule(
        db.uow(),
        system_actor,
        {
            "name": "Rezerwuj i wydaj",
            "event": "status_changed",
            "conditions": [{"field": "to_status", "op": "eq", "value": "paid"}],
            "actions": [
                {"type": "reserve"},
                {"type": "set_status", "status": "awaiting_fulfillment"},
                {"type": "set_tag", "tag": "gotowe"},
            ],
            "stop_on_failure": True,
        },
    )
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "paid")
    result = engine.process_events(db)

    assert (result.runs, result.failed) == (1, 1)
    [step] = automation_audits(db, order.id)
    assert step["action_type"] == "reserve" and step["ok"] is False
    assert "BRAK missing 2" in step["message"]
    assert step["stopped"] is True and step["skipped"] == [
        "Set status: awaiting_fulfillment",
        "Set tag: gotowe",
    ]
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert detail.status == "paid"
    with db.uow() as uow:
        assert (
            uow.session.scalar(text("SELECT count(*) FROM order_tags WHERE order_id = :i"), {"i": order.id})
            == 0
        )
        assert uow.session.scalar(text("SELECT status FROM automation_runs")) == "failed"


def test_without_stop_after_failure_the_later_actions_run(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "BRAK2")
    setup_warehouse(db, system_actor)
    order = create(db, system_actor, ("BRAK2", 1))
    rules.save_rule(
        db.uow(),
        system_actor,
        {
            "name": "Rezerwuj, otaguj",
            "event": "order_created",
            "conditions": [],
            "actions": [{"type": "reserve"}, {"type": "set_tag", "tag": "brak"}],
            "stop_on_failure": False,
        },
    )
    # The rule exists after the order: a new order fires it.
    order = create(db, system_actor, ("BRAK2", 1))
    engine.process_events(db)
    with db.uow() as uow:
        tags = uow.session.scalar(
            text("SELECT array_agg(tag) FROM order_tags WHERE order_id = :i"), {"i": order.id}
        )
    assert tags == ["brak"]
    assert [a["ok"] for a in automation_audits(db, order.id)] == [False, True]


def test_nothing_is_recorded_without_rules_or_endpoints(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "CICHO")
    setup_warehouse(db, system_actor)
    order = create(db, system_actor, ("CICHO", 1))
    from sqlalchemy import event as sa_event

    sent: list[str] = []

    def remember(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        sent.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        OrderWorkflowService().transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)
    # Not even a statement: the settings read with the order say nobody wants these events.
    assert sent and not [s for s in sent if "automation_events" in s]
    with db.uow() as uow:
        assert uow.session.scalar(select(AutomationEvent.id).limit(1)) is None
        jobs = uow.session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE task_name LIKE 'automation:%'")
        )
    assert jobs == 0


def test_events_are_recorded_only_when_committed_and_queue_one_job(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "EV")
    setup_warehouse(db, system_actor)
    stock.receive_stock(db.uow(), system_actor, sku="EV", warehouse="MAG", qty="5")
    rules.save_rule(
        db.uow(),
        system_actor,
        {"name": "wszystko", "event": "fully_reserved", "actions": [{"type": "set_tag", "tag": "r"}]},
    )
    order = create(db, system_actor, ("EV", 1))
    wf = OrderWorkflowService()
    wf.transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    with db.uow() as uow:
        kinds = uow.session.scalars(select(AutomationEvent.type).order_by(AutomationEvent.id)).all()
        jobs = uow.session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'automation:process_events'")
        )
    assert kinds == ["fully_reserved"] and jobs == 1
    assert engine.process_events(db).runs == 1


def test_builtin_rules_are_the_old_switches(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        builtin = dict(
            uow.session.execute(select(AutomationRule.builtin, AutomationRule.enabled).where(
                AutomationRule.builtin.is_not(None)
            )).all()
        )  # fmt: skip
    assert builtin == {
        "reserve_on_awaiting_fulfillment": True,
        "issue_wz_on": True,
        "release_reservations_on_cancel": True,
    }
    order_settings.set_order_setting(db.uow(), system_actor, "automation.issue_wz_on", "never")
    listed = {r.builtin: r for r in rules.list_rules(db.uow(), system_actor) if r.builtin}
    assert listed["issue_wz_on"].enabled is False
    # Switching the rule on again restores the status the settings had chosen before.
    order_settings.set_order_setting(db.uow(), system_actor, "automation.issue_wz_on", "picking")
    order_settings.set_order_setting(db.uow(), system_actor, "automation.issue_wz_on", "never")
    rules.set_rule_enabled(db.uow(), system_actor, listed["issue_wz_on"].id or 0, True)
    assert order_settings.get_order_settings(db.uow(), system_actor).automation.issue_wz_on == "picking"
    rules.set_rule_enabled(db.uow(), system_actor, listed["reserve_on_awaiting_fulfillment"].id or 0, False)
    assert (
        order_settings.get_order_settings(db.uow(), system_actor).automation.reserve_on_awaiting_fulfillment
        is False
    )
    with pytest.raises(ValidationError):
        rules.save_rule(db.uow(), system_actor, PAID_COMPANY_RULE, rule_id=listed["issue_wz_on"].id)


def test_dry_run_lists_the_orders_a_rule_matches_now(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "DRY")
    setup_warehouse(db, system_actor)
    cheap = create(db, system_actor, ("DRY", 1))  # 123.00
    dear = create(db, system_actor, ("DRY", 5))  # 615.00
    company = create(
        db,
        system_actor,
        ("DRY", 5),
        addresses={
            "customer": {
                "name": "Jan",
                "company": "ACME Sp. z o.o.",
                "country": "PL",
                "vat_id": "PL5260250274",
            }
        },
    )
    rule = rules.save_rule(
        db.uow(),
        system_actor,
        {
            "name": "drogie firmowe",
            "event": "status_changed",
            "conditions": [
                {"field": "total_gross", "op": "gte", "value": "500"},
                {"field": "is_company", "op": "is_true"},
                {"field": "sku", "op": "contains", "value": "dry"},
            ],
            "actions": [{"type": "add_note", "text": "x"}],
        },
    )
    result = rules.dry_run(db.uow(), system_actor, rule.id or 0)
    assert (result.checked, result.matched, result.orders) == (3, 1, [company.number])
    assert cheap.number not in result.orders and dear.number not in result.orders
    with db.uow() as uow:  # nothing was changed or recorded
        assert uow.session.scalar(text("SELECT count(*) FROM automation_runs")) == 0


def _rule(db, actor, event: str, actions: list[dict[str, Any]], conditions=None, name=None):  # type: ignore[no-untyped-def]
    return rules.save_rule(
        db.uow(),
        actor,
        {"name": name or f"{event} rule", "event": event, "conditions": conditions or [], "actions": actions},
    )


def test_every_order_event_is_emitted_by_its_service(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.domain.automation import EventType

    for event in EventType:
        if event is not EventType.IN_STATUS:
            _rule(db, system_actor, event.value, [{"type": "set_tag", "tag": event.value}])
    add_products(db, "EVT")
    setup_warehouse(db, system_actor)
    order = create(
        db, system_actor, ("EVT", 2), payment={"provider": "p24", "status": "pending", "amount": "0"}
    )
    wf = OrderWorkflowService()
    wf.transition(db.uow(), system_actor, order.number, "paid")  # payment pending → paid
    wf.transition(
        db.uow(), system_actor, order.number, "awaiting_fulfillment"
    )  # nothing in stock: a shortage
    stock.receive_stock(db.uow(), system_actor, sku="EVT", warehouse="MAG", qty="5")  # fills it
    wf.transition(db.uow(), system_actor, order.number, "picking")
    wf.transition(db.uow(), system_actor, order.number, "ready_for_shipment")  # WZ posted
    orders.ship(db.uow(), system_actor, order.number, carrier="inpost", tracking="TRK-9")
    from rexbit_desktop.services.automation.events import emit

    with db.uow() as uow:  # what a mail module will do when a customer writes
        emit(uow.session, "message_received", order.id, {"subject": "Gdzie paczka?"})
        uow.commit()
    engine.process_events(db)
    with db.uow() as uow:
        tags = set(
            uow.session.scalars(text("SELECT tag FROM order_tags WHERE order_id = :i"), {"i": order.id})
        )
    assert tags == {e.value for e in EventType} - {"in_status"}
    with db.uow() as uow:
        sequences = list(
            uow.session.scalars(
                text("SELECT sequence FROM automation_events WHERE order_id = :i ORDER BY id"),
                {"i": order.id},
            )
        )
    assert sequences == list(range(1, len(sequences) + 1))


def test_the_daily_in_status_pass_fires_once_per_stay(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    add_products(db, "OLD")
    setup_warehouse(db, system_actor)
    old = create(db, system_actor, ("OLD", 1))
    fresh = create(db, system_actor, ("OLD", 1))
    with db.uow() as uow:
        uow.session.execute(
            text(
                "UPDATE order_status_history SET created_at = now() - interval '4 days' WHERE order_id = :i"
            ),
            {"i": old.id},
        )
        uow.commit()
    _rule(
        db,
        system_actor,
        "in_status",
        [{"type": "add_note", "text": "Szkic od 3 dni – zadzwonić"}],
        conditions=[
            {"field": "status", "op": "eq", "value": "draft"},
            {"field": "days_in_status", "op": "gte", "value": "3"},
        ],
    )
    assert engine.run_in_status_events(db) == 1
    assert engine.process_events(db).runs == 1
    assert notes(db, old.number, system_actor) == ["Szkic od 3 dni – zadzwonić"]
    later = datetime.now(UTC) + timedelta(days=1)
    assert engine.run_in_status_events(db, now=later) == 0  # the same stay: nothing again
    later = datetime.now(UTC) + timedelta(days=3, hours=1)
    assert engine.run_in_status_events(db, now=later) == 1  # now the fresh one is 3 days old
    assert engine.process_events(db, now=later).runs == 1
    assert notes(db, old.number, system_actor) == ["Szkic od 3 dni – zadzwonić"]
    assert notes(db, fresh.number, system_actor) == ["Szkic od 3 dni – zadzwonić"]


def test_print_webhook_and_warehouse_actions(db, system_actor, tmp_path, httpserver) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess

    from standardwebhooks.webhooks import Webhook

    from rexbit_desktop.services.automation import webhooks

    add_products(db, "ACT")
    setup_warehouse(db, system_actor)
    stock.add_warehouse(db.uow(), system_actor, code="MAG2", name="Magazyn 2", default=False)
    stock.receive_stock(db.uow(), system_actor, sku="ACT", warehouse="MAG2", qty="5")
    httpserver.expect_request("/hooks").respond_with_data("ok")
    _dto, secret = webhooks.add_endpoint(
        db.uow(),
        system_actor,
        name="erp",
        url=httpserver.url_for("/hooks"),
        event_types=[],
        allow_private=True,
    )
    order = create(db, system_actor, ("ACT", 2))
    _rule(
        db,
        system_actor,
        "status_changed",
        [
            {"type": "assign_warehouse", "warehouse": "MAG2"},
            {"type": "reserve"},
            {
                "type": "print_documents",
                "types": "confirmation,reservation",
                "folder": str(tmp_path / "druk"),
            },
            {"type": "call_webhook", "endpoint": "erp"},
        ],
        conditions=[{"field": "to_status", "op": "eq", "value": "paid"}],
    )
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "paid")
    result = engine.process_events(db)
    assert (result.runs, result.failed) == (1, 0), automation_audits(db, order.id)
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert detail.warehouse_code == "MAG2" and {r.warehouse_code for r in detail.reservations} == {"MAG2"}
    [pdf] = list((tmp_path / "druk").glob("*.pdf"))
    assert shutil.which("pdftotext"), "poppler-utils is needed (installed by .ci/run)"
    text_out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert order.number in text_out and "RES/" in text_out  # the confirmation and the reservation, merged
    webhooks.deliver_due(db)
    [(request, _answer)] = httpserver.log
    body = Webhook(secret).verify(request.get_data(), dict(request.headers))
    assert body["type"] == "orders.updated" and body["data"]["number"] == order.number
    assert body["data"]["rule"] == "status_changed rule"


def test_a_missing_warehouse_fails_the_action_with_its_reason(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "NOWH")
    setup_warehouse(db, system_actor)
    order = create(db, system_actor, ("NOWH", 1))
    _rule(db, system_actor, "status_changed", [{"type": "assign_warehouse", "warehouse": "NIE-MA"}],
          conditions=[{"field": "to_status", "op": "eq", "value": "paid"}])  # fmt: skip
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "paid")
    engine.process_events(db)
    [step] = automation_audits(db, order.id)
    assert step["ok"] is False and step["message"] == "There is no warehouse 'NIE-MA'."


def test_a_carrier_shipment_fires_shipped_with_its_tracking_number(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shipping import create_shipment
    from tests.support.carriers import ShipXServer, add_inpost, no_wz, ready_order

    with ShipXServer() as shipx:
        no_wz(db, system_actor)
        add_inpost(db, system_actor, shipx)
        number = ready_order(db, system_actor)
        _rule(
            db,
            system_actor,
            "shipped",
            [{"type": "add_note", "text": "Wysłano kurierem"}],
            conditions=[{"field": "carrier", "op": "contains", "value": "inpost"}],
        )
        dto = create_shipment(db.uow(), system_actor, number, size="A")
    with db.uow() as uow:
        data = uow.session.scalar(text("SELECT data FROM automation_events WHERE type = 'shipped'"))
    assert data["tracking"] == dto.tracking_number
    assert engine.process_events(db).runs == 1
    assert notes(db, number, system_actor)[-1] == "Wysłano kurierem"


def test_send_email_queues_the_template_through_the_mail_module(db, system_actor, smtp) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.messages.accounts import set_mail_account

    set_mail_account(db.uow(), system_actor, "sklep", smtp.account())
    add_products(db, "MAIL")
    setup_warehouse(db, system_actor)
    order = create(db, system_actor, ("MAIL", 1))
    _rule(
        db,
        system_actor,
        "status_changed",
        [{"type": "send_email", "template": "payment_received"}],
        conditions=[{"field": "to_status", "op": "eq", "value": "paid"}],
    )
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "paid")
    result = engine.process_events(db)
    [step] = automation_audits(db, order.id)
    assert result.failed == 0 and step["ok"] is True, step["message"]
    assert "payment_received" in step["message"]
    with db.uow() as uow:
        stored = uow.session.scalar(
            text("SELECT count(*) FROM mail_messages WHERE order_id = :i"), {"i": order.id}
        )
    assert stored == 1
