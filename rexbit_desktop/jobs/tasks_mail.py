"""Tasks of the mail area: send one outbox message, fetch replies. Added to the app by jobs/app.py."""

from __future__ import annotations

from typing import Any

from procrastinate import Blueprint, JobContext, RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from rexbit_desktop.adapters.mail.smtp import MailDeliveryError
from rexbit_desktop.jobs.context import job_actor, job_database
from rexbit_desktop.services.messages.delivery import RetryLater, deliver
from rexbit_desktop.services.messages.inbox import fetch_replies as fetch_replies_service

bp = Blueprint()


class MailRetry(BaseRetryStrategy):
    """A 4xx answer: again after the account's delay; a refused message (5xx, attempts used up): failed at
    once with the server's answer; anything else (database down, a bug): the worker's ``--tries``."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            return RetryDecision(retry_in={"seconds": float(exception.delay)})
        if isinstance(exception, MailDeliveryError):
            return None
        from rexbit_desktop.jobs.app import WorkerTries  # the app imports this module

        return WorkerTries().get_retry_decision(exception=exception, job=job)


@bp.task(name="send_message", queue="mail", pass_context=True, retry=MailRetry())
def send_message(context: JobContext, message_id: int) -> dict[str, Any]:
    """Send one outbox message (idempotent: a message sent, failed or uncertain is left alone)."""
    result = deliver(job_database(context), message_id)
    return {
        "message": result.message_id,
        "state": result.state,
        "attempt": result.attempt,
        "reply": result.reply,
    }


@bp.task(name="fetch_replies", queue="mail", pass_context=True)
def fetch_replies(context: JobContext, account: str | None = None) -> dict[str, Any]:
    """Read the IMAP folders and store the customers' replies at their orders."""
    db = job_database(context)
    r = fetch_replies_service(db.uow(), job_actor(context), account=account)
    return {
        "accounts": r.accounts,
        "fetched": r.fetched,
        "matched": r.matched,
        "stored": r.stored,
        "unmatched": r.unmatched,
    }
