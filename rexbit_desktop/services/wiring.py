"""Listeners between areas, wired once at start-up (``bootstrap()``, the job app), never by importing a
module for its side effects.

Today: the shop hears order status changes (``services/shop/flowback.py``'s ``push_status_to_shop`` runs in
the queued listener ``orders:order_status_changed``), and so do the automatic e-mails
(``services/messages/automation.py``: a rule for the new status makes the change defer that listener,
``send_on_status_change`` queues the e-mail there); order events for automation rules and webhooks
are written with each commit (``services/automation/events.py``).
"""

from __future__ import annotations

from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.messages.automation import mail_rule_applies, send_on_status_change
from rexbit_desktop.services.orders import workflow
from rexbit_desktop.services.shop.flowback import push_status_to_shop


def wire_listeners() -> None:
    """Register every cross-area listener (idempotent: calling it twice registers each once)."""
    if push_status_to_shop not in workflow.QUEUED_INTEGRATION_HANDLERS:
        workflow.QUEUED_INTEGRATION_HANDLERS.append(push_status_to_shop)
    automation_events.install()
    if send_on_status_change not in workflow.QUEUED_INTEGRATION_HANDLERS:
        workflow.QUEUED_INTEGRATION_HANDLERS.append(send_on_status_change)
    if mail_rule_applies not in workflow.QUEUE_WANTED:
        workflow.QUEUE_WANTED.append(mail_rule_applies)
