"""The named job queues."""

from __future__ import annotations

from rexbit_desktop.domain.errors import ValidationError

QUEUES: tuple[str, ...] = ("integrations", "import", "default", "orders", "mail")
"""Named queues, in the order workers and the monitor list them."""

QUEUE_CONCURRENCY: dict[str, int] = {"mail": 4}
"""Jobs at a time for a queue's own worker (``rexbit serve``; the packaging's per-queue workers say the
same): e-mail waits on the SMTP server's answers, so four run at once; the other queues run one."""


def queue_concurrency(queue: str) -> int:
    return QUEUE_CONCURRENCY.get(queue, 1)


class UnknownQueue(ValidationError):
    """No such queue."""


def check_queue(queue: str) -> str:
    if queue not in QUEUES:
        raise UnknownQueue(f"There is no queue '{queue}'.", hint="Queues: " + ", ".join(QUEUES) + ".")
    return queue
