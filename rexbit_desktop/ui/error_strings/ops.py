"""The GUI's words for the errors of operations: the job queue, schedules, maintenance."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase
from rexbit_desktop.ui.i18n import register

register(
    {
        "There is no failed job {job}.": "Nie ma nieudanego zadania {job}.",
        "Refresh the list: it may have been retried or removed.": (
            "Odśwież listę: zadanie mogło zostać ponowione albo usunięte."
        ),
        "A „{task}” job is already waiting in the queue.": "Zadanie „{task}” już czeka w kolejce.",
        "Wait until it starts.": "Poczekaj, aż się rozpocznie.",
        "There is no schedule {name}.": "Nie ma harmonogramu {name}.",
        "Not a table that is vacuumed after bulk writes: {tables}.": (
            "To nie jest tabela porządkowana po zapisach masowych: {tables}."
        ),
        "The database already has data; the demo fills only an empty database.": (
            "Baza danych zawiera już dane; dane demonstracyjne trafiają tylko do pustej bazy."
        ),
        "Use a new database.": "Użyj nowej bazy danych.",
    }
)


def _cron(code: str) -> Phrase:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        from rexbit_desktop.ui.schedules.view import cron_error_text  # the Harmonogram's own words

        return cron_error_text(code, p), ""

    return phrase


PHRASES: dict[str, Phrase] = {
    "failed_job_not_found": (
        "There is no failed job {job}.",
        "Refresh the list: it may have been retried or removed.",
    ),
    "job_already_queued": ("A „{task}” job is already waiting in the queue.", "Wait until it starts."),
    "schedule_not_found": ("There is no schedule {name}.", ""),
    "not_a_bulk_table": ("Not a table that is vacuumed after bulk writes: {tables}.", ""),
    "demo_database_not_empty": (
        "The database already has data; the demo fills only an empty database.",
        "Use a new database.",
    ),
    "invalid_cron": _cron("invalid_cron"),
    "invalid_cron_field": _cron("invalid_cron_field"),
    "invalid_cron_fields": _cron("invalid_cron_fields"),
}
