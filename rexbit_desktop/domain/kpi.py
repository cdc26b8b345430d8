"""KPI definitions, the working-time calendar and reporting periods (pure Python).

Working time is measured with a calendar of days (working or not, opening and closing time). The
database keeps the same calendar in ``kpi_calendar`` (one row per day, built from ``calendar_days``) and
the dashboard's SQL applies the two rules below to millions of orders; the functions here are the
reference the tests compare against.

* **Working seconds** between two moments: the working time of the calendar between them. It is the
  difference of ``work_clock(t)``: the working seconds from the calendar's first day to ``t``.
* **Working day of a moment** (``effective_day``): the number of the working day a moment counts for.
  During or before opening hours of a working day it is that day; after closing time, or on a day off,
  it is the next working day. An order ready on day *d* is late when it is shipped on a working day
  after *d* + handling days.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rexbit_desktop.domain.errors import ValidationError

# Statuses in which the warehouse has work to do with an order (the backlog).
BACKLOG_STATUSES: tuple[str, ...] = ("paid", "awaiting_fulfillment", "picking", "ready_for_shipment")
# Statuses whose order lines should be reserved (the reservation level).
RESERVING_STATUSES: tuple[str, ...] = ("awaiting_fulfillment", "picking", "ready_for_shipment")
# Orders that did not stay sold: left out of order counts and values.
NOT_SOLD_STATUSES: tuple[str, ...] = ("cancelled", "returned")

AGE_BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("0-1", 0.0, 1.0),
    ("1-2", 1.0, 2.0),
    ("2-5", 2.0, 5.0),
    ("5+", 5.0, None),
)
"""Backlog age buckets in working days: label, from (inclusive), to (exclusive; None = open)."""

CALENDAR_FIRST_YEAR = 2015


@dataclass(frozen=True)
class KpiSettings:
    """How working time and promised ship-by dates are counted (order settings section ``kpi``)."""

    timezone: str = "Europe/Warsaw"
    working_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Monday = 0 … Sunday = 6."""
    work_start: str = "08:00"
    work_end: str = "16:00"
    public_holidays: bool = True
    """Polish public holidays (the ``holidays`` package) are days off."""
    extra_days_off: tuple[str, ...] = ()
    """ISO dates closed on top of the public holidays (e.g. stock-taking)."""
    handling_days: int = 1
    """Working days promised between payment (or release to the warehouse) and shipping."""
    carrier_handling_days: dict[str, int] = field(default_factory=dict)
    """Per carrier code or delivery method (lower case): handling days instead of the default."""

    @property
    def start_seconds(self) -> int:
        return _seconds(self.work_start)

    @property
    def end_seconds(self) -> int:
        return _seconds(self.work_end)

    @property
    def day_seconds(self) -> int:
        return self.end_seconds - self.start_seconds

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def handling_days_for(self, method: str | None) -> int:
        key = (method or "").strip().lower()
        return self.carrier_handling_days.get(key, self.handling_days)

    def fingerprint(self) -> str:
        """What the calendar depends on (the stored calendar is rebuilt when it changes)."""
        days_off = ",".join(sorted(self.extra_days_off))
        weekdays = ",".join(map(str, self.working_weekdays))
        return f"{weekdays}|{self.work_start}|{self.work_end}|{int(self.public_holidays)}|{days_off}"


def _seconds(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 3600 + int(minutes or 0) * 60


def _valid_time(value: Any, name: str) -> str:
    text = str(value).strip()
    if len(text) == 4 and text[1] == ":":
        text = "0" + text  # 7:30
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"'{text}' is not a time of day (HH:MM).",
            code="kpi_time_invalid",
            params={"field": name, "value": text},
        ) from None
    return parsed.strftime("%H:%M")


def kpi_settings_from_dict(data: dict[str, Any] | None) -> KpiSettings:
    """Stored JSON → settings; unknown keys are ignored, missing ones take their defaults, and bad values
    are refused with the field's name."""
    data = dict(data or {})
    default = KpiSettings()
    tz = str(data.get("timezone", default.timezone))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"Unknown time zone '{tz}'.",
            code="kpi_timezone_unknown",
            params={"field": "timezone", "value": tz},
        ) from None
    weekdays_raw = data.get("working_weekdays", default.working_weekdays)
    try:
        weekdays = tuple(sorted({int(d) for d in weekdays_raw}))
    except (TypeError, ValueError):
        raise ValidationError(
            "Working days must be numbers 0–6.",
            code="kpi_weekdays_invalid",
            params={"field": "working_weekdays"},
        ) from None
    if not weekdays or any(d < 0 or d > 6 for d in weekdays):
        raise ValidationError(
            "Working days must be numbers 0–6 (at least one).",
            code="kpi_weekdays_invalid",
            params={"field": "working_weekdays"},
        )
    start = _valid_time(data.get("work_start", default.work_start), "work_start")
    end = _valid_time(data.get("work_end", default.work_end), "work_end")
    if _seconds(end) <= _seconds(start):
        raise ValidationError(
            "The working day must end after it starts.",
            code="kpi_day_ends_before_start",
            params={"field": "work_end", "start": start, "end": end},
        )
    extra: list[str] = []
    for raw in data.get("extra_days_off", ()) or ():
        try:
            extra.append(date.fromisoformat(str(raw)).isoformat())
        except ValueError:
            raise ValidationError(
                f"'{raw}' is not a date.",
                code="kpi_date_invalid",
                params={"field": "extra_days_off", "value": str(raw)},
            ) from None
    handling = _days(data.get("handling_days", default.handling_days), "handling_days")
    per_carrier = {
        str(k).strip().lower(): _days(v, "carrier_handling_days", str(k).strip())
        for k, v in dict(data.get("carrier_handling_days") or {}).items()
        if str(k).strip()
    }
    return KpiSettings(
        timezone=tz,
        working_weekdays=weekdays,
        work_start=start,
        work_end=end,
        public_holidays=bool(data.get("public_holidays", default.public_holidays)),
        extra_days_off=tuple(sorted(set(extra))),
        handling_days=handling,
        carrier_handling_days=per_carrier,
    )


def _days(value: Any, name: str, carrier: str = "") -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            "Handling days must be a whole number.",
            code="kpi_handling_days_invalid",
            params={"field": name, "value": str(value), "carrier": carrier},
        ) from None
    if not 0 <= days <= 60:
        raise ValidationError(
            "Handling days must be between 0 and 60.",
            code="kpi_handling_days_invalid",
            params={"field": name, "value": str(value), "carrier": carrier},
        )
    return days


def kpi_settings_to_dict(settings: KpiSettings) -> dict[str, Any]:
    data = asdict(settings)
    data["working_weekdays"] = list(settings.working_weekdays)
    data["extra_days_off"] = list(settings.extra_days_off)
    return data


# ---------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class CalendarDay:
    day: date
    working: bool
    work_start_s: int
    work_end_s: int
    cum_work_s: int
    """Working seconds of all earlier days of the calendar."""
    work_day_no: int
    """Working days up to and including this one."""


def days_off(settings: KpiSettings, years: Iterable[int]) -> dict[date, str]:
    """Public holidays (Poland) and the extra days off, with their names."""
    off: dict[date, str] = {}
    if settings.public_holidays:
        import holidays  # a data library, no I/O: the holiday rules are code

        for day, name in holidays.country_holidays("PL", years=list(years), language="pl").items():
            off[day] = str(name)
    for iso in settings.extra_days_off:
        off[date.fromisoformat(iso)] = "dzień wolny"
    return off


def calendar_days(settings: KpiSettings, first: date, last: date) -> list[CalendarDay]:
    """One row per day from ``first`` to ``last`` (inclusive), with the running working totals."""
    off = days_off(settings, range(first.year, last.year + 1))
    start, end = settings.start_seconds, settings.end_seconds
    rows: list[CalendarDay] = []
    cum = 0
    number = 0
    day = first
    while day <= last:
        working = day.weekday() in settings.working_weekdays and day not in off
        if working:
            number += 1
        rows.append(CalendarDay(day, working, start, end, cum, number))
        if working:
            cum += end - start
        day += timedelta(days=1)
    return rows


class WorkCalendar:
    """The calendar in memory: the reference implementation of what the dashboard's SQL computes."""

    def __init__(self, settings: KpiSettings, first: date, last: date) -> None:
        self.settings = settings
        self.zone = settings.zone
        self.days = {d.day: d for d in calendar_days(settings, first, last)}

    def _local(self, moment: datetime) -> tuple[CalendarDay, int]:
        local = moment.astimezone(self.zone)
        row = self.days[local.date()]
        return row, local.hour * 3600 + local.minute * 60 + local.second

    def work_clock(self, moment: datetime) -> int:
        row, secs = self._local(moment)
        if not row.working:
            return row.cum_work_s
        return row.cum_work_s + min(max(secs - row.work_start_s, 0), row.work_end_s - row.work_start_s)

    def working_seconds(self, start: datetime, end: datetime) -> int:
        return self.work_clock(end) - self.work_clock(start)

    def effective_day(self, moment: datetime) -> int:
        row, secs = self._local(moment)
        return row.work_day_no + (1 if not row.working or secs >= row.work_end_s else 0)

    def is_late(self, ready: datetime, shipped: datetime, handling_days: int) -> bool:
        return self.effective_day(shipped) > self.effective_day(ready) + handling_days


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Local calendar days ``first`` … ``last`` (inclusive)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationError("The period ends before it starts.")
        if (self.last - self.first).days > 3 * 366:
            raise ValidationError("The period is longer than three years.")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (a calendar month → the month before)."""
        if self.first.day == 1 and self.last == _month_end(self.last) and self.first.month == self.last.month:
            last = self.first - timedelta(days=1)
            return Period(last.replace(day=1), last)
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware moments: local midnight of the first day and of the day after the last."""
        start = datetime.combine(self.first, time(0), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone)
        return start, end

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


def _month_end(day: date) -> date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


PERIOD_CHOICES = ("today", "7d", "30d", "this_month", "last_month")


def period_for(choice: str, today: date) -> Period:
    """A named period of the period picker, relative to ``today``."""
    if choice == "today":
        return Period(today, today)
    if choice == "7d":
        return Period(today - timedelta(days=6), today)
    if choice == "30d":
        return Period(today - timedelta(days=29), today)
    if choice == "this_month":
        return Period(today.replace(day=1), today)
    if choice == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    raise ValidationError(f"Unknown period '{choice}'.")


def with_dates(settings: KpiSettings, **changes: Any) -> KpiSettings:
    return replace(settings, **changes)


# ---------------------------------------------------------------- definitions (hover texts, docs/kpi.md)

DEFINITIONS: dict[str, str] = {
    "orders": "Orders created in the period, except cancelled and returned ones.",
    "gross": "Gross value (PLN) of those orders; orders in other currencies are counted but not added.",
    "average": "Gross value ÷ orders.",
    "returns": "Orders created in the period that are now returned.",
    "fulfilment": (
        "Working hours from ready (paid, or released to the warehouse for cash on delivery) to shipped, "
        "for orders shipped in the period: median and 90th percentile. Nights, weekends and public "
        "holidays do not count."
    ),
    "late": (
        "Orders shipped in the period after their ship-by date ÷ orders shipped in the period. Ship-by = "
        "the close of the working day that is the handling days after the day the order became ready."
    ),
    "late_now": "Open orders (paid … ready for shipment) whose ship-by date has already passed.",
    "backlog": "Open orders by status and by working days since they became ready (or were created).",
    "reservation": "Lines of orders released to the warehouse whose stock is reserved in full ÷ all such lines.",
    "short": "Units missing for open shortages, by product (top 20).",
    "stock_value": (
        "Units on hand × purchase price: the net price of the product's last posted PZ, else its "
        "cheapest supplier offer; products with neither are counted without a value."
    ),
    "top_products": "Products sold in the period (orders not cancelled or returned) by units and by gross value.",
    "health": "The last shop sync and feed import per integration, and their failures in the period.",
}
