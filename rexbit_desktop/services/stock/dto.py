"""What the stock use cases return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rexbit_desktop.services.stock.documents import (
    WarehouseDocumentDTO,
)
from rexbit_desktop.services.stock.ledger import ZERO


@dataclass(frozen=True)
class WarehouseDTO:
    id: int
    code: str
    name: str
    is_default: bool


@dataclass(frozen=True)
class StockLevelDTO:
    warehouse_code: str
    warehouse_name: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass(frozen=True)
class ShortageDTO:
    order_number: str
    sku: str
    warehouse_code: str
    missing_qty: Decimal
    created_at: datetime


@dataclass(frozen=True)
class ProductStockDTO:
    sku: str
    name: str
    unit: str
    levels: list[StockLevelDTO]
    shortages: list[ShortageDTO]

    @property
    def on_hand(self) -> Decimal:
        return sum((lv.on_hand for lv in self.levels), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((lv.reserved for lv in self.levels), ZERO)


@dataclass(frozen=True)
class ReservationLineDTO:
    sku: str
    warehouse_code: str
    ordered: Decimal
    reserved_now: Decimal
    """Granted by this call."""
    reserved_total: Decimal
    """Held for this line after this call (including earlier reservations)."""
    missing: Decimal
    """On the shortages list, reserved automatically when stock arrives."""


@dataclass(frozen=True)
class ReservationResultDTO:
    order_number: str
    lines: list[ReservationLineDTO]

    @property
    def complete(self) -> bool:
        return all(line.missing == 0 for line in self.lines)


@dataclass(frozen=True)
class ReceiptDTO:
    document: WarehouseDocumentDTO
    filled_shortages: list[ShortageDTO]


@dataclass(frozen=True)
class ReleaseResultDTO:
    released_reservations: int
    released_qty: Decimal
    orders: list[str]
