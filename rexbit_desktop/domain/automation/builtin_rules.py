"""The three built-in rules (the switches the order settings had before rules existed): their stored
form from the settings, and the settings' ``automation`` section read back from them."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.automation.model import BUILTIN_RELEASE, BUILTIN_RESERVE, BUILTIN_WZ
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.orders import OrderStatus


def builtin_rule_fields(
    builtin: str, automation: Any, previous_wz_status: str | None = None
) -> dict[str, Any]:
    """The stored form of a built-in rule for the order settings' ``automation`` section.

    ``automation`` is ``order_settings.Automation``. The WZ rule keeps its status while switched off
    (``never``), so switching it on again restores the moment chosen before.
    """
    if builtin == BUILTIN_RESERVE:
        return {
            "enabled": bool(automation.reserve_on_awaiting_fulfillment),
            "conditions": [{"field": "to_status", "op": "eq", "value": "awaiting_fulfillment"}],
            "actions": [{"type": "reserve"}],
        }
    if builtin == BUILTIN_WZ:
        status = automation.issue_wz_on
        enabled = status != "never"
        if not enabled:
            status = previous_wz_status or OrderStatus.READY_FOR_SHIPMENT.value
        return {
            "enabled": enabled,
            # Shipping issues a missing WZ too, unless the rule is off (goods never leave without one).
            "conditions": [{"field": "to_status", "op": "in", "value": [status, "shipped"]}],
            "actions": [{"type": "issue_wz"}],
        }
    if builtin == BUILTIN_RELEASE:
        return {
            "enabled": bool(automation.release_reservations_on_cancel),
            "conditions": [{"field": "to_status", "op": "eq", "value": "cancelled"}],
            "actions": [{"type": "release_reservations"}],
        }
    raise ValidationError(
        f"Unknown built-in rule '{builtin}'.", code="rule_builtin_unknown", params={"builtin": builtin}
    )


def automation_section(rows: list[tuple[str, bool, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The order settings' ``automation`` section read from the built-in rules (builtin, enabled,
    conditions); a built-in rule that is missing keeps the setting's default."""
    section: dict[str, Any] = {}
    for builtin, enabled, conditions in rows:
        if builtin == BUILTIN_RESERVE:
            section["reserve_on_awaiting_fulfillment"] = bool(enabled)
        elif builtin == BUILTIN_RELEASE:
            section["release_reservations_on_cancel"] = bool(enabled)
        elif builtin == BUILTIN_WZ:
            status = "never"
            if enabled:
                values = conditions[0].get("value") if conditions else None
                status = next(
                    (v for v in (values or []) if v in ("picking", "ready_for_shipment")),
                    OrderStatus.READY_FOR_SHIPMENT.value,
                )
            section["issue_wz_on"] = status
    return section


def wz_status_of(conditions: list[dict[str, Any]]) -> str | None:
    values = conditions[0].get("value") if conditions else None
    return next((v for v in (values or []) if v in ("picking", "ready_for_shipment")), None)
