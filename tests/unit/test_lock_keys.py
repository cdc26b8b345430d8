"""Every advisory lock the application takes has a name in ``db/locks.py``, and no two share a number.

Two guarded pieces of work on one key or namespace would wait for each other (the shipment key lock and
the stock push once both used namespace 7277)."""

from __future__ import annotations

import re
from pathlib import Path

from rexbit_desktop.db import locks
from rexbit_desktop.db.locks import AdvisoryLock

PACKAGE = Path(locks.__file__).resolve().parents[1]
# A lock key written as a number outside db/locks.py: ``_X_LOCK_NAMESPACE = 7277`` or
# ``pg_advisory_lock(7275, …)``.
_OWN_KEY = re.compile(r"^\s*_?(?:\w+_)?LOCK(?:_\w+)?\s*=\s*\d+|pg_\w*advisory\w*\(\s*\d", re.MULTILINE)


def named_locks() -> dict[str, AdvisoryLock]:
    return {name: value for name, value in vars(locks).items() if isinstance(value, AdvisoryLock)}


def test_every_named_lock_has_its_own_key() -> None:
    by_key: dict[int, list[str]] = {}
    for name, lock in named_locks().items():
        by_key.setdefault(lock.key, []).append(name)
    assert {key: names for key, names in by_key.items() if len(names) > 1} == {}


def test_every_named_lock_is_listed() -> None:
    assert set(locks.ALL_LOCKS) == set(named_locks().values())


def test_no_module_numbers_a_lock_of_its_own() -> None:
    own = {
        str(path.relative_to(PACKAGE)): match.group(0).strip()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "locks.py" or path.parent.name != "db"
        for match in _OWN_KEY.finditer(path.read_text(encoding="utf-8"))
    }
    assert own == {}, "advisory lock keys belong in db/locks.py, by name"
