"""Order settings: typed, with defaults, validated (pure Python).

Stored as one JSON value per section in ``order_settings`` (key = section name). Unknown keys in stored
JSON are ignored and missing keys take their defaults, so old rows keep working when a field is added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.numbering import NumberPattern, Reset
from rexbit_desktop.domain.orders import DEFAULT_LABELS, STATUS_ORDER, OrderStatus, parse_status

_COLOUR_LEN = (4, 7)


@dataclass(frozen=True)
class StatusLabel:
    label_pl: str
    label_en: str
    colour: str
    order: int
    mapping: dict[str, str] = field(default_factory=dict)
    """Integration state per integration name or id, e.g. {"prestashop": "3"}."""


@dataclass(frozen=True)
class Numbering:
    prefix: str = "ZAM/"
    pattern: str = "{yyyy}/{mm}/{nnnnn}"
    suffix: str = ""
    padding: int = 0
    reset: str = Reset.MONTHLY.value

    def number_pattern(self) -> NumberPattern:
        return NumberPattern(self.pattern, Reset(self.reset), self.prefix, self.suffix, self.padding)


@dataclass(frozen=True)
class Automation:
    reserve_on_awaiting_fulfillment: bool = True
    issue_wz_on: str = OrderStatus.READY_FOR_SHIPMENT.value
    """``picking``, ``ready_for_shipment`` or ``never``."""
    release_reservations_on_cancel: bool = True
    complete_on_delivery: bool = True
    """The tracking schedule moves a ``shipped`` order to ``completed`` when its carrier reports it delivered."""


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str = ""
    """Template with ``{tracking}``, e.g. https://inpost.pl/sledzenie-przesylek?number={tracking}."""
    tracking_required: bool = True
    """Shipping with this carrier needs a tracking number (personal pickup does not)."""

    def tracking_link(self, tracking: str) -> str:
        return self.tracking_url.replace("{tracking}", tracking) if self.tracking_url else ""


@dataclass(frozen=True)
class Company:
    name: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "PL"
    vat_id: str = ""
    phone: str = ""
    email: str = ""
    bank_account: str = ""


def _default_statuses() -> dict[str, StatusLabel]:
    return {
        s.value: StatusLabel(pl, en, colour, STATUS_ORDER.index(s) + 1)
        for s, (pl, en, colour) in DEFAULT_LABELS.items()
    }


def _default_carriers() -> list[Carrier]:
    return [
        Carrier("inpost", "InPost", "https://inpost.pl/sledzenie-przesylek?number={tracking}"),
        Carrier("dpd", "DPD", "https://tracktrace.dpd.com.pl/parcelDetails?p1={tracking}"),
        Carrier("poczta", "Poczta Polska", "https://emonitoring.poczta-polska.pl/?numer={tracking}"),
        Carrier("pickup", "Odbiór osobisty", "", tracking_required=False),
    ]


@dataclass(frozen=True)
class OrderSettings:
    initial_status: str = OrderStatus.DRAFT.value
    statuses: dict[str, StatusLabel] = field(default_factory=_default_statuses)
    numbering: Numbering = field(default_factory=Numbering)
    default_warehouse: str | None = None
    """Warehouse code; None = the warehouse flagged as default."""
    reservation_expiry_hours: int = 72
    """0 = reservations never expire."""
    automation: Automation = field(default_factory=Automation)
    carriers: list[Carrier] = field(default_factory=_default_carriers)
    company: Company = field(default_factory=Company)

    def carrier(self, code: str) -> Carrier | None:
        wanted = code.strip().lower()
        return next((c for c in self.carriers if c.code.lower() == wanted), None)

    def label(self, status: str, lang: str = "pl") -> str:
        entry = self.statuses.get(status)
        if entry is None:
            return status
        return entry.label_pl if lang == "pl" else entry.label_en


SECTIONS = (
    "workflow",
    "statuses",
    "numbering",
    "warehouse",
    "reservations",
    "automation",
    "carriers",
    "company",
)


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def settings_from_sections(sections: dict[str, Any]) -> OrderSettings:
    """Build settings from stored section JSON (missing sections and keys take defaults)."""
    base = OrderSettings()
    workflow = sections.get("workflow") or {}
    statuses = dict(base.statuses)
    for key, value in (sections.get("statuses") or {}).items():
        if key in statuses and isinstance(value, dict):
            statuses[key] = replace(statuses[key], **_pick(StatusLabel, value))
    warehouse = sections.get("warehouse") or {}
    reservations = sections.get("reservations") or {}
    carriers = base.carriers
    if isinstance(sections.get("carriers"), dict) and "items" in sections["carriers"]:
        carriers = [Carrier(**_pick(Carrier, c)) for c in sections["carriers"]["items"]]
    settings = OrderSettings(
        initial_status=workflow.get("initial_status", base.initial_status),
        statuses=statuses,
        numbering=Numbering(**_pick(Numbering, sections.get("numbering") or {})),
        default_warehouse=warehouse.get("default_warehouse"),
        reservation_expiry_hours=int(reservations.get("expiry_hours", base.reservation_expiry_hours)),
        automation=Automation(**_pick(Automation, sections.get("automation") or {})),
        carriers=carriers,
        company=Company(**_pick(Company, sections.get("company") or {})),
    )
    validate_settings(settings)
    return settings


def settings_to_sections(settings: OrderSettings) -> dict[str, dict[str, Any]]:
    return {
        "workflow": {"initial_status": settings.initial_status},
        "statuses": {k: asdict(v) for k, v in settings.statuses.items()},
        "numbering": asdict(settings.numbering),
        "warehouse": {"default_warehouse": settings.default_warehouse},
        "reservations": {"expiry_hours": settings.reservation_expiry_hours},
        "automation": asdict(settings.automation),
        "carriers": {"items": [asdict(c) for c in settings.carriers]},
        "company": asdict(settings.company),
    }


def validate_settings(settings: OrderSettings) -> None:
    parse_status(settings.initial_status)
    settings.numbering.number_pattern()
    if settings.automation.issue_wz_on not in ("picking", "ready_for_shipment", "never"):
        raise ValidationError(
            f"Unknown WZ automation '{settings.automation.issue_wz_on}'.",
            hint="Use picking, ready_for_shipment or never.",
            code="wz_automation_unknown",
            params={"value": settings.automation.issue_wz_on},
        )
    if settings.reservation_expiry_hours < 0:
        raise ValidationError(
            "Reservation expiry must be 0 (never) or a number of hours.", code="reservation_expiry_invalid"
        )
    for status, entry in settings.statuses.items():
        parse_status(status)
        if not (entry.colour.startswith("#") and len(entry.colour) in _COLOUR_LEN):
            raise ValidationError(
                f"Colour of status '{status}' must look like #1e88e5, not '{entry.colour}'.",
                code="status_colour_invalid",
                params={"status": status, "colour": entry.colour},
            )
    codes = [c.code.lower() for c in settings.carriers]
    if len(codes) != len(set(codes)) or any(not c for c in codes):
        raise ValidationError("Carrier codes must be unique and not empty.", code="carrier_codes_invalid")


# ``rexbit orders settings set KEY VALUE``: dotted keys and the section they live in.
def apply_setting(settings: OrderSettings, key: str, value: Any) -> OrderSettings:
    """A copy of ``settings`` with one dotted key changed, validated."""
    parts = key.strip().split(".")
    top = parts[0]
    try:
        if top in ("initial_status", "default_warehouse", "reservation_expiry_hours") and len(parts) == 1:
            if top == "reservation_expiry_hours":
                value = int(value)
            new = replace(settings, **{top: value})
        elif top in ("numbering", "automation", "company") and len(parts) == 1:
            # A whole section at once: a pattern and its reset rule must change together.
            if not isinstance(value, dict):
                raise ValidationError(f"'{top}' takes a JSON object, e.g. {top}.<key> for one value.")
            section = getattr(settings, top)
            names = {f.name for f in fields(section)}
            unknown = set(value) - names
            if unknown:
                raise KeyError(f"{top}.{sorted(unknown)[0]}")
            new = replace(settings, **{top: replace(section, **value)})
        elif top in ("numbering", "automation", "company") and len(parts) == 2:
            section = getattr(settings, top)
            if parts[1] not in {f.name for f in fields(section)}:
                raise KeyError(parts[1])
            current = getattr(section, parts[1])
            if isinstance(current, bool):
                value = _as_bool(value)
            elif isinstance(current, int):
                value = int(value)
            new = replace(settings, **{top: replace(section, **{parts[1]: value})})
        elif top == "statuses" and len(parts) == 3:
            status = parse_status(parts[1]).value
            entry = settings.statuses[status]
            if parts[2] not in {f.name for f in fields(entry)}:
                raise KeyError(parts[2])
            if parts[2] == "order":
                value = int(value)
            if parts[2] == "mapping" and not isinstance(value, dict):
                raise ValidationError('A status mapping is a JSON object, e.g. {"prestashop": "3"}.')
            statuses = {**settings.statuses, status: replace(entry, **{parts[2]: value})}
            new = replace(settings, statuses=statuses)
        elif top == "carriers" and len(parts) == 1:
            if not isinstance(value, list):
                raise ValidationError('Carriers are a JSON list: [{"code", "name", "tracking_url"}].')
            new = replace(settings, carriers=[Carrier(**_pick(Carrier, c)) for c in value])
        else:
            raise KeyError(key)
    except KeyError:
        raise ValidationError(
            f"Unknown setting '{key}'.",
            hint="Examples: initial_status, numbering.pattern, automation.issue_wz_on, "
            "statuses.paid.colour, company.name, reservation_expiry_hours, carriers.",
        ) from None
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"Bad value for '{key}': {exc}") from None
    validate_settings(new)
    return new


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "tak"):
        return True
    if text in ("0", "false", "no", "off", "nie"):
        return False
    raise ValueError(f"'{value}' is not yes/no")
