"""Whoever queues a job can tell whether a live worker will pick it up: workers name the queues they
serve in their connections' application_name; a fresh heartbeat says they are alive."""

from __future__ import annotations

from rexbit_desktop.jobs.local_worker import LocalWorker
from rexbit_desktop.queueing.workers import worker_application_name, worker_serves
from tests.support.wait import wait_for


def _serves(db, queue: str) -> bool:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        return worker_serves(uow.session, queue)


def _wait_until(check) -> bool:  # type: ignore[no-untyped-def]
    """A started worker registers a moment later (its own thread): wait for it, at most 30 s."""
    return bool(wait_for(check, timeout=30, what="the worker to register"))


def test_application_name_lists_the_queues() -> None:
    assert worker_application_name(None) == "rexbit-jobs"
    assert worker_application_name(["import", "default", "import"]) == "rexbit-jobs:default,import"


def test_a_live_worker_serves_only_its_queues(db) -> None:  # type: ignore[no-untyped-def]
    assert not _serves(db, "import")  # nobody there
    worker = LocalWorker(db, ("default", "orders"), sleep=0.1)
    worker.start()
    try:
        assert _wait_until(lambda: _serves(db, "default")) and _serves(db, "orders")
        assert not _serves(db, "import")
    finally:
        worker.stop()
    everything = LocalWorker(db, ("default", "import"), sleep=0.1)
    everything.start()
    try:
        assert _wait_until(lambda: _serves(db, "import"))
    finally:
        everything.stop()
    assert not _serves(db, "import")  # stopped workers unregister
