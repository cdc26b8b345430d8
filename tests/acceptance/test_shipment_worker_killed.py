"""``kill -9`` of the worker creating a shipment: the next run finds the shipment and creates no second
one (idempotency key per order and package; InPost's asynchronous confirmation; a real ShipX server on
127.0.0.1 shared by both workers)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services.orders import orders
from tests.support.carriers import ShipXServer, add_inpost, no_wz, ready_order
from tests.support.wait import wait_for
from tests.support.workers import Process, query, statuses

FAST_HEARTBEATS = ["--heartbeat=0.5", "--stalled-after=2", "--sleep=0.2"]


def _shipments(db_url: str) -> list[tuple]:  # type: ignore[type-arg]
    return query(
        db_url,
        "SELECT status, external_id, tracking_number, idempotency_key FROM order_shipments ORDER BY id",
    )


def _run_to_the_end(db, db_url, job, tmp_path, number, shipx):  # type: ignore[no-untyped-def]
    second = Process(db_url, "queue", "work", "--queue=orders", *FAST_HEARTBEATS, log=tmp_path / "second.log")
    try:
        wait_for(lambda: statuses(db_url)[job] == "succeeded", timeout=60, what="the job to be run again")
    finally:
        assert second.stop() == 0, second.output()
    assert len(shipx.state.posts) == 1  # one shipment at InPost
    [(status, external_id, tracking, key)] = _shipments(db_url)
    sid = next(iter(shipx.state.shipments))
    assert (status, external_id, tracking, key) == (
        "confirmed",
        str(sid),
        shipx.state.shipments[sid]["tracking"],
        f"{number}/P1",
    )
    [(labels,)] = query(db_url, "SELECT count(*) FROM order_shipment_labels")
    assert labels == 1
    assert orders.get_order(db.uow(), orders_actor(db), number).status == "shipped"
    return second


def orders_actor(db):  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.users import actor_for_login

    return actor_for_login(db.uow(), None)


@pytest.mark.slow
def test_killed_between_created_and_confirmed(db, db_url, system_actor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with ShipXServer() as shipx:
        no_wz(db, system_actor)
        add_inpost(db, system_actor, shipx, poll_interval=0.2, confirm_timeout=120)
        shipx.state.confirm_after_polls = 10**6  # InPost keeps it "created" until we say so
        number = ready_order(db, system_actor)
        job = defer_job(db, "shipping:create_shipment", order_number=number, size="A")

        first = Process(
            db_url, "queue", "work", "--queue=orders", *FAST_HEARTBEATS, log=tmp_path / "first.log"
        )
        wait_for(shipx.state.polled.is_set, timeout=60, what="the worker to poll the created shipment")
        assert [r[0] for r in _shipments(db_url)] == ["created"]
        first.proc.send_signal(signal.SIGKILL)
        first.wait(10)
        assert statuses(db_url)[job] == "doing"

        shipx.state.confirm_after_polls = 0  # InPost confirms now
        _run_to_the_end(db, db_url, job, tmp_path, number, shipx)
        [(error,)] = query(db_url, "SELECT error FROM job_failures WHERE job_id = :id", id=job)
        assert error.startswith("WorkerLost")


@pytest.mark.slow
def test_killed_after_sending_before_the_answer_was_stored(db, db_url, system_actor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with ShipXServer() as shipx:
        no_wz(db, system_actor)
        add_inpost(db, system_actor, shipx, poll_interval=0.2, confirm_timeout=120)
        shipx.state.confirm_after_polls = 0
        shipx.state.hold_post = threading.Event()  # InPost took the shipment, the answer never arrives
        number = ready_order(db, system_actor)
        job = defer_job(db, "shipping:create_shipment", order_number=number, size="A")

        first = Process(
            db_url, "queue", "work", "--queue=orders", *FAST_HEARTBEATS, log=tmp_path / "first.log"
        )
        wait_for(shipx.state.post_received.is_set, timeout=60, what="the worker to send the shipment")
        assert [r[:2] for r in _shipments(db_url)] == [("pending", None)]
        first.proc.send_signal(signal.SIGKILL)
        first.wait(10)
        shipx.state.hold_post.set()

        _run_to_the_end(db, db_url, job, tmp_path, number, shipx)
        # the second worker looked the shipment up by its reference instead of sending it again
        assert any(r.startswith("GET /v1/organizations/") for r in shipx.state.requests)
