"""Shipments through carriers: statuses, parcel presets, parcel validation and the carriers' refusals
as structured errors (pure Python).

A carrier shipment goes ``pending`` (our intent is stored, the carrier not asked yet) → ``created`` (the
carrier accepted it; InPost confirms asynchronously) → ``confirmed`` (tracking number known, label
available) → ``in_transit`` / ``ready_for_pickup`` → ``delivered``; ``returned``, ``cancelled`` and
``failed`` (the carrier refused it: nothing exists there) end it. ``shipped`` is a parcel typed in by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rexbit_desktop.domain.errors import RexbitError, ValidationError


class ShipmentStatus(StrEnum):
    PENDING = "pending"
    CREATED = "created"
    CONFIRMED = "confirmed"
    IN_TRANSIT = "in_transit"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    FAILED = "failed"
    SHIPPED = "shipped"


OPEN_FOR_TRACKING = (ShipmentStatus.CONFIRMED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.READY_FOR_PICKUP)
"""Statuses the tracking schedule still asks the carrier about (``ix_order_shipments_open_tracking``)."""
UNFINISHED = (ShipmentStatus.PENDING, ShipmentStatus.CREATED)
"""A creation that did not finish (a crash, a timeout): the next attempt resumes it."""
# Order of progress: tracking never moves a shipment backwards (events may come in any order).
_RANK = {
    ShipmentStatus.CONFIRMED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.READY_FOR_PICKUP: 3,
    ShipmentStatus.DELIVERED: 4,
    ShipmentStatus.RETURNED: 4,
}


def later_status(current: ShipmentStatus, reported: ShipmentStatus) -> ShipmentStatus:
    """The status after a tracking event: the further one of the two."""
    return reported if _RANK.get(reported, 0) > _RANK.get(current, 0) else current


CARRIER_SERVICES = ("inpost", "dpd", "manual")
CARRIER_SERVICE_NAMES = {"inpost": "InPost", "dpd": "DPD", "manual": "manual"}


@dataclass(frozen=True)
class ParcelPreset:
    code: str
    name: str
    service: str
    """inpost or dpd (which carrier the preset is for)."""
    size: str | None = None
    """InPost locker size A, B or C."""
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    weight_kg: Decimal = Decimal("1")


# InPost parcel locker sizes (ShipX templates small/medium/large): 8 × 38 × 64, 19 × 38 × 64, 41 × 38 × 64 cm.
PRESETS: tuple[ParcelPreset, ...] = (
    ParcelPreset("A", "Gabaryt A (8 × 38 × 64 cm)", "inpost", "A", 80, 380, 640, Decimal("5")),
    ParcelPreset("B", "Gabaryt B (19 × 38 × 64 cm)", "inpost", "B", 190, 380, 640, Decimal("10")),
    ParcelPreset("C", "Gabaryt C (41 × 38 × 64 cm)", "inpost", "C", 410, 380, 640, Decimal("25")),
    ParcelPreset("S", "Paczka mała 30 × 20 × 10 cm, 2 kg", "dpd", None, 300, 200, 100, Decimal("2")),
    ParcelPreset("M", "Paczka średnia 40 × 30 × 20 cm, 5 kg", "dpd", None, 400, 300, 200, Decimal("5")),
    ParcelPreset("L", "Paczka duża 60 × 40 × 40 cm, 15 kg", "dpd", None, 600, 400, 400, Decimal("15")),
)
INPOST_SIZES = ("A", "B", "C")
MAX_WEIGHT_KG = Decimal("31.5")


def preset(code: str) -> ParcelPreset | None:
    return next((p for p in PRESETS if p.code == code.strip().upper()), None)


@dataclass(frozen=True)
class ParcelSpec:
    """What the operator asks for: a locker size or dimensions, weight, COD, insurance, target point."""

    size: str | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    weight_kg: Decimal = Decimal("1")
    cod: Decimal | None = None
    insurance: Decimal | None = None
    target_point: str | None = None
    """InPost parcel locker (e.g. KRA010); None = courier delivery to the address."""
    parcels: int = 1
    """Parcels in one package (DPD); InPost takes one parcel per shipment."""
    content: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "size": self.size,
            "length_mm": self.length_mm,
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
            "weight_kg": str(self.weight_kg),
            "cod": str(self.cod) if self.cod is not None else None,
            "insurance": str(self.insurance) if self.insurance is not None else None,
            "target_point": self.target_point,
            "parcels": self.parcels,
            "content": self.content,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ParcelSpec:
        def dec(value: object) -> Decimal | None:
            return Decimal(str(value)) if value not in (None, "") else None

        def num(value: object) -> int | None:
            return int(str(value)) if value not in (None, "") else None

        return cls(
            size=(str(data["size"]) if data.get("size") else None),
            length_mm=num(data.get("length_mm")),
            width_mm=num(data.get("width_mm")),
            height_mm=num(data.get("height_mm")),
            weight_kg=dec(data.get("weight_kg")) or Decimal("1"),
            cod=dec(data.get("cod")),
            insurance=dec(data.get("insurance")),
            target_point=(str(data["target_point"]) if data.get("target_point") else None),
            parcels=num(data.get("parcels")) or 1,
            content=str(data.get("content") or ""),
        )


def check_parcel(spec: ParcelSpec, service: str) -> ParcelSpec:
    """A parcel the carrier can take, or a ``ValidationError`` naming what is wrong (before any call)."""
    if spec.weight_kg <= 0 or spec.weight_kg > MAX_WEIGHT_KG:
        raise ValidationError(
            f"The weight must be more than 0 and at most {MAX_WEIGHT_KG} kg.",
            code="parcel_weight_invalid",
            params={"max": MAX_WEIGHT_KG},
        )
    for amount, what, key in (
        (spec.cod, "cash on delivery amount", "cod"),
        (spec.insurance, "insurance amount", "insurance"),
    ):
        if amount is not None and amount < 0:
            raise ValidationError(
                f"The {what} cannot be negative.", code="parcel_amount_negative", params={"amount": key}
            )
    if spec.parcels < 1 or spec.parcels > 20:
        raise ValidationError(
            "A package has 1 to 20 parcels.", code="parcel_count_invalid", params={"max": 20}
        )
    dims = (spec.length_mm, spec.width_mm, spec.height_mm)
    if any(d is not None and d <= 0 for d in dims):
        raise ValidationError("Dimensions must be more than 0 mm.", code="parcel_dimensions_invalid")
    if service == "inpost":
        size = (spec.size or "").strip().upper() or None
        if size is not None and size not in INPOST_SIZES:
            raise ValidationError(
                f"InPost size '{spec.size}' is not one of A, B, C.",
                code="inpost_size_unknown",
                params={"size": spec.size},
            )
        if spec.target_point and size is None:
            raise ValidationError(
                "A parcel locker shipment needs a size: A, B or C.", code="locker_needs_size"
            )
        if size is None and any(d is None for d in dims):
            raise ValidationError(
                "Give a size (A, B, C) or all three dimensions.", code="parcel_size_missing"
            )
        if spec.parcels != 1:
            raise ValidationError("InPost takes one parcel per shipment.", code="inpost_one_parcel")
        return ParcelSpec(**{**spec.__dict__, "size": size})
    if service == "dpd" and any(d is None for d in dims) and spec.size is None:
        return spec  # DPD takes a weight alone
    return spec


# ------------------------------------------------------------------ refusals


FIELD_NAMES: dict[str, str] = {
    "receiver.name": "receiver's name",
    "receiver.company": "receiver's company",
    "receiver.street": "receiver's street",
    "receiver.building_number": "receiver's building number",
    "receiver.postcode": "receiver's postcode",
    "receiver.city": "receiver's city",
    "receiver.country": "receiver's country",
    "receiver.phone": "receiver's phone",
    "receiver.email": "receiver's e-mail",
    "sender": "sender's address",
    "sender.postcode": "sender's postcode",
    "target_point": "target parcel locker",
    "parcel.size": "parcel size",
    "parcel.weight": "parcel weight",
    "parcel.dimensions": "parcel dimensions",
    "cod": "cash on delivery amount",
    "insurance": "insurance amount",
    "service": "carrier service",
    "reference": "reference",
}
PROBLEMS: dict[str, str] = {
    "required": "is missing",
    "invalid": "is invalid",
    "does_not_exist": "does not exist",
    "too_long": "is too long",
    "too_short": "is too short",
    "too_big": "is too large",
    "not_allowed": "is not allowed",
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    """Our field name (a key of ``FIELD_NAMES``), or the carrier's own path when we do not know it."""
    problem: str
    """A key of ``PROBLEMS`` or the carrier's own code/text."""
    carrier_path: str = ""

    def field_name(self) -> str:
        return FIELD_NAMES.get(self.field, self.carrier_path or self.field)

    def problem_text(self) -> str:
        return PROBLEMS.get(self.problem, self.problem)


class CarrierError(RexbitError):
    """The carrier could not do it."""


class CarrierUnavailable(CarrierError):
    """The carrier's service cannot be reached now; the work is retried."""


class LabelNotReady(CarrierError):
    """The carrier has no label for this shipment yet."""


@dataclass
class CarrierRejected(ValidationError):
    """The carrier refused the shipment's data: nothing was created there."""

    carrier: str = ""
    problems: list[FieldProblem] = field(default_factory=list)
    detail: str = ""

    def __post_init__(self) -> None:
        parts = [f"{p.field_name()} {p.problem_text()}" for p in self.problems] or [self.detail or "refused"]
        ValidationError.__init__(
            self,
            f"{self.carrier} refused the shipment: " + "; ".join(parts) + ".",
            hint="Correct the order's address or the parcel and create the shipment again.",
        )

    def __hash__(self) -> int:
        return id(self)


# ------------------------------------------------------------------ order hints

_COD_WORDS = ("cod", "cashondelivery", "cash on delivery", "pobranie", "pobraniem", "przy odbiorze")
_LOCKER_CODE = re.compile(r"\b([A-Z]{3}\d{2,4}[A-Z]{0,3})\b")


def is_cod_payment(provider: str | None) -> bool:
    """Whether an order's payment provider is cash on delivery (``ps_cashondelivery``, "Za pobraniem")."""
    text = (provider or "").lower().replace("_", " ")
    compact = text.replace(" ", "")
    return any(word in text or word.replace(" ", "") in compact for word in _COD_WORDS)


def carrier_for_delivery(delivery_method: str | None, codes: list[str]) -> str | None:
    """The carrier code an order's delivery method names (``InPost Paczkomat`` → ``inpost``)."""
    text = (delivery_method or "").lower()
    for code in codes:
        if code.lower() in text:
            return code
    if ("paczkomat" in text or "inpost" in text) and "inpost" in codes:
        return "inpost"
    return None


def locker_code(*texts: str | None) -> str | None:
    """A parcel locker code (``KRA010``) found in the pickup address or the delivery method."""
    for text in texts:
        match = _LOCKER_CODE.search((text or "").upper())
        if match:
            return match.group(1)
    return None


def idempotency_key(order_number: str, package_no: int) -> str:
    """One shipment per order and package: the key stored before the carrier is called."""
    return f"{order_number}/P{package_no}"
