"""Webhook endpoints, the outbox of deliveries, and sending them (Standard Webhooks).

A delivery is written to ``webhook_deliveries`` in the transaction that handles its event (or runs the
rule's "call webhook" action), and ``automation:deliver_webhooks`` is queued with it. The job takes the
due deliveries with ``FOR UPDATE SKIP LOCKED`` (workers share them; a worker killed mid-send drops its
locks with its connection, so the deliveries are due again at once for the next worker), sends them in
parallel, and writes every attempt. 2xx: delivered. 410: the endpoint is switched off. 408, 429, 5xx,
timeouts and refused connections: tried again with exponential backoff and jitter (``Retry-After``
honoured) for up to a day. Other answers: failed. The message id (``webhook-id``) never changes, so
receivers can drop duplicates.

Rooms: ``endpoints`` (add, list, change, rotate secrets; the SSRF guard), ``outbox`` (deliveries written
with their event, the delivery job queued), ``sending`` (``deliver_due``), ``history`` (deliveries and
attempts, send again, test message). Everything is importable from this package.
"""

from __future__ import annotations

from rexbit_desktop.services.automation.webhooks.endpoints import (
    EndpointDTO,
    add_endpoint,
    check_url,
    endpoint_secret,
    find_endpoint,
    list_endpoints,
    resolve,
    rotate_secret,
    update_endpoint,
)
from rexbit_desktop.services.automation.webhooks.history import (
    AttemptDTO,
    DeliveryDTO,
    list_deliveries,
    send_again,
    test_endpoint,
)
from rexbit_desktop.services.automation.webhooks.outbox import (
    DELIVER_QUEUE,
    DELIVER_TASK,
    enqueue_for_events,
    enqueue_for_orders,
)
from rexbit_desktop.services.automation.webhooks.sending import DeliverResult, deliver_due

__all__ = [
    "DELIVER_QUEUE",
    "DELIVER_TASK",
    "AttemptDTO",
    "DeliverResult",
    "DeliveryDTO",
    "EndpointDTO",
    "add_endpoint",
    "check_url",
    "deliver_due",
    "endpoint_secret",
    "enqueue_for_events",
    "enqueue_for_orders",
    "find_endpoint",
    "list_deliveries",
    "list_endpoints",
    "resolve",
    "rotate_secret",
    "send_again",
    "test_endpoint",
    "update_endpoint",
]
