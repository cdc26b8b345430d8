"""The named job queues."""

from __future__ import annotations

from rexbit_desktop.domain.errors import ValidationError

QUEUES: tuple[str, ...] = ("integrations", "import", "default", "orders", "mail")
"""Named queues, in the order workers and the monitor list them."""


class UnknownQueue(ValidationError):
    """No such queue."""


def check_queue(queue: str) -> str:
    if queue not in QUEUES:
        raise UnknownQueue(f"There is no queue '{queue}'.", hint="Queues: " + ", ".join(QUEUES) + ".")
    return queue
