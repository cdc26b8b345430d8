"""The working-time rules of domain/kpi.py, on November 2026 (Wednesday 11th is a public holiday)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.kpi import (
    KpiSettings,
    Period,
    WorkCalendar,
    calendar_days,
    kpi_settings_from_dict,
    period_for,
)

WAW = ZoneInfo("Europe/Warsaw")
CAL = WorkCalendar(KpiSettings(), date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=WAW)


def test_the_calendar_knows_weekends_and_polish_holidays() -> None:
    days = {d.day: d for d in calendar_days(KpiSettings(), date(2026, 11, 1), date(2026, 11, 30))}
    assert not days[date(2026, 11, 1)].working  # Sunday, All Saints' Day
    assert days[date(2026, 11, 2)].working and days[date(2026, 11, 2)].work_day_no == 1
    assert not days[date(2026, 11, 11)].working  # Independence Day
    assert days[date(2026, 11, 12)].work_day_no == 8  # 2–6 (5), 9–10 (2), 12th
    assert sum(d.working for d in days.values()) == 20


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(9, 10), at(10, 12), 10),  # Mon 10–16 + Tue 8–12
        (at(10, 15), at(12, 9), 2),  # across the holiday
        (at(13, 17), at(17, 10), 10),  # after closing on Friday, over the weekend
        (at(14, 10), at(16, 15), 7),  # from a Saturday
        (at(9, 6), at(9, 7), 0),  # both before opening
        (at(9, 8), at(9, 8), 0),
    ],
)
def test_working_hours_between_two_moments(start: datetime, end: datetime, hours: float) -> None:
    assert CAL.working_seconds(start, end) == hours * 3600


def test_late_means_shipped_on_a_working_day_after_the_ship_by_day() -> None:
    assert not CAL.is_late(at(9, 10), at(10, 15, 59), 1)
    assert CAL.is_late(at(9, 10), at(10, 16, 0), 1)  # closing time is after the day
    assert not CAL.is_late(at(10, 15), at(12, 9), 1)  # Wednesday is a holiday: ship-by Thursday
    assert not CAL.is_late(at(13, 17), at(17, 10), 1)  # ready after closing on Friday: counts from Monday
    assert CAL.is_late(at(16, 9), at(18, 17), 1)
    assert CAL.is_late(at(16, 9), at(18, 17), 2)  # after closing on Wednesday counts as Thursday
    assert not CAL.is_late(at(16, 9), at(18, 17), 3)


def test_periods_and_the_one_before() -> None:
    today = date(2026, 12, 2)
    assert period_for("7d", today) == Period(date(2026, 11, 26), date(2026, 12, 2))
    assert period_for("30d", today).previous() == Period(date(2026, 10, 4), date(2026, 11, 2))
    last_month = period_for("last_month", today)
    assert last_month == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert last_month.previous() == Period(date(2026, 10, 1), date(2026, 10, 31))
    with pytest.raises(ValidationError):
        Period(date(2026, 12, 2), date(2026, 12, 1))
    with pytest.raises(ValidationError):
        period_for("fortnight", today)


def test_settings_are_validated_and_keep_their_defaults() -> None:
    s = kpi_settings_from_dict({"work_start": "7:30", "carrier_handling_days": {" InPost ": 2}})
    assert (s.work_start, s.work_end, s.day_seconds) == ("07:30", "16:00", 8.5 * 3600)
    assert s.handling_days_for("inpost") == 2 and s.handling_days_for("DPD") == 1
    for bad in (
        {"working_weekdays": []},
        {"working_weekdays": [7]},
        {"work_end": "25:00"},
        {"handling_days": -1},
        {"extra_days_off": ["tomorrow"]},
    ):
        with pytest.raises(ValidationError):
            kpi_settings_from_dict(bad)
    closed = kpi_settings_from_dict({"extra_days_off": ["2026-11-09"]})
    cal = WorkCalendar(closed, date(2026, 11, 1), date(2026, 11, 30))
    assert cal.working_seconds(at(9, 10), at(10, 12)) == 4 * 3600
