"""``kill -9`` of a real worker process at each step of an import through the queue: reading (after
each chunk, and after the last), staging each chunk (inside its transaction and just after it), applying
(inside the apply's transaction and just after it). A second worker rescues the stalled job; the run must
end ``succeeded`` with the feed applied exactly once — never stay ``running``. A job killed twice is failed
and so is its run, with the reason, at once.

The first worker is stopped at the step by ``rexbit_desktop/faults.py`` (``REXBIT_PAUSE_AT``), so the
kill lands there every time.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services import integrations
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.feeds import runs as import_runs
from tests.support.wait import wait_for
from tests.support.workers import Process, query, wait_for_rescue_passes

HEADER = "Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka\r\n"
MAPPINGS = {"sku": "Indeks", "ean": "EAN", "stock_quantity": "Stan", "purchase_price": "Cena netto"}
ROWS = 40
CHUNK = 10  # 4 chunks: 0 … 3
FAST = ["--sleep=0.2", "--heartbeat=0.5", "--stalled-after=2"]


def _setup(db: Any, actor: Any, tmp_path: Path) -> tuple[int, int]:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (sku, name) SELECT 'K-' || lpad(g::text, 3, '0'), 'P' FROM generate_series(1, :n) g"
            ),
            {"n": ROWS},
        )
    feed = tmp_path / "feed.csv"
    feed.write_bytes(
        (HEADER + "".join(f"K-{i:03d};;P;{i};{i},25;23;;szt.\r\n" for i in range(1, ROWS + 1))).encode(
            "cp1250"
        )
    )
    integration = integrations.create_integration(db.uow(), actor, type="supplier_feed", name="Hurtownia")
    integrations.create_import_profile(
        db.uow(),
        actor,
        integration_id=integration.id,
        name="stany",
        source_location=str(feed),
        format="csv",
        options={"chunk_rows": CHUNK},
        mappings=MAPPINGS,
    )
    (run,) = imports.create_import_runs(db.uow(), actor, integration_id=integration.id)
    job = defer_job(db, "imports:execute_integration_import", integration_id=integration.id, run_id=run.id)
    import_runs.set_run_job(db.uow(), run.id, job)
    return integration.id, run.id


@pytest.mark.slow
@pytest.mark.parametrize(
    "step",
    [
        # reading: after each chunk is stored and its job deferred, then after the count is recorded
        *(f"read:{n}" for n in range(4)),
        "read-done",
        # staging each chunk: inside its transaction (rolled back) and just after its commit
        *(f"stage:{n}" for n in range(4)),
        *(f"staged:{n}" for n in range(4)),
        # applying: inside the apply's transaction and just after it
        "apply",
        "applied",
    ],
)
def test_kill_9_at_each_step_of_an_import_ends_the_run_with_the_feed_applied_once(
    db: Any, db_url: str, system_actor: Any, tmp_path: Path, step: str
) -> None:
    integration_id, run_id = _setup(db, system_actor, tmp_path)
    marker = tmp_path / "paused"
    first = Process(
        db_url,
        "queue",
        "work",
        "--queue=import",
        *FAST,
        log=tmp_path / "first.log",
        env={"REXBIT_PAUSE_AT": step, "REXBIT_PAUSE_FILE": str(marker)},
    )
    try:
        wait_for(
            lambda: marker.exists() and marker.read_text().strip() != "", timeout=60, what=f"pause at {step}"
        )
    finally:
        first.signal(signal.SIGKILL)
        first.wait(10)
    assert marker.read_text().split()[0] == step, first.output()

    second = Process(db_url, "queue", "work", "--queue=import", *FAST, log=tmp_path / "second.log")
    try:
        wait_for(
            lambda: (
                query(db_url, "SELECT status FROM import_runs WHERE id = :id", id=run_id)[0][0]
                in ("succeeded", "failed")
            ),
            timeout=90,
            what="the run to end",
        )
        wait_for(
            lambda: not query(db_url, "SELECT 1 FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"),
            timeout=60,
            what="every job to end",
        )
    finally:
        assert second.stop() == 0, second.output()
    ((status, rows_read, matched, message),) = query(
        db_url, "SELECT status, rows_read, matched, message FROM import_runs WHERE id = :id", id=run_id
    )
    assert (status, rows_read, matched) == ("succeeded", ROWS, ROWS), (message, second.output())
    links = query(
        db_url,
        "SELECT external_id, (supplier_availability->>'stock_quantity')::numeric, offer_stock"
        " FROM integration_product_links WHERE integration_id = :i ORDER BY external_id",
        i=integration_id,
    )
    assert [(e, int(s), int(o)) for e, s, o in links] == [(f"K-{i:03d}", i, i) for i in range(1, ROWS + 1)]
    # Nothing left behind: no staged rows, no stored chunks, one run.
    assert query(db_url, "SELECT count(*) FROM import_staged_rows")[0][0] == 0
    assert query(db_url, "SELECT count(*) FROM import_run_chunks")[0][0] == 0
    assert query(db_url, "SELECT count(*) FROM import_runs")[0][0] == 1


def _kill_paused_worker(db_url: str, tmp_path: Path, name: str, step: str) -> None:
    """A worker that takes the job, stops at ``step`` and is killed there."""
    marker = tmp_path / f"{name}.paused"
    worker = Process(
        db_url,
        "queue",
        "work",
        "--queue=import",
        *FAST,
        log=tmp_path / f"{name}.log",
        env={"REXBIT_PAUSE_AT": step, "REXBIT_PAUSE_FILE": str(marker)},
    )
    try:
        wait_for(
            lambda: marker.exists() and marker.read_text().strip() != "", timeout=60, what=f"{name} at {step}"
        )
    finally:
        worker.signal(signal.SIGKILL)
        worker.wait(10)


@pytest.mark.slow
def test_a_reader_killed_twice_fails_its_run_when_its_job_is_failed_not_after_30_minutes(
    db: Any, db_url: str, system_actor: Any, tmp_path: Path
) -> None:
    # The second stall of a job fails it (it is not run a third time); before, its run stayed 'running'
    # until the hourly import's 30-minute sweep.
    integration_id, run_id = _setup(db, system_actor, tmp_path)
    _kill_paused_worker(db_url, tmp_path, "first", "read:1")
    _kill_paused_worker(db_url, tmp_path, "second", "read:1")  # it rescued the job, ran it, stopped again

    third = Process(db_url, "queue", "work", "--queue=import", *FAST, log=tmp_path / "third.log")
    try:
        wait_for(
            lambda: (
                query(db_url, "SELECT status FROM import_runs WHERE id = :id", id=run_id)[0][0] != "running"
            ),
            timeout=60,
            what="the run to end",
        )
    finally:
        assert third.stop() == 0, third.output()
    ((status, message),) = query(db_url, "SELECT status, message FROM import_runs WHERE id = :id", id=run_id)
    assert status == "failed"
    assert "none of its jobs waits or runs" in message and "WorkerLost" in message, message
    assert query(
        db_url,
        "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'imports:execute_integration_import'",
    ) == [("failed",)]
    # Nothing applied, nothing left behind.
    assert (
        query(
            db_url,
            "SELECT count(*) FROM integration_product_links WHERE integration_id = :i",
            i=integration_id,
        )[0][0]
        == 0
    )
    assert query(db_url, "SELECT count(*) FROM import_staged_rows")[0][0] == 0
    assert query(db_url, "SELECT count(*) FROM import_run_chunks")[0][0] == 0


@pytest.mark.slow
def test_an_import_run_here_whose_process_is_killed_is_failed_by_a_worker(
    db: Any, db_url: str, system_actor: Any, tmp_path: Path
) -> None:
    # `integration import --now` runs the import in its own process, without a job: killed, its run was
    # closed only by the 30-minute sweep. The process holds the run's lock; a worker sees it free.
    integration_id, queued_run = _setup(db, system_actor, tmp_path)
    query(db_url, "DELETE FROM procrastinate_jobs")
    query(db_url, "UPDATE import_runs SET status = 'cancelled' WHERE id = :id", id=queued_run)
    marker = tmp_path / "now.paused"
    here = Process(
        db_url,
        "integration",
        "import",
        f"--integration={integration_id}",
        "--now",
        log=tmp_path / "now.log",
        env={"REXBIT_PAUSE_AT": "stage:1", "REXBIT_PAUSE_FILE": str(marker)},
    )
    try:
        wait_for(
            lambda: marker.exists() and marker.read_text().strip() != "", timeout=60, what="pause at stage:1"
        )
        worker = Process(
            db_url, "queue", "work", "--queue=import", "--verbose", *FAST, log=tmp_path / "alive.log"
        )
        wait_for(lambda: " on import " in worker.output(), timeout=60, what="the worker to start")
        # The worker's sweeps while the importing process lives leave its run alone.
        wait_for_rescue_passes(worker.output)
        assert worker.stop() == 0, worker.output()
        ((status,),) = query(db_url, "SELECT status FROM import_runs WHERE id <> :id", id=queued_run)
        assert status == "running", here.output()
    finally:
        here.signal(signal.SIGKILL)
        here.wait(10)

    worker = Process(db_url, "queue", "work", "--queue=import", *FAST, log=tmp_path / "worker.log")
    try:
        wait_for(
            lambda: (
                query(db_url, "SELECT status FROM import_runs WHERE id <> :id", id=queued_run)[0][0]
                != "running"
            ),
            timeout=30,
            what="the run to end",
        )
    finally:
        assert worker.stop() == 0, worker.output()
    ((status, message),) = query(
        db_url, "SELECT status, message FROM import_runs WHERE id <> :id", id=queued_run
    )
    assert status == "failed" and "process running it was killed" in message, message
    assert (
        query(
            db_url,
            "SELECT count(*) FROM integration_product_links WHERE integration_id = :i",
            i=integration_id,
        )[0][0]
        == 0
    )
    assert query(db_url, "SELECT count(*) FROM import_staged_rows")[0][0] == 0
