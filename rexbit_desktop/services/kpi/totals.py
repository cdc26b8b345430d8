"""Running totals of products sold (``kpi_product_totals``): a run of whole months in two rows per SKU.

Row (month, sku) = what the SKU sold in all months before ``month`` (units, gross PLN, daily rows), from
``kpi_monthly_products``. Whole months Ma … Mb = totals(Mb + 1 month) − totals(Ma). Rebuilt by the refresh
from the first month it rebuilt (usually only the current month's following row), in its transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

_NEXT = text(
    "INSERT INTO kpi_product_totals (month, sku, units, gross_pln, day_rows)"
    " SELECT CAST(:month AS date), sku, sum(units), sum(gross_pln), sum(day_rows) FROM ("
    "   SELECT sku, units, gross_pln, day_rows FROM kpi_product_totals WHERE month = CAST(:prev AS date)"
    "   UNION ALL"
    "   SELECT sku, units, gross_pln, day_rows FROM kpi_monthly_products WHERE month = CAST(:prev AS date)"
    " ) x GROUP BY sku"
)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def rebuild_product_totals(session: Any, first_month: date | None) -> None:
    """Rebuild the totals after ``first_month`` (every month when None) from the monthly rows."""
    lo, hi = session.execute(text("SELECT min(month), max(month) FROM kpi_monthly_products")).one()
    if first_month is None:
        session.execute(text("DELETE FROM kpi_product_totals"))
        month = lo
    else:
        session.execute(text("DELETE FROM kpi_product_totals WHERE month > :m"), {"m": first_month})
        month = first_month
    if month is None or hi is None:
        return
    while month <= hi:
        following = next_month(month)
        session.execute(_NEXT, {"month": following, "prev": month})
        month = following


def whole_month_terms(session: Any, months: list[date]) -> tuple[list[date], list[int]]:
    """(month, sign) of the totals rows whose sum is the sales of these whole months: +totals(after the
    run) −totals(its first month) for each run of consecutive months. A month after the last built row
    reads the last one (nothing was sold after it)."""
    if not months:
        return [], []
    last = session.execute(text("SELECT max(month) FROM kpi_product_totals")).scalar()
    if last is None:
        return [], []
    terms: dict[date, int] = {}
    run_start = previous = months[0]
    for month in [*months[1:], None]:
        if month is None or month != next_month(previous):
            for m, sign in ((next_month(previous), 1), (run_start, -1)):
                key = min(m, last)
                terms[key] = terms.get(key, 0) + sign
            if month is not None:
                run_start = month
        if month is not None:
            previous = month
    kept = sorted((m, s) for m, s in terms.items() if s)
    return [m for m, _ in kept], [s for _, s in kept]
