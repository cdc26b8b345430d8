"""The named advisory locks (``db/locks.py``): distinct keys, the per-object form, and the session-level
lock refusing a second holder at once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from rexbit_desktop.db.locks import (
    ALL_LOCKS,
    DEMO_FILL,
    FEED_APPLY,
    SHOP_AVAILABILITY_SYNC,
    SHOP_ORDERS_SYNC,
    held_while,
    hold_for_transaction,
)
from rexbit_desktop.domain.errors import Conflict


class Busy(Conflict):
    """Busy."""


def _granted(db, key: int) -> int:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"key": key},
            ).scalar_one()
        )


def test_every_lock_has_its_own_key() -> None:
    keys = [(lock.key, lock.per_object) for lock in ALL_LOCKS]
    assert len(set(keys)) == len(keys)
    assert len({lock.name for lock in ALL_LOCKS}) == len(ALL_LOCKS)


def test_a_held_lock_refuses_a_second_holder_and_is_released_after_the_block(db) -> None:  # type: ignore[no-untyped-def]
    with held_while(db.engine, SHOP_AVAILABILITY_SYNC, 7, busy=Busy):
        assert _granted(db, 7) == 1
        with pytest.raises(Busy), held_while(db.engine, SHOP_AVAILABILITY_SYNC, 7, busy=Busy):
            pass
        # another shop, and the orders import of the same shop, are other locks
        with held_while(db.engine, SHOP_AVAILABILITY_SYNC, 8, busy=Busy):
            pass
        with held_while(db.engine, SHOP_ORDERS_SYNC, 7, busy=Busy):
            pass
    assert _granted(db, 7) == 0
    with held_while(db.engine, SHOP_AVAILABILITY_SYNC, 7, busy=Busy):
        pass


def test_a_transaction_lock_lasts_until_the_transaction_ends(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        hold_for_transaction(conn, FEED_APPLY, 3)
        with pytest.raises(Busy), held_while(db.engine, FEED_APPLY, 3, busy=Busy):
            pass
    with held_while(db.engine, FEED_APPLY, 3, busy=Busy):
        pass
    with db.engine.begin() as conn:
        hold_for_transaction(conn, DEMO_FILL)
        assert _granted(db, DEMO_FILL.key) == 1
    assert _granted(db, DEMO_FILL.key) == 0


def test_the_form_of_a_lock_is_checked() -> None:
    with pytest.raises(ValueError):
        hold_for_transaction(None, FEED_APPLY)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        hold_for_transaction(None, DEMO_FILL, 3)  # type: ignore[arg-type]
