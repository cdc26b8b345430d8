"""Two ``rexbit schedule work`` processes and two workers on a fast (seconds-field) cron: every due tick
is deferred exactly once, each job runs once, and a long job is never started while its previous run
is still running (withoutOverlapping)."""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.wait import wait_for
from tests.support.workers import Process, marker_lines, query, rexbit

RUN_SECONDS = 14


@pytest.mark.slow
def test_two_schedulers_defer_each_tick_once_and_never_overlap_a_long_job(
    db_url: str, tmp_path: Path
) -> None:
    ticks, longs = tmp_path / "ticks", tmp_path / "longs"
    query(db_url, "UPDATE schedules SET enabled = false")  # the runbook's defaults are not under test
    query(
        db_url,
        "INSERT INTO schedules (name, task, arguments, cron, without_overlapping, on_one_server) VALUES"
        " ('tick', 'diagnostics:noop', CAST(:tick_args AS jsonb), '*/2 * * * * *', false, true),"
        " ('long', 'diagnostics:sleep', CAST(:long_args AS jsonb), '* * * * * *', true, true)",
        tick_args=f'{{"marker": "{ticks}"}}',
        long_args=f'{{"seconds": 2.5, "marker": "{longs}"}}',
    )
    listed = rexbit(db_url, "schedule", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    next_due = {s["name"]: s["next_due"] for s in json.loads(listed.stdout)}
    assert next_due["tick"] and next_due["long"] and next_due["sync-orders"] is None  # disabled

    procs = [
        Process(db_url, "schedule", "work", "--reload-every=1", log=tmp_path / "scheduler-a.log"),
        Process(db_url, "schedule", "work", "--reload-every=1", log=tmp_path / "scheduler-b.log"),
        Process(db_url, "queue", "work", "--sleep=0.2", log=tmp_path / "worker-a.log"),
        Process(db_url, "queue", "work", "--sleep=0.2", log=tmp_path / "worker-b.log"),
    ]
    try:
        for p in procs:  # a loaded machine may take seconds to start a process; the clock starts after
            wait_for(
                lambda p=p: "started" in p.output() or " on all queues" in p.output(),
                90,
                what=f"{p.log.name}",
            )
        time.sleep(RUN_SECONDS)
    finally:
        codes = [p.stop(40) for p in procs]
    assert codes == [0, 0, 0, 0], [p.output()[-2000:] for p in procs]

    # every 2-second tick between the first and the last one was deferred, once
    tick_runs = query(
        db_url,
        "SELECT r.due_at, r.status, r.job_id, r.host FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id"
        " WHERE s.name = 'tick' ORDER BY r.due_at",
    )
    dues = [r[0] for r in tick_runs]
    assert len(dues) >= (RUN_SECONDS - 8) // 2, tick_runs
    assert all(b - a == timedelta(seconds=2) for a, b in itertools.pairwise(dues)), dues
    assert {r[1] for r in tick_runs} == {"deferred"}
    job_ids = [r[2] for r in tick_runs]
    assert len(set(job_ids)) == len(job_ids)
    # each deferred tick job ran exactly once (jobs deferred in the last moment may still wait)
    ran = Counter(int(line[1]) for line in marker_lines(ticks))
    assert set(ran.values()) == {1} and set(ran) <= set(job_ids) and len(ran) >= len(job_ids) - 2

    # the long job: never two at once, and the ticks in between were skipped, not queued up
    events = [(line[0], float(line[4])) for line in marker_lines(longs)]
    kinds = [e[0] for e in events]
    assert kinds[: len(kinds) // 2 * 2] == ["start", "end"] * (len(kinds) // 2), kinds
    assert all(b[1] >= a[1] for a, b in itertools.pairwise(events))
    long_statuses = Counter(
        r[0]
        for r in query(
            db_url,
            "SELECT r.status FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id WHERE s.name = 'long'",
        )
    )
    assert long_statuses["deferred"] >= 2 and long_statuses["skipped"] >= 2, long_statuses
    assert long_statuses["deferred"] <= len(kinds) // 2 + 2  # nothing piled up behind the running one
