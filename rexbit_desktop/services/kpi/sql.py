"""SQL building blocks of the dashboard and the refresh: filters, working time, shipped orders timed.

Working time of a local timestamp against its ``kpi_calendar`` row (rules in ``domain/kpi.py``): the
*clock* is the day's running working seconds plus the part of its working hours already past; the
*effective day* is the day's working-day number, plus one after closing time or on a day off.
"""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.kpi import KpiSettings
from rexbit_desktop.services.kpi.dto import KpiFilter


def order_filters(flt: KpiFilter, alias: str, params: dict[str, Any]) -> str:
    sql = ""
    if flt.integration_ids:
        params["f_integrations"] = list(flt.integration_ids)
        sql += f" AND coalesce({alias}.integration_id, 0) = ANY(:f_integrations)"
    if flt.warehouse_ids:
        params["f_warehouses"] = list(flt.warehouse_ids)
        sql += f" AND coalesce({alias}.warehouse_id, 0) = ANY(:f_warehouses)"
    return sql


def aggregate_filters(flt: KpiFilter, params: dict[str, Any]) -> str:
    sql = ""
    if flt.integration_ids:
        params["f_integrations"] = list(flt.integration_ids)
        sql += " AND a.integration_id = ANY(:f_integrations)"
    if flt.warehouse_ids:
        params["f_warehouses"] = list(flt.warehouse_ids)
        sql += " AND a.warehouse_id = ANY(:f_warehouses)"
    return sql


def clock(c: str, secs: str) -> str:
    return (
        f"({c}.cum_work_s + CASE WHEN {c}.working THEN"
        f" least(greatest({secs} - {c}.work_start_s, 0), {c}.work_end_s - {c}.work_start_s) ELSE 0 END)"
    )


def eff_day(c: str, secs: str) -> str:
    return f"({c}.work_day_no + CASE WHEN NOT {c}.working OR {secs} >= {c}.work_end_s THEN 1 ELSE 0 END)"


def secs(local: str) -> str:
    return f"floor(extract(epoch FROM ({local})::time))::int"


def handling_cte(settings: KpiSettings, params: dict[str, Any]) -> str:
    params["h_methods"] = list(settings.carrier_handling_days)
    params["h_days"] = list(settings.carrier_handling_days.values())
    params["h_default"] = settings.handling_days
    return "handling AS (SELECT * FROM unnest(CAST(:h_methods AS text[]), CAST(:h_days AS int[])) AS h (method, days))"


def shipped_timed_ctes(settings: KpiSettings, params: dict[str, Any], days: str, filters: str = "") -> str:
    """CTEs ``handling``, ``shipped`` and ``timed``: the orders shipped on the local days listed by the
    relation ``days`` (one column ``day``), each with its working seconds from ready to shipped and
    whether it was late. ``filters`` is an ``order_filters`` fragment on alias ``o``."""
    params["tz"] = settings.timezone
    return f"""
        {handling_cte(settings, params)},
        shipped AS (
            SELECT d.day, coalesce(o.integration_id, 0) AS integration_id, coalesce(o.warehouse_id, 0) AS warehouse_id,
                   o.ready_at AT TIME ZONE :tz AS r, o.shipped_at AT TIME ZONE :tz AS s,
                   coalesce(h.days, :h_default) AS hd
            FROM {days} d
            JOIN orders o ON o.shipped_at >= (d.day::timestamp AT TIME ZONE :tz)
                         AND o.shipped_at < ((d.day + 1)::timestamp AT TIME ZONE :tz)
            LEFT JOIN handling h ON h.method = lower(btrim(o.delivery_method))
            WHERE o.ready_at IS NOT NULL AND o.ready_at <= o.shipped_at {filters}
        ),
        timed AS (
            SELECT x.day, x.integration_id, x.warehouse_id,
                   ({clock("cs", secs("x.s"))} - {clock("cr", secs("x.r"))})::int AS work_s,
                   {eff_day("cs", secs("x.s"))} > {eff_day("cr", secs("x.r"))} + x.hd AS late
            FROM shipped x
            JOIN kpi_calendar cr ON cr.day = x.r::date
            JOIN kpi_calendar cs ON cs.day = x.s::date
        )
    """
