"""Queueing, below the services: the queue names, the static task catalog, ``defer_job`` and the raw
job-row insert. A service defers a job in its own unit of work through this package; the job layer
(``jobs/``: the procrastinate app, workers, the scheduler, the task functions) sits above the services.
"""

from __future__ import annotations

from rexbit_desktop.queueing.catalog import TASKS, TaskSpec, UnknownTask, resolve_task, task_catalog
from rexbit_desktop.queueing.defer import JobAlreadyQueued, defer_job, defer_job_with_arguments
from rexbit_desktop.queueing.queues import (
    QUEUE_CONCURRENCY,
    QUEUES,
    UnknownQueue,
    check_queue,
    queue_concurrency,
)

__all__ = [
    "QUEUES",
    "QUEUE_CONCURRENCY",
    "TASKS",
    "JobAlreadyQueued",
    "TaskSpec",
    "UnknownQueue",
    "UnknownTask",
    "check_queue",
    "defer_job",
    "defer_job_with_arguments",
    "queue_concurrency",
    "resolve_task",
    "task_catalog",
]
