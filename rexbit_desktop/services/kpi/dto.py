"""What the dashboard shows: plain, frozen data (the UI, the CLI and the exports read these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from rexbit_desktop.domain.kpi import Period
from rexbit_desktop.domain.orders import DEFAULT_LABELS, OrderStatus


@dataclass(frozen=True)
class KpiFilter:
    """Empty = all. ``integration_ids`` 0 = orders typed in by hand; ``warehouse_ids`` 0 = none set."""

    integration_ids: tuple[int, ...] = ()
    warehouse_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StatusLook:
    """A status as managers named and coloured it in the order settings."""

    label_pl: str
    label_en: str
    colour: str


def status_look(statuses: dict[str, StatusLook], code: str) -> StatusLook:
    """The status's look from the settings, else its default label (unknown codes show as themselves)."""
    if code in statuses:
        return statuses[code]
    try:
        pl, en, colour = DEFAULT_LABELS[OrderStatus(code)]
    except ValueError:
        return StatusLook(code, code, "#9e9e9e")
    return StatusLook(pl, en, colour)


def status_text(statuses: dict[str, StatusLook], code: str, language: str) -> str:
    look = status_look(statuses, code)
    return look.label_pl if language == "pl" else look.label_en


@dataclass(frozen=True)
class DayPoint:
    day: date
    orders: int
    gross: Decimal


@dataclass(frozen=True)
class BacklogCell:
    status: str
    bucket: str
    orders: int


@dataclass(frozen=True)
class ShortProduct:
    sku: str
    name: str
    units: Decimal


@dataclass(frozen=True)
class WarehouseValue:
    code: str
    name: str
    units: Decimal
    value: Decimal
    unpriced_products: int


@dataclass(frozen=True)
class ProductSales:
    sku: str
    name: str
    units: Decimal
    gross: Decimal


@dataclass(frozen=True)
class HealthRow:
    integration: str
    kind: str
    """``sync`` (shop) or ``import`` (feed)."""
    last_status: str | None
    last_finished_at: datetime | None
    runs_in_period: int
    failures_in_period: int


@dataclass(frozen=True)
class Totals:
    orders: int
    gross: Decimal
    returns: int

    @property
    def average(self) -> Decimal | None:
        return (self.gross / self.orders).quantize(Decimal("0.01")) if self.orders else None


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous_period: Period
    computed_at: datetime
    current: Totals
    previous: Totals
    per_day: list[DayPoint]
    previous_per_day: list[DayPoint]
    shipped: int
    late: int
    fulfilment_median_h: float | None
    fulfilment_p90_h: float | None
    late_now: int
    open_orders: int
    backlog: list[BacklogCell]
    reservation_lines: int
    reserved_lines: int
    short_products: list[ShortProduct]
    stock_value: list[WarehouseValue]
    top_by_units: list[ProductSales]
    top_by_value: list[ProductSales]
    health: list[HealthRow]
    filters: KpiFilter = field(default_factory=KpiFilter)
    statuses: dict[str, StatusLook] = field(default_factory=dict)
    """The order settings' status labels and colours (what the orders list shows)."""

    def status_label(self, code: str, language: str = "pl") -> str:
        return status_text(self.statuses, code, language)

    @property
    def late_pct(self) -> float | None:
        return round(100.0 * self.late / self.shipped, 1) if self.shipped else None

    @property
    def reservation_pct(self) -> float | None:
        return (
            round(100.0 * self.reserved_lines / self.reservation_lines, 1) if self.reservation_lines else None
        )

    def backlog_count(self, status: str | None = None, bucket: str | None = None) -> int:
        return sum(
            c.orders
            for c in self.backlog
            if (status is None or c.status == status) and (bucket is None or c.bucket == bucket)
        )


@dataclass(frozen=True)
class OperatorDay:
    """What one user did today: status changes by target status, WZ documents issued."""

    login: str
    day: date
    status_changes: dict[str, int]
    wz_issued: int
    statuses: dict[str, StatusLook] = field(default_factory=dict)

    def status_label(self, code: str, language: str = "pl") -> str:
        return status_text(self.statuses, code, language)
