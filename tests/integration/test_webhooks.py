"""Outbound webhooks to a real HTTP receiver on 127.0.0.1 (pytest-httpserver), verified with the
Standard Webhooks reference library (``standardwebhooks``, https://www.standardwebhooks.com/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from rexbit_desktop.domain.errors import PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.automation import engine, webhooks
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from tests.support.orders import add_products, create, setup_warehouse

MANAGER = Actor(login="manager1", role=Role.MANAGER)


class Receiver:
    """Answers with the given status codes in turn (the last one for ever) and keeps every request."""

    def __init__(self, server: HTTPServer, codes: list[int], headers: dict[str, str] | None = None) -> None:
        self.codes = list(codes)
        self.headers = headers or {}
        self.requests: list[tuple[dict[str, str], bytes]] = []
        server.expect_request("/hooks").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), request.get_data()))
        code = self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]
        return Response("ok" if code < 300 else "nope", status=code, headers=self.headers)


def _endpoint(db, httpserver, system_actor, types=("orders.updated",)):  # type: ignore[no-untyped-def]
    return webhooks.add_endpoint(
        db.uow(),
        system_actor,
        name="sklep",
        url=httpserver.url_for("/hooks"),
        event_types=list(types),
        allow_private=True,  # the receiver is on 127.0.0.1; an admin allows it explicitly
    )


def _deliveries(db):  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        return uow.session.execute(
            text("SELECT id, status, attempts, msg_id, last_status_code FROM webhook_deliveries ORDER BY id")
        ).all()


def test_500_500_200_three_attempts_same_id_each_verified(db, system_actor, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(httpserver, [500, 500, 200])
    add_products(db, "HOOK")
    setup_warehouse(db, system_actor)
    order = create(db, system_actor, ("HOOK", 1))
    _dto, secret = _endpoint(db, httpserver, system_actor)
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    assert engine.process_events(db).deliveries == 1

    clock = datetime.now(UTC)
    for _ in range(10):  # each pass at a later "now", so the backoff never makes the test wait
        webhooks.deliver_due(db, now=clock)
        clock += timedelta(hours=1)
        if _deliveries(db)[0].status != "pending":
            break

    [delivery] = _deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert len(receiver.requests) == 3
    ids = {h["Webhook-Id"] for h, _ in receiver.requests}
    assert ids == {delivery.msg_id}
    verifier = Webhook(secret)
    for headers, body in receiver.requests:
        payload = verifier.verify(body, headers)
        assert payload["type"] == "orders.updated"
        assert payload["data"]["number"] == order.number
        assert payload["data"]["status"] == "awaiting_fulfillment"
        assert payload["data"]["payment_status"] == "paid"
        assert payload["data"]["sequence"] == 1  # the first event recorded for this order
    # A signature with the wrong secret does not verify (the check above can fail).
    with pytest.raises(Exception):  # noqa: B017 - the library raises its own WebhookVerificationError
        Webhook("whsec_" + "QUJD" * 8).verify(receiver.requests[0][1], receiver.requests[0][0])
    shown = webhooks.list_deliveries(db.uow(), system_actor, endpoint="sklep")
    assert [a.status_code for a in shown[0].history] == [500, 500, 200]


def test_sequence_increases_per_order_and_tracking_numbers_go_along(db, system_actor, httpserver) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(httpserver, [200])
    _dto, secret = _endpoint(db, httpserver, system_actor, types=("orders.created", "orders.updated"))
    add_products(db, "SEQ")
    setup_warehouse(db, system_actor)
    from rexbit_desktop.services.orders import orders
    from rexbit_desktop.services.stock import stock

    stock.receive_stock(db.uow(), system_actor, sku="SEQ", warehouse="MAG", qty="3")
    order = create(db, system_actor, ("SEQ", 1))
    wf = OrderWorkflowService()
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        wf.transition(db.uow(), system_actor, order.number, status)
    orders.ship(db.uow(), system_actor, order.number, carrier="inpost", tracking="TRK123")
    engine.process_events(db)
    webhooks.deliver_due(db)
    bodies = [Webhook(secret).verify(body, headers) for headers, body in receiver.requests]
    # Sent in parallel, so they may arrive in any order: the receiver orders them by sequence.
    bodies.sort(key=lambda b: b["data"]["sequence"])
    assert [b["data"]["sequence"] for b in bodies] == list(range(1, len(bodies) + 1))
    assert bodies[0]["type"] == "orders.created"
    assert [b["data"].get("event_data", {}).get("to") for b in bodies if b["data"]["event"] == "status_changed"] == [
        "draft", "awaiting_fulfillment", "picking", "ready_for_shipment", "shipped",
    ]  # fmt: skip
    last = bodies[-1]["data"]
    assert last["event"] == "shipped" and last["tracking_numbers"] == ["TRK123"]


def test_410_switches_the_endpoint_off(db, system_actor, httpserver) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(httpserver, [410])
    add_products(db, "GONE")
    setup_warehouse(db, system_actor)
    first = create(db, system_actor, ("GONE", 1))
    second = create(db, system_actor, ("GONE", 1))
    _endpoint(db, httpserver, system_actor)
    wf = OrderWorkflowService()
    wf.transition(db.uow(), system_actor, first.number, "awaiting_fulfillment")
    engine.process_events(db)
    result = webhooks.deliver_due(db, concurrency=1)
    assert result.endpoints_disabled == ["sklep"]
    [endpoint] = webhooks.list_endpoints(db.uow(), system_actor)
    assert endpoint.enabled is False and "410" in (endpoint.disabled_reason or "")
    # Nothing more goes to a switched-off endpoint.
    wf.transition(db.uow(), system_actor, second.number, "awaiting_fulfillment")
    engine.process_events(db)
    webhooks.deliver_due(db, now=datetime.now(UTC) + timedelta(hours=2))
    assert len(receiver.requests) == 1
    assert [d.status for d in _deliveries(db)] == ["failed"]


def test_retry_after_is_honoured_and_4xx_fails_at_once(db, system_actor, httpserver) -> None:  # type: ignore[no-untyped-def]
    Receiver(httpserver, [429, 400], headers={"Retry-After": "7200"})
    add_products(db, "RA")
    setup_warehouse(db, system_actor)
    order = create(db, system_actor, ("RA", 1))
    _endpoint(db, httpserver, system_actor)
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    engine.process_events(db)
    start = datetime.now(UTC)
    webhooks.deliver_due(db, now=start)
    with db.uow() as uow:
        next_at = uow.session.scalar(text("SELECT next_attempt_at FROM webhook_deliveries"))
    assert next_at >= start + timedelta(seconds=7200)
    webhooks.deliver_due(db, now=start + timedelta(hours=1))  # not due yet: nothing sent
    assert _deliveries(db)[0].attempts == 1
    webhooks.deliver_due(db, now=start + timedelta(hours=3))
    assert [(d.status, d.attempts, d.last_status_code) for d in _deliveries(db)] == [("failed", 2, 400)]
    # "Send again" puts it back, with the same message id.
    [before] = _deliveries(db)
    webhooks.send_again(db.uow(), system_actor, before.id)
    [after] = _deliveries(db)
    assert (after.status, after.msg_id) == ("pending", before.msg_id)


def test_private_targets_are_refused_unless_an_admin_allows_them(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
    ):
        with pytest.raises(ValidationError, match="private or local"):
            webhooks.add_endpoint(db.uow(), system_actor, name="x", url=url)
    with pytest.raises(PermissionDenied):
        webhooks.add_endpoint(db.uow(), MANAGER, name="x", url="http://127.0.0.1:9/x", allow_private=True)
    with pytest.raises(ValidationError, match="whsec_"):
        webhooks.add_endpoint(
            db.uow(), system_actor, name="x", url="http://127.0.0.1:9/x", allow_private=True, secret="plain"
        )
    dto, secret = webhooks.add_endpoint(
        db.uow(), system_actor, name="x", url="http://127.0.0.1:9/x", allow_private=True
    )
    assert secret.startswith("whsec_") and dto.secrets == 1
    assert secret not in json.dumps(dto.__dict__)


def test_rotation_signs_with_both_secrets(db, system_actor, httpserver) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(httpserver, [200])
    _dto, old = _endpoint(db, httpserver, system_actor)
    new = webhooks.rotate_secret(db.uow(), system_actor, "sklep")
    webhooks.test_endpoint(db, system_actor, "sklep")
    headers, body = receiver.requests[0]
    assert len(headers["Webhook-Signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(new).verify(body, headers)["type"] == "webhook.test"
