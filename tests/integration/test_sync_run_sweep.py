"""Sync runs never stay ``running`` (issue 18, item 7): a killed process's run is closed by the next sync
or the schedule's sweep; a run whose PostgreSQL connection is cut ends ``failed`` with one readable line.
Real MariaDB (PrestaShop tables), real PostgreSQL, a real ``rexbit`` process killed with ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from rexbit_desktop.services.shop.availability import list_sync_runs, sync_all_availability, sync_availability
from tests.support.shop import (
    Offer,
    add_our_product,
    add_shop_product,
    create_shop_integration,
    create_supplier,
)
from tests.support.wait import wait_for

pytestmark = pytest.mark.mysql

# services/shop/run_sweep.py's message (spelled out: the test must collect on code without the sweep too)
ABANDONED_MESSAGE = (
    "The run stopped before it finished (its process was killed or lost its database connection); "
    "what it wrote before stays."
)


def _products(db: Any, shop: Any, integration: int, n: int) -> None:
    supplier = create_supplier(db, "Hurtownia A")
    for id_product in range(1, n + 1):
        add_shop_product(shop, id_product, reference=f"SKU-{id_product}")
        add_our_product(
            db,
            sku=f"SKU-{id_product}",
            shop_integration=integration,
            external_id=f"{id_product}:0",
            offers={supplier: Offer(30, 3)},
        )


def _runs(db_url: str) -> list[tuple[int, str, str | None]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r) for r in conn.execute(text("SELECT id, status, message FROM sync_runs ORDER BY id"))
            ]  # type: ignore[misc]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_sync_killed_with_kill_9_is_closed_as_failed_by_the_next_one(
    db: Any, db_url: str, shop: Any, system_actor: Any, tmp_path: Path
) -> None:
    integration = create_shop_integration(db, shop)
    _products(db, shop, integration, 6)
    marker = tmp_path / "paused"
    env = {**os.environ, "REXBIT_PAUSE_AT": "shop-sync-batch:1", "REXBIT_PAUSE_FILE": str(marker)}
    env.pop("REXBIT_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={db_url}", "supplier", "sync-availability",
         f"--prestashop={integration}", "--full"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def paused() -> bool:
            assert proc.poll() is None, "the sync ended before its first batch"
            return marker.exists() and bool(marker.read_text().strip())

        wait_for(paused, timeout=60, what="the sync to reach its first batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    [(dead, status, _)] = _runs(db_url)
    assert status == "running"  # what a killed process leaves

    # The next sync of the shop closes it (it holds the shop's lock, so the row is nobody's).
    result = sync_availability(db.uow(), system_actor, integration_id=integration, full=True)
    assert result.status == "succeeded"
    runs = {r.id: r for r in list_sync_runs(db.uow(), system_actor, integration_id=integration)}
    assert runs[dead].status == "failed" and runs[dead].message == ABANDONED_MESSAGE
    assert runs[dead].finished_at is not None


def test_the_schedule_sweep_closes_runs_whose_process_is_gone(
    db: Any, db_url: str, shop: Any, system_actor: Any
) -> None:
    integration = create_shop_integration(db, shop)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sync_runs (integration_id, kind, status) VALUES (:i, 'availability', 'running'),"
                 " (:i, 'orders', 'running')"),
            {"i": integration},
        )  # fmt: skip
    engine.dispose()
    sync_all_availability(db.uow(), system_actor)
    statuses = {(s, m) for _, s, m in _runs(db_url)}
    assert ("failed", ABANDONED_MESSAGE) in statuses
    assert not any(s == "running" for _, s, _ in _runs(db_url))


def test_a_run_whose_database_connection_is_cut_fails_with_one_readable_line(
    db: Any, db_url: str, shop: Any, system_actor: Any
) -> None:
    integration = create_shop_integration(db, shop)
    _products(db, shop, integration, 5)
    killer = create_engine(db_url)

    def cut_in_second_batch(stage: str, batch: int, connection_id: int) -> None:
        # Once batch 1 is recorded: the next statement that records a batch terminates its own backend
        # (pg_terminate_backend, as an operator or a failover would), in the middle of the statement —
        # deterministic, unlike terminating it from outside between two statements (the pool would
        # just reconnect).
        if stage == "committed" and batch == 2:
            with killer.begin() as conn:
                conn.execute(
                    text(
                        "CREATE FUNCTION test_cut_me() RETURNS trigger LANGUAGE plpgsql AS"
                        " $$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END$$"
                    )
                )
                conn.execute(
                    text(
                        "CREATE TRIGGER test_cut_me BEFORE INSERT OR UPDATE ON shop_sync_state"
                        " FOR EACH STATEMENT EXECUTE FUNCTION test_cut_me()"
                    )
                )

    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises: the job fails with it
        sync_availability(
            db.uow(), system_actor, integration_id=integration, batch_size=1, batch_hook=cut_in_second_batch
        )
    with killer.begin() as conn:
        conn.execute(text("DROP TRIGGER test_cut_me ON shop_sync_state"))
    killer.dispose()
    [(_, status, message)] = _runs(db_url)
    assert status == "failed", message
    assert message is not None and "\n" not in message and len(message) <= 300
    assert "[SQL" not in message and "INSERT" not in message and "UPDATE" not in message, message
    assert "terminat" in message.lower() or "connection" in message.lower(), message
