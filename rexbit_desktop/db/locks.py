"""PostgreSQL advisory locks by name: every key the application uses, and one way to take each kind.

Keys are fixed numbers, the same on every host and in every version (changing one would let an old and
a new process run the same guarded work at once). Two forms:

- a single key (``SCHEMA_UPGRADE``, ``EMBEDDED_DATABASE_CREATE``, ``DEMO_FILL``): ``pg_advisory_xact_lock(key)``
  (the schema upgrade and the embedded server hold theirs at session level, in their own modules);
- a namespace plus an object id (``FEED_APPLY`` per supplier integration, ``SHOP_AVAILABILITY_SYNC`` and
  ``SHOP_ORDERS_SYNC``, ``SHOP_STOCK_PUSH`` per shop integration, ``SHIPMENT_KEY`` per shipment key):
  ``pg_advisory_xact_lock(namespace, id)``. Every key and namespace here is distinct (a unit test checks).

``hold_for_transaction`` waits for a transaction-level lock (released by the commit or rollback).
``held_while`` tries a session-level lock on a connection of its own and holds it for a ``with`` block
that commits many times (a transaction-level lock would be released by the first commit); it raises
the given error at once when someone else holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AdvisoryLock:
    name: str
    key: int
    per_object: bool
    """True: the key is a namespace and each lock names an object id (two-key form)."""


SCHEMA_UPGRADE = AdvisoryLock("schema upgrade", 727274, per_object=False)
"""One process migrates a database at a time (``db/session.py``, session- or transaction-level)."""
EMBEDDED_DATABASE_CREATE = AdvisoryLock("embedded database creation", 727273, per_object=False)
"""Two processes starting on a fresh embedded data directory create the database once (``db/embedded.py``)."""
DEMO_FILL = AdvisoryLock("demo data", 727275, per_object=False)
"""Two ``rexbit demo`` runs at once must not both fill an empty database (``services/demo.py``)."""
FEED_APPLY = AdvisoryLock("supplier feed apply", 4242, per_object=True)
"""One apply or auto-link per supplier integration at a time: they must not interleave their links."""
INLINE_IMPORT_RUN = AdvisoryLock("inline import run", 4243, per_object=True)
"""Held at session level by the process running an import run itself (``--now``, the desktop's "import
now") for as long as it runs: a 'running' run without a job whose lock is free lost its process."""
SHOP_AVAILABILITY_SYNC = AdvisoryLock("shop availability sync", 7275, per_object=True)
"""One availability sync per shop (a schedule and an operator would race on ``last_availability``)."""
SHOP_ORDERS_SYNC = AdvisoryLock("shop orders import", 7276, per_object=True)
"""One orders import per shop; it may run beside the availability sync of the same shop."""
SHOP_STOCK_PUSH = AdvisoryLock("shop stock push", 7277, per_object=True)
"""One stock push per shop (``services/shop/stock.py``); it commits several times, so held at session level."""
SHIPMENT_KEY = AdvisoryLock("shipment creation", 7278, per_object=True)
"""One creation per shipment key (``services/shipping/rows.py``; the id is ``hashtext(key)``). It shared
the stock push's namespace 7277 once, so a key whose hash equalled a shop's integration id blocked both."""

ALL_LOCKS = (
    SCHEMA_UPGRADE,
    EMBEDDED_DATABASE_CREATE,
    DEMO_FILL,
    FEED_APPLY,
    INLINE_IMPORT_RUN,
    SHOP_AVAILABILITY_SYNC,
    SHOP_ORDERS_SYNC,
    SHOP_STOCK_PUSH,
    SHIPMENT_KEY,
)


def _args(lock: AdvisoryLock, object_id: int | None) -> tuple[str, dict[str, int]]:
    if lock.per_object:
        if object_id is None:
            raise ValueError(f"The {lock.name} lock is taken per object: give its id.")
        return "CAST(:key AS integer), CAST(:id AS integer)", {"key": lock.key, "id": object_id}
    if object_id is not None:
        raise ValueError(f"The {lock.name} lock is one for the whole database: no id.")
    return ":key", {"key": lock.key}


def hold_for_transaction(
    target: Session | Connection, lock: AdvisoryLock, object_id: int | None = None
) -> None:
    """Wait for ``lock`` and hold it until the current transaction ends."""
    args, params = _args(lock, object_id)
    target.execute(text(f"SELECT pg_advisory_xact_lock({args})"), params)


@contextmanager
def held_while(
    engine: Engine,
    lock: AdvisoryLock,
    object_id: int | None = None,
    *,
    busy: Callable[[], Exception],
) -> Iterator[None]:
    """Hold ``lock`` for the ``with`` block on a connection of its own, or raise ``busy()`` at once."""
    args, params = _args(lock, object_id)
    with engine.connect() as conn:
        if not conn.execute(text(f"SELECT pg_try_advisory_lock({args})"), params).scalar():
            raise busy()
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({args})"), params)
