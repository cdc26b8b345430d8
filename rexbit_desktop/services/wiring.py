"""Listeners between areas, wired once at start-up (``bootstrap()``, the job app), never by importing a
module for its side effects.

Today: the shop hears order status changes (``services/shop/orders.py``'s ``push_status_to_shop`` runs in
the queued listener ``orders:order_status_changed``); order events for automation rules and webhooks
are written with each commit (``services/automation/events.py``).
"""

from __future__ import annotations

from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.orders import workflow
from rexbit_desktop.services.shop.flowback import push_status_to_shop


def wire_listeners() -> None:
    """Register every cross-area listener (idempotent: calling it twice registers each once)."""
    if push_status_to_shop not in workflow.QUEUED_INTEGRATION_HANDLERS:
        workflow.QUEUED_INTEGRATION_HANDLERS.append(push_status_to_shop)
    automation_events.install()
