"""Gap-free document numbers: concurrent writers, rolled-back transactions, resets per period."""

from __future__ import annotations

import multiprocessing
from datetime import date

import pytest

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.numbering import NumberPattern, Reset
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.stock.documents import next_number
from tests.support.orders import numbering_worker

PROCESSES = 8
PER_PROCESS = 30


@pytest.mark.slow
def test_concurrent_writers_leave_no_gap_and_no_duplicate(db, db_url):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=numbering_worker, args=(db_url, PER_PROCESS, barrier, results))
        for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    kept = [n for _ in procs for n in results.get(timeout=120)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert len(kept) == len(set(kept))  # no duplicate
    sequence = sorted(int(n.rsplit("/", 1)[1]) for n in kept)
    assert sequence == list(range(1, len(kept) + 1))  # no gap, although a third of the takes rolled back
    assert all(n.startswith("WZ/2026/11/") and len(n.rsplit("/", 1)[1]) == 4 for n in kept)


def test_series_restart_per_period(db):
    monthly = NumberPattern("WZ/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY)
    yearly = NumberPattern("FV/{yyyy}/{n}", Reset.YEARLY)
    never = NumberPattern("K-{nnnnnn}", Reset.NEVER)
    with db.uow() as uow:
        s = uow.session
        assert next_number(s, monthly, "WZ", date(2026, 11, 30)) == "WZ/2026/11/0001"
        assert next_number(s, monthly, "WZ", date(2026, 11, 30)) == "WZ/2026/11/0002"
        assert next_number(s, monthly, "WZ", date(2026, 12, 1)) == "WZ/2026/12/0001"
        assert next_number(s, yearly, "FV", date(2026, 12, 31)) == "FV/2026/1"
        assert next_number(s, yearly, "FV", date(2027, 1, 1)) == "FV/2027/1"
        assert next_number(s, never, "K", date(2026, 1, 1)) == "K-000001"
        assert next_number(s, never, "K", date(2031, 1, 1)) == "K-000002"
        uow.commit()


def test_order_numbers_follow_the_settings(db, system_actor):
    from tests.support.orders import create

    first = create(db, system_actor, ("X", 1))
    assert first.number.startswith("ZAM/") and first.number.endswith("/00001")
    with pytest.raises(ValidationError, match="monthly reset"):
        order_settings.set_order_setting(db.uow(), system_actor, "numbering.pattern", "{yyyy}-{n}")
    order_settings.set_order_setting(
        db.uow(), system_actor, "numbering", {"pattern": "{yyyy}-{n}", "reset": "yearly", "prefix": "S"}
    )
    order_settings.set_order_setting(db.uow(), system_actor, "numbering.suffix", "/PL")
    order_settings.set_order_setting(db.uow(), system_actor, "numbering.padding", "3")
    second = create(db, system_actor, ("X", 1), created_at="2026-03-04T10:00:00+01:00")
    assert second.number == "S2026-001/PL"
    third = create(db, system_actor, ("X", 1), created_at="2026-08-04T10:00:00+02:00")
    assert third.number == "S2026-002/PL"
