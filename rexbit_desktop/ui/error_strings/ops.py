"""The GUI's words for the errors of operations: the job queue, schedules, maintenance."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase


def _cron(code: str) -> Phrase:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        from rexbit_desktop.ui.schedules.view import cron_error_text  # the Harmonogram's own words

        return cron_error_text(code, p), ""

    return phrase


PHRASES: dict[str, Phrase] = {
    "invalid_cron": _cron("invalid_cron"),
    "invalid_cron_field": _cron("invalid_cron_field"),
    "invalid_cron_fields": _cron("invalid_cron_fields"),
}
