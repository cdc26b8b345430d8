"""The static task catalog: every job task by its full name, with its queue and locks.

Task names are ``<namespace>:<task>``; each area's blueprint in ``jobs/`` gets one namespace:

============  ===============================  ======================================
namespace     blueprint                         example
============  ===============================  ======================================
imports       ``jobs/tasks_imports.py``         ``imports:import_all_supplier_feeds``
shop          ``jobs/tasks_shop.py``            ``shop:sync_all_availability``
orders        ``jobs/tasks_orders.py``          ``orders:release_expired_reservations``
shipping      ``jobs/tasks_shipping.py``        ``shipping:track_open_shipments``
maintenance   ``jobs/tasks_maintenance.py``     ``maintenance:prune_failed_jobs``
automation    ``jobs/tasks_automation.py``      ``automation:process_events``
mail          ``jobs/tasks_mail.py``            ``mail:send_message``
diagnostics   ``jobs/tasks_diagnostics.py``     ``diagnostics:noop`` (tests, benchmark;
                                                only with ``REXBIT_DIAGNOSTIC_TASKS=1``)
============  ===============================  ======================================

Deferring needs only this table, not the task functions: a service defers a job without importing the
job layer above it. ``tests/unit/test_task_catalog.py`` checks the table against the tasks the job app
registers, so a task added in ``jobs/`` without a row here (or with another queue) fails the tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rexbit_desktop.domain.errors import ValidationError

DIAGNOSTICS_NAMESPACE = "diagnostics"
DIAGNOSTICS_ENV = "REXBIT_DIAGNOSTIC_TASKS"


class UnknownTask(ValidationError):
    """No such task."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    queue: str
    lock: str | None = None
    """Jobs with the same lock never run at the same time."""
    queueing_lock: str | None = None
    """At most one job with this lock waits in the queue."""
    priority: int = 0


def _specs(namespace: str, queue: str, *tasks: str) -> dict[str, TaskSpec]:
    return {f"{namespace}:{task}": TaskSpec(f"{namespace}:{task}", queue) for task in tasks}


TASKS: dict[str, TaskSpec] = {
    **_specs(
        "imports",
        "import",
        "execute_integration_import",
        "process_supplier_availability_chunk",
        "import_all_supplier_feeds",
    ),
    **_specs("imports", "integrations", "link_integration_products"),
    **_specs(
        "shop",
        "integrations",
        "test_connection",
        "pull_products",
        "sync_availability",
        "sync_all_availability",
        "sync_orders",
        "sync_all_orders",
        "push_stock",
        "push_all_stock",
    ),
    **_specs(
        "orders",
        "orders",
        "reserve_order_stock",
        "generate_warehouse_document",
        "release_expired_reservations",
        "order_status_changed",
    ),
    **_specs("shipping", "orders", "create_shipment"),
    **_specs("shipping", "integrations", "track_open_shipments"),
    **_specs("maintenance", "default", "prune_failed_jobs", "vacuum_after_import", "refresh_kpi"),
    "automation:process_events": TaskSpec(
        "automation:process_events", "orders", queueing_lock="automation-events"
    ),
    **_specs("automation", "orders", "in_status_events"),
    **_specs("automation", "integrations", "deliver_webhooks"),
    **_specs("mail", "mail", "send_message", "fetch_replies"),
    **_specs(DIAGNOSTICS_NAMESPACE, "default", "noop", "sleep", "fail"),
}
"""Every task, the diagnostic ones included (``task_catalog`` leaves them out unless enabled)."""


def diagnostics_enabled() -> bool:
    return os.environ.get(DIAGNOSTICS_ENV, "").lower() in ("1", "true", "yes")


def is_diagnostic(task_name: str) -> bool:
    return task_name.startswith(DIAGNOSTICS_NAMESPACE + ":")


def task_catalog(*, diagnostics: bool | None = None) -> dict[str, TaskSpec]:
    """The production tasks by full name (plus ``diagnostics:*`` when enabled)."""
    if diagnostics is None:
        diagnostics = diagnostics_enabled()
    return {name: spec for name, spec in TASKS.items() if diagnostics or not is_diagnostic(name)}


def resolve_task(task_name: str, *, diagnostics: bool | None = None) -> TaskSpec:
    tasks = task_catalog(diagnostics=diagnostics)
    task = tasks.get(task_name)
    if task is None:
        raise UnknownTask(
            f"There is no task '{task_name}'.",
            hint="Task names are '<namespace>:<task>'; known tasks: " + ", ".join(sorted(tasks)) + ".",
        )
    return task
