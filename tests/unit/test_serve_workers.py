"""``rexbit serve`` runs one worker per queue at that queue's concurrency: its mail worker runs four jobs
at a time like the packaging's ``rexbit-mail`` worker, the others one."""

from __future__ import annotations

import re
from pathlib import Path

from rexbit_desktop.jobs.serve import serve_workers
from rexbit_desktop.jobs.worker_settings import WorkerSettings
from rexbit_desktop.queueing import QUEUE_CONCURRENCY, QUEUES

ROOT = Path(__file__).resolve().parents[2]


def test_serve_gives_the_mail_worker_the_mail_queues_concurrency() -> None:
    base = WorkerSettings(tries=3, sleep=3.0)
    workers = {w.queues: w for w in serve_workers(base)}
    assert list(workers) == [(q,) for q in QUEUES]
    assert workers[("mail",)].concurrency == 4
    assert {q: w.concurrency for (q,), w in workers.items() if q != "mail"} == {
        q: 1 for q in QUEUES if q != "mail"
    }
    assert all(w.tries == 3 and w.name == f"serve-{w.queues[0]}" for w in workers.values())


def test_the_packaging_mail_worker_runs_at_the_same_concurrency() -> None:
    conf = (ROOT / "packaging/supervisor/rexbit.conf").read_text(encoding="utf-8")
    [command] = [line for line in conf.splitlines() if line.startswith("command=") and "--queue=mail" in line]
    match = re.search(r"--concurrency=(\d+)", command)
    assert match is not None and int(match.group(1)) == QUEUE_CONCURRENCY["mail"]
