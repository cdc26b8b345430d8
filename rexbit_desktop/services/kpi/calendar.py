"""The working-time calendar in ``kpi_calendar``: built from the KPI settings, rebuilt when they change.

One row per day from 2015 to the end of next year (about 4,400 rows): the dashboard joins an order's
local day to it to turn a moment into working time (``domain/kpi.py``). When the time zone changes, the
daily aggregates (kept per local day) are dropped and every day with orders is marked for the refresh.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.kpi import (
    KpiCalendarDay,
    KpiCalendarState,
    KpiDaily,
    KpiDailyProduct,
    KpiDailyShipped,
    KpiMonthlyProduct,
)
from rexbit_desktop.domain.kpi import CALENDAR_FIRST_YEAR, KpiSettings, calendar_days

# Serialises calendar rebuilds and aggregate refreshes between processes (transaction-scoped).
LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext('rexbit.kpi'))")


def _fingerprint(settings: KpiSettings) -> str:
    """The calendar's settings and the handling days: the shipped days' lateness depends on both."""
    per_carrier = ",".join(f"{k}={v}" for k, v in sorted(settings.carrier_handling_days.items()))
    return f"{settings.fingerprint()}|{settings.handling_days}|{per_carrier}"


def _current(session: Session, settings: KpiSettings, today: date) -> bool:
    state = session.get(KpiCalendarState, 1, populate_existing=True)
    return (
        state is not None
        and state.fingerprint == _fingerprint(settings)
        and state.timezone == settings.timezone
        and state.last_day >= date(today.year + 1, 12, 31)
    )


def ensure_calendar(session: Session, settings: KpiSettings, today: date) -> bool:
    """Make the stored calendar match the settings; True when it was (re)built. Commits nothing."""
    if _current(session, settings, today):
        return False
    session.execute(LOCK_SQL)
    if _current(session, settings, today):
        return False
    state = session.get(KpiCalendarState, 1)
    first, last = date(CALENDAR_FIRST_YEAR, 1, 1), date(today.year + 2, 12, 31)
    session.execute(delete(KpiCalendarDay))
    session.execute(
        insert(KpiCalendarDay),
        [
            {
                "day": d.day,
                "working": d.working,
                "work_start_s": d.work_start_s,
                "work_end_s": d.work_end_s,
                "cum_work_s": d.cum_work_s,
                "work_day_no": d.work_day_no,
            }
            for d in calendar_days(settings, first, last)
        ],
    )
    zone_changed = state is not None and state.timezone != settings.timezone
    if state is None:
        state = KpiCalendarState(id=1)
        session.add(state)
    state.fingerprint = _fingerprint(settings)
    state.first_day, state.last_day = first, last
    state.timezone = settings.timezone
    session.flush()
    if zone_changed:
        session.execute(delete(KpiDaily))
        session.execute(delete(KpiDailyProduct))
        session.execute(delete(KpiMonthlyProduct))
        session.execute(text("DELETE FROM kpi_product_totals"))
        session.execute(
            text(
                "INSERT INTO kpi_dirty_marks (day, kind)"
                " SELECT DISTINCT (created_at AT TIME ZONE :tz)::date, 'c' FROM orders"
            ),
            {"tz": settings.timezone},
        )
    # Working time and lateness of every shipped order follow the new calendar and handling days. Set-based:
    # a few seconds for a million orders, once per change of the settings.
    session.execute(delete(KpiDailyShipped))
    session.execute(text("DELETE FROM kpi_dirty_marks WHERE kind = 's'"))
    from rexbit_desktop.services.kpi.refresh import rebuild_shipped_days  # (refresh imports this module)

    shipped_days = list(
        session.execute(
            text(
                "SELECT DISTINCT (shipped_at AT TIME ZONE :tz)::date FROM orders WHERE shipped_at IS NOT NULL"
            ),
            {"tz": settings.timezone},
        ).scalars()
    )
    rebuild_shipped_days(session, settings, shipped_days)
    return True
