"""Cron expressions of the schedules table: crontab weekdays, seconds field, aliases, refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rexbit_desktop.services.ops.schedules import InvalidCron, cron_trigger, fire_times

WARSAW = ZoneInfo("Europe/Warsaw")
SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, 0, tzinfo=WARSAW)


def _next(expr: str, now: datetime = SATURDAY_NOON) -> datetime:
    result = cron_trigger(expr, WARSAW).get_next_fire_time(None, now)
    assert result is not None
    return result


def test_five_fields_fire_on_the_minute() -> None:
    assert _next("*/30 * * * *") == datetime(2026, 11, 28, 12, 0, tzinfo=WARSAW)
    assert _next("*/30 * * * *", SATURDAY_NOON + timedelta(seconds=1)) == datetime(
        2026, 11, 28, 12, 30, tzinfo=WARSAW
    )
    assert _next("0 2 * * *") == datetime(2026, 11, 29, 2, 0, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("weekday", "expected_day"),
    [
        ("0", 29),  # crontab 0 = Sunday (APScheduler's own 0 would be Monday)
        ("7", 29),  # 7 = Sunday too
        ("1", 30),  # Monday
        ("1-5", 30),
        ("0-2", 29),  # a range starting on Sunday
        ("*/2", 29),  # Sun, Tue, Thu, Sat — but today's noon has passed
        ("mon-fri", 30),
        ("sun", 29),
        ("5,6", 28 + 6),  # Friday 4 Dec (Saturday 12:00 has passed at 12:00:01)
    ],
)
def test_weekdays_follow_crontab(weekday: str, expected_day: int) -> None:
    now = SATURDAY_NOON + timedelta(seconds=1)
    got = _next(f"0 12 * * {weekday}", now)
    if weekday == "5,6":
        assert got == datetime(2026, 12, 4, 12, 0, tzinfo=WARSAW)
    else:
        assert got.day == expected_day and got.hour == 12


def test_six_fields_have_seconds_first() -> None:
    times = fire_times(
        cron_trigger("*/5 * * * * *", WARSAW), SATURDAY_NOON, SATURDAY_NOON + timedelta(seconds=20)
    )
    assert [t.second for t in times] == [5, 10, 15, 20]


def test_fire_times_window_is_open_at_start_and_closed_at_end() -> None:
    trigger = cron_trigger("* * * * *", WARSAW)
    times = fire_times(trigger, SATURDAY_NOON, SATURDAY_NOON + timedelta(minutes=3))
    assert times == [SATURDAY_NOON + timedelta(minutes=m) for m in (1, 2, 3)]


def test_aliases() -> None:
    assert _next("@hourly", SATURDAY_NOON + timedelta(seconds=1)) == datetime(
        2026, 11, 28, 13, 0, tzinfo=WARSAW
    )
    assert _next("@daily").day == 29


@pytest.mark.parametrize(
    "expr", ["", "* * * *", "61 * * * *", "* 25 * * *", "0 0 * * 8", "a b c d e", "* * * * * * *"]
)
def test_invalid_expressions_are_refused_with_a_hint(expr: str) -> None:
    with pytest.raises(InvalidCron) as info:
        cron_trigger(expr, WARSAW)
    assert info.value.hint and "minute hour day month weekday" in info.value.hint
