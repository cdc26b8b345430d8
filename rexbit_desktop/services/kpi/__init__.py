"""The KPI dashboard: how the warehouse is doing (``docs/kpi.md``).

- ``settings``: working days and hours, holidays, handling days (order settings section ``kpi``);
- ``calendar``: the working-time calendar in ``kpi_calendar``, rebuilt when the settings change;
- ``refresh``: the daily aggregates of the days whose orders changed (the ``refresh-kpi`` schedule);
- ``dashboard``: every figure of the dashboard for a period, set-based in PostgreSQL;
- ``export``: the same figures as CSV and as a PDF report.
"""

from rexbit_desktop.services.kpi.dashboard import compute_dashboard, late_order_ids, operator_day
from rexbit_desktop.services.kpi.dto import (
    BacklogCell,
    Dashboard,
    DayPoint,
    HealthRow,
    KpiFilter,
    OperatorDay,
    ProductSales,
    ShortProduct,
    WarehouseValue,
)
from rexbit_desktop.services.kpi.export import dashboard_csv, dashboard_pdf
from rexbit_desktop.services.kpi.refresh import RefreshResult, refresh_kpi
from rexbit_desktop.services.kpi.settings import get_kpi_settings, save_kpi_settings

__all__ = [
    "BacklogCell",
    "Dashboard",
    "DayPoint",
    "HealthRow",
    "KpiFilter",
    "OperatorDay",
    "ProductSales",
    "RefreshResult",
    "ShortProduct",
    "WarehouseValue",
    "compute_dashboard",
    "dashboard_csv",
    "dashboard_pdf",
    "get_kpi_settings",
    "late_order_ids",
    "operator_day",
    "refresh_kpi",
    "save_kpi_settings",
]
