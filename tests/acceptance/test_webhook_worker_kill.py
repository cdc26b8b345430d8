"""Webhook deliveries waiting for a retry when their worker is killed (``kill -9``) are delivered by the
next worker: real ``rexbit queue work`` processes, a real receiver on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import signal

import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from rexbit_desktop.services.automation import webhooks
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.wait import wait_for
from tests.support.workers import Process, query


@pytest.mark.slow
def test_deliveries_pending_at_a_kill_9_are_delivered_after_restart(
    db, db_url, system_actor, httpserver: HTTPServer, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    answers = {"code": 503}
    received: list[tuple[dict[str, str], bytes]] = []

    def handle(request: Request) -> Response:
        received.append((dict(request.headers), request.get_data()))
        return Response("busy", status=answers["code"], headers={"Retry-After": "2"})

    httpserver.expect_request("/hooks").respond_with_handler(handle)
    add_products(db, "KILL")
    setup_warehouse(db, system_actor)
    numbers = [create(db, system_actor, ("KILL", 1)).number for _ in range(5)]
    _dto, secret = webhooks.add_endpoint(
        db.uow(), system_actor, name="sklep", url=httpserver.url_for("/hooks"), allow_private=True
    )
    wf = OrderWorkflowService()
    for number in numbers:
        wf.transition(db.uow(), system_actor, number, "awaiting_fulfillment")  # queues the event job

    worker = Process(db_url, "queue", "work", "--queue=orders,integrations", log=tmp_path / "w1.log")
    try:
        wait_for(
            lambda: query(db_url, "SELECT count(*) FROM webhook_deliveries WHERE attempts >= 1")[0][0] == 5,
            timeout=60,
            what="five first attempts (answered 503)",
        )
    finally:
        worker.signal(signal.SIGKILL)
        worker.wait(10)
    assert query(db_url, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")[0][0] == 5

    answers["code"] = 200
    again = Process(db_url, "queue", "work", "--queue=orders,integrations", log=tmp_path / "w2.log")
    try:
        wait_for(
            lambda: (
                query(db_url, "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")[0][0] == 5
            ),
            timeout=90,
            what="five deliveries after the restart",
        )
    finally:
        assert again.stop() == 0, again.output()
    ids = {r[0] for r in query(db_url, "SELECT msg_id FROM webhook_deliveries")}
    delivered = [(h, b) for h, b in received if Webhook(secret).verify(b, h) and True]
    assert {h["Webhook-Id"] for h, _ in delivered} == ids
    assert len([1 for h, _ in received]) >= 10  # five 503s before the kill, five 200s after
