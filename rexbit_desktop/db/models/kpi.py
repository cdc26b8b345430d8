"""Tables of the KPI dashboard (migration 0013): the working-time calendar and the daily aggregates.

``kpi_daily`` and ``kpi_daily_products`` hold, per day of ``orders.created_at`` (local time), source
integration and warehouse, what the dashboard sums over months. Triggers on ``orders`` and
``order_items`` mark a day in ``kpi_dirty_marks`` when one of its orders changes; the dashboard reads
those days (and today) live from the orders and the ``kpi`` refresh job rebuilds them, so a figure is
never stale.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, Integer, Numeric, PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, Money, Quantity, created_at_column


class KpiCalendarDay(Base):
    __tablename__ = "kpi_calendar"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    work_start_s: Mapped[int] = mapped_column(Integer)
    work_end_s: Mapped[int] = mapped_column(Integer)
    cum_work_s: Mapped[int] = mapped_column(BigInteger)
    work_day_no: Mapped[int] = mapped_column(Integer)


class KpiCalendarState(Base):
    """What the stored calendar was built from (one row): rebuilt when the settings change."""

    __tablename__ = "kpi_calendar_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(500))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = created_at_column()


class KpiDaily(Base):
    __tablename__ = "kpi_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    integration_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """0 = typed in by hand."""
    warehouse_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """0 = no warehouse."""
    orders: Mapped[int] = mapped_column(Integer)
    gross_pln: Mapped[Decimal] = mapped_column(Money)
    returned: Mapped[int] = mapped_column(Integer)


class KpiDailyProduct(Base):
    __tablename__ = "kpi_daily_products"
    # Units and value ride in the primary key's index: a period's sales are read by an index-only scan.
    __table_args__ = (
        PrimaryKeyConstraint(
            "day", "integration_id", "warehouse_id", "sku", postgresql_include=["units", "gross_pln"]
        ),
    )

    day: Mapped[date] = mapped_column(Date)
    integration_id: Mapped[int] = mapped_column(Integer)
    warehouse_id: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    units: Mapped[Decimal] = mapped_column(Quantity)
    gross_pln: Mapped[Decimal] = mapped_column(Money)


class KpiMonthlyProduct(Base):
    """``kpi_daily_products`` summed per calendar month and SKU over all sources and warehouses (rebuilt
    with the days it sums): the whole months of an unfiltered period."""

    __tablename__ = "kpi_monthly_products"
    __table_args__ = (PrimaryKeyConstraint("month", "sku", postgresql_include=["units", "gross_pln"]),)

    month: Mapped[date] = mapped_column(Date)
    """The month's first day."""
    sku: Mapped[str] = mapped_column(String(64))
    units: Mapped[Decimal] = mapped_column(Quantity)
    gross_pln: Mapped[Decimal] = mapped_column(Money)
    day_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    """How many ``kpi_daily_products`` rows it sums."""


class KpiProductTotal(Base):
    """What a SKU sold in all months before ``month`` (running totals of ``kpi_monthly_products``):
    whole months Ma … Mb are totals(Mb + 1 month) − totals(Ma)."""

    __tablename__ = "kpi_product_totals"
    __table_args__ = (
        PrimaryKeyConstraint("month", "sku", postgresql_include=["units", "gross_pln", "day_rows"]),
    )

    month: Mapped[date] = mapped_column(Date)
    sku: Mapped[str] = mapped_column(String(64))
    units: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    gross_pln: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    day_rows: Mapped[int] = mapped_column(BigInteger)


class KpiDailyShipped(Base):
    """Per local day of shipping: orders shipped, how many late, and the working seconds from ready to
    shipped of each (so a period's median and p90 are exact)."""

    __tablename__ = "kpi_daily_shipped"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    integration_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipped: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    work_s: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class KpiDirtyMark(Base):
    """A day whose aggregates may be out of date: appended by triggers (never updated, so writers never
    wait for each other), deleted by the refresh once it rebuilt the day."""

    __tablename__ = "kpi_dirty_marks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(1), default="c", server_default="c")
    """``c``: a day of ``created_at`` (orders, values, products); ``s``: a day of ``shipped_at``."""
