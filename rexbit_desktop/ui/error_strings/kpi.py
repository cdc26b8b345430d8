"""The KPI settings' refusals: phrased by the KPI settings dialog (``ui/kpi/settings.py``), found here
by code like every other error."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.ui.error_strings.common import Phrase


def _by_the_kpi_dialog(code: str) -> Phrase:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        from rexbit_desktop.ui.kpi.settings import phrase_setting_error  # a Qt module: loaded when needed

        return phrase_setting_error(ValidationError("", code=code, params=p)), ""

    return phrase


PHRASES: dict[str, Phrase] = {
    code: _by_the_kpi_dialog(code)
    for code in (
        "kpi_time_invalid",
        "kpi_timezone_unknown",
        "kpi_weekdays_invalid",
        "kpi_day_ends_before_start",
        "kpi_date_invalid",
        "kpi_handling_days_invalid",
    )
}
