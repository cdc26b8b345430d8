"""The static task catalog (``queueing/catalog.py``) says what the job app registers: same names, same
queues, locks and priorities. Deferring relies on the catalog alone."""

from __future__ import annotations

import pytest

from rexbit_desktop.jobs.app import registered_tasks
from rexbit_desktop.queueing import TASKS, UnknownTask, resolve_task, task_catalog


def test_catalog_lists_exactly_the_registered_tasks() -> None:
    assert set(TASKS) == set(registered_tasks(diagnostics=True))


@pytest.mark.parametrize("name", sorted(TASKS))
def test_catalog_entry_matches_the_registered_task(name: str) -> None:
    task = registered_tasks(diagnostics=True)[name]
    spec = TASKS[name]
    assert (spec.queue, spec.lock, spec.queueing_lock, spec.priority) == (
        task.queue,
        task.lock,
        task.queueing_lock,
        task.priority,
    )


def test_diagnostic_tasks_only_when_enabled() -> None:
    assert "diagnostics:noop" in task_catalog(diagnostics=True)
    assert "diagnostics:noop" not in task_catalog(diagnostics=False)
    assert set(task_catalog(diagnostics=False)) == set(registered_tasks(diagnostics=False))
    with pytest.raises(UnknownTask):
        resolve_task("diagnostics:noop", diagnostics=False)
    with pytest.raises(UnknownTask):
        resolve_task("imports:no_such_task")
