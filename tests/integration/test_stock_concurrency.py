"""Eight processes reserve the same ten products at once: never oversold, nobody sees an error."""

from __future__ import annotations

import multiprocessing
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import text

from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, order_payload, reserve_worker, setup_warehouse

PROCESSES = 8
ORDERS_PER_PROCESS = 3
SKUS = [f"HOT-{n:02d}" for n in range(10)]


@pytest.mark.slow
def test_eight_processes_reserve_the_same_products(db, db_url, system_actor):
    setup_warehouse(db, system_actor)
    add_products(db, *SKUS)
    for sku in SKUS:
        stock.receive_stock(db.uow(), system_actor, sku=sku, warehouse="MAG", qty=15)
    rng = random.Random(6)
    numbers: list[list[str]] = []
    for _ in range(PROCESSES):
        mine = []
        for _ in range(ORDERS_PER_PROCESS):
            lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(SKUS, 6)]
            mine.append(orders.create_order(db.uow(), system_actor, order_payload(*lines)).number)
        numbers.append(mine)

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=reserve_worker, args=(db_url, n, barrier, results)) for n in numbers]
    for p in procs:
        p.start()
    outcome = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0

    errors = [e for _granted, errs in outcome for e in errs]
    assert errors == []
    granted: dict[str, Decimal] = defaultdict(Decimal)
    for lines, _errs in outcome:
        for _number, sku, qty in lines:
            granted[sku] += Decimal(qty)
    with db.session() as s:
        totals = {
            sku: (on_hand, reserved)
            for sku, on_hand, reserved in s.execute(
                text(
                    "SELECT p.sku, t.on_hand, t.reserved FROM warehouse_stock_totals t "
                    "JOIN products p ON p.id = t.product_id"
                )
            )
        }
        held = dict(
            s.execute(
                text(
                    "SELECT p.sku, sum(r.reserved_qty - r.released_qty) FROM order_item_reservations r "
                    "JOIN products p ON p.id = r.product_id WHERE r.status <> 'released' GROUP BY p.sku"
                )
            ).all()
        )
    oversubscribed = 0
    for sku in SKUS:
        on_hand, reserved = totals[sku]
        assert reserved == granted[sku] == held.get(sku, Decimal(0))
        assert 0 <= reserved <= on_hand
        oversubscribed += reserved == on_hand
    # The demand was larger than the stock, so the race was real: most products ran out.
    assert oversubscribed >= 5
    shortages = stock.list_shortages(db.uow(), system_actor)
    assert shortages


def test_a_deadlock_victim_is_run_again_and_nobody_sees_it(db, system_actor):
    """Two use cases lock the same two rows in opposite order: PostgreSQL kills one, the retry finishes it."""
    import threading

    from rexbit_desktop.services.stock.documents import retry_on_deadlock

    setup_warehouse(db, system_actor)
    add_products(db, "DL-1", "DL-2")
    for sku in ("DL-1", "DL-2"):
        stock.receive_stock(db.uow(), system_actor, sku=sku, warehouse="MAG", qty=1)
    with db.session() as s:
        ids = dict(s.execute(text("SELECT sku, id FROM products")).all())
    both_locked_first = threading.Barrier(2, timeout=20)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def make(name: str, first: int, second: int):
        @retry_on_deadlock
        def use_case() -> None:
            attempts[name] += 1
            with db.uow() as uow:
                lock = "SELECT 1 FROM warehouse_stock_totals WHERE product_id = :p FOR UPDATE"
                uow.session.execute(text(lock), {"p": first})
                if attempts[name] == 1:
                    both_locked_first.wait()  # only the first attempts meet: the retry runs alone
                uow.session.execute(text(lock), {"p": second})
                uow.session.execute(
                    text("UPDATE warehouse_stock_totals SET on_hand = on_hand + 1 WHERE product_id = :p"),
                    {"p": second},
                )
                uow.commit()

        def run() -> None:
            try:
                use_case()
            except BaseException as exc:  # the test asserts there are none
                errors.append(exc)

        return run

    threads = [
        threading.Thread(target=make("a", ids["DL-1"], ids["DL-2"])),
        threading.Thread(target=make("b", ids["DL-2"], ids["DL-1"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # exactly one victim, run once more
    with db.session() as s:
        assert s.execute(text("SELECT sum(on_hand) FROM warehouse_stock_totals")).scalar() == 4
