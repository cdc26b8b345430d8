"""Tasks of automation: rules after order events, webhook deliveries, the daily 'in status' pass."""

from __future__ import annotations

from typing import Any

from procrastinate import Blueprint, JobContext

from rexbit_desktop.jobs.context import job_database
from rexbit_desktop.services.automation import engine, webhooks

bp = Blueprint()


@bp.task(name="process_events", queue="orders", pass_context=True, queueing_lock="automation-events")
def process_events(context: JobContext) -> dict[str, Any]:
    """Run the automation rules for the events recorded since the last pass; queue their webhooks."""
    return engine.process_events(job_database(context)).as_dict()


@bp.task(name="deliver_webhooks", queue="integrations", pass_context=True)
def deliver_webhooks(context: JobContext) -> dict[str, Any]:
    """Send the webhook deliveries that are due (retries included)."""
    return webhooks.deliver_due(job_database(context)).as_dict()


@bp.task(name="in_status_events", queue="orders", pass_context=True)
def in_status_events(context: JobContext) -> dict[str, Any]:
    """Daily: an event for each order in a status longer than an 'in status' rule's days."""
    db = job_database(context)
    emitted = engine.run_in_status_events(db)
    return {"events": emitted, **engine.process_events(db).as_dict()}
