"""``kill -9`` of a worker in the middle of a job: another worker notices the missing heartbeats, puts
the job back and runs it — once."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support.wait import wait_for
from tests.support.workers import Process, defer, marker_lines, query, statuses, wait_for_rescue_passes

FAST_HEARTBEATS = ["--heartbeat=0.5", "--stalled-after=2", "--sleep=0.2"]


@pytest.mark.slow
def test_a_killed_workers_job_is_run_again_by_another_worker_once(db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    job = defer(db_url, "diagnostics:sleep", queue="import", seconds=3, marker=str(marker))
    first = Process(db_url, "queue", "work", "--queue=import", *FAST_HEARTBEATS, log=tmp_path / "first.log")
    wait_for(lambda: len(marker_lines(marker)) == 1, what="the job to start")
    first.proc.send_signal(signal.SIGKILL)
    first.wait(10)
    assert statuses(db_url)[job] == "doing"  # what a dead worker leaves behind

    second = Process(
        db_url, "queue", "work", "--queue=import", "--verbose", *FAST_HEARTBEATS, log=tmp_path / "second.log"
    )
    try:
        wait_for(lambda: statuses(db_url)[job] == "succeeded", timeout=40, what="the job to be run again")
        # A second rescue would come from a pass after the job ended: wait until two more have run.
        wait_for_rescue_passes(second.output)
    finally:
        assert second.stop() == 0, second.output()
    runs = marker_lines(marker)
    assert [line[0] for line in runs] == ["start", "start", "end"]
    assert runs[0][3] == str(first.proc.pid) and runs[1][3] == str(second.proc.pid)
    assert statuses(db_url) == {job: "succeeded"}
    [(error,)] = query(db_url, "SELECT error FROM job_failures WHERE job_id = :id", id=job)
    assert error.startswith("WorkerLost")
    assert f"job {job}: its worker died; put back in the queue" in second.output()
