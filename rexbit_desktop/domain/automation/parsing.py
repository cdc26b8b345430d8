"""A rule as typed (the CLI's JSON file, the editor's fields) checked and turned into a ``Rule``, a rule
back to its JSON form, and a stored rule read as stored."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.automation.matching import _number, _values
from rexbit_desktop.domain.automation.model import (
    _BOOL_OPS,
    ACTION_PARAMS,
    FIELDS,
    PRINTABLE,
    Action,
    ActionType,
    Condition,
    EventType,
    Op,
    Rule,
)
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.orders import OrderStatus, PaymentStatus


def _check_value(name: str, kind: str, op: str, value: Any) -> Any:
    if op in _BOOL_OPS:
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(
            f"The condition on '{name}' needs a value.",
            code="rule_condition_no_value",
            params={"field": name},
        )
    if kind == "number":
        if op == Op.BETWEEN:
            parts = value if isinstance(value, list | tuple) else _values(value)
            if len(parts) != 2:
                raise ValidationError(
                    f"'{name}' between takes two numbers, e.g. 100,500.",
                    code="rule_between_two_numbers",
                    params={"field": name},
                )
            return [str(_number(p)) for p in parts]
        return str(_number(value))
    if kind in ("status", "payment"):
        allowed = {s.value for s in (OrderStatus if kind == "status" else PaymentStatus)}
        for v in _values(value):
            if v not in allowed:
                raise ValidationError(
                    f"Unknown {'status' if kind == 'status' else 'payment status'} '{v}' in the "
                    f"condition on '{name}'.",
                    hint="Use one of: " + ", ".join(sorted(allowed)) + ".",
                    code="rule_condition_unknown_status",
                    params={"field": name, "value": v, "allowed": sorted(allowed)},
                )
    if op in (Op.IN, Op.NOT_IN) and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def parse_condition(data: Any) -> Condition:
    if not isinstance(data, dict):
        raise ValidationError(
            'A condition is an object: {"field": …, "op": …, "value": …}.', code="rule_condition_not_object"
        )
    name = str(data.get("field", "")).strip()
    op = str(data.get("op", "")).strip()
    if name not in FIELDS:
        raise ValidationError(
            f"Unknown condition field '{name}'.",
            hint="Fields: " + ", ".join(FIELDS) + ".",
            code="rule_field_unknown",
            params={"field": name},
        )
    kind, ops = FIELDS[name]
    if op not in {o.value for o in ops}:
        raise ValidationError(
            f"Operator '{op}' does not apply to '{name}'.",
            hint="Use one of: " + ", ".join(sorted(o.value for o in ops)) + ".",
            code="rule_operator_not_applicable",
            params={"op": op, "field": name, "allowed": sorted(o.value for o in ops)},
        )
    return Condition(name, op, _check_value(name, kind, op, data.get("value")))


def parse_action(data: Any, *, mail_available: bool) -> Action:
    if not isinstance(data, dict):
        raise ValidationError(
            'An action is an object: {"type": …, …parameters}.', code="rule_action_not_object"
        )
    kind = str(data.get("type", "")).strip()
    try:
        action = ActionType(kind)
    except ValueError:
        raise ValidationError(
            f"Unknown action '{kind}'.",
            hint="Actions: "
            + ", ".join(a.value for a in ActionType if a is not ActionType.RELEASE_RESERVATIONS),
            code="rule_action_unknown",
            params={"action": kind},
        ) from None
    params = {k: v for k, v in data.items() if k != "type"}
    for name in ACTION_PARAMS[action]:
        if params.get(name) in (None, "", []):
            raise ValidationError(
                f"The action '{kind}' needs '{name}'.",
                code="rule_action_needs",
                params={"action": kind, "param": name},
            )
    if action is ActionType.SET_STATUS:
        try:
            params["status"] = OrderStatus(str(params["status"]).strip()).value
        except ValueError:
            raise ValidationError(
                f"Unknown status '{params['status']}' in the action 'set_status'.",
                code="rule_action_unknown_status",
                params={"status": str(params["status"])},
            ) from None
    if action is ActionType.SEND_EMAIL and not mail_available:
        raise ValidationError(
            "E-mail templates cannot be sent yet: this rexbit has no mail module.",
            hint="Remove the 'send_email' action, or add it once e-mail sending is set up.",
            code="rule_mail_unavailable",
        )
    if action is ActionType.PRINT_DOCUMENTS:
        types = params["types"]
        types = [t.strip() for t in types.split(",")] if isinstance(types, str) else list(types)
        bad = [t for t in types if t not in PRINTABLE]
        if bad:
            raise ValidationError(
                f"Unknown document '{bad[0]}' to print.",
                hint="Documents: " + ", ".join(PRINTABLE) + ".",
                code="rule_document_unknown",
                params={"document": bad[0], "known": list(PRINTABLE)},
            )
        params["types"] = types
    if action is ActionType.RELEASE_RESERVATIONS:
        raise ValidationError(
            "'release_reservations' belongs to the built-in cancel rule only.",
            code="rule_release_builtin_only",
        )
    return Action(action.value, params)


def parse_rule(data: dict[str, Any], *, mail_available: bool = False, rule_id: int | None = None) -> Rule:
    """A rule from its JSON form (the CLI's file, the editor's fields), validated."""
    name = str(data.get("name", "")).strip()
    if not name:
        raise ValidationError("Give the rule a name.", code="rule_name_missing")
    event = str(data.get("event", "")).strip()
    if event not in {e.value for e in EventType}:
        raise ValidationError(
            f"Unknown event '{event}'.",
            hint="Events: " + ", ".join(e.value for e in EventType) + ".",
            code="rule_event_unknown",
            params={"event": event},
        )
    conditions = tuple(parse_condition(c) for c in data.get("conditions") or [])
    actions = tuple(parse_action(a, mail_available=mail_available) for a in data.get("actions") or [])
    if not actions:
        raise ValidationError("A rule needs at least one action.", code="rule_no_action")
    if event == EventType.IN_STATUS and not any(c.field == "days_in_status" for c in conditions):
        raise ValidationError(
            "A daily 'in status' rule needs a 'days_in_status' condition (e.g. at least 3 days).",
            code="rule_in_status_needs_days",
        )
    try:
        priority = int(data.get("priority", 100))
    except (TypeError, ValueError):
        raise ValidationError(
            "The priority is a whole number (lower runs first).", code="rule_priority_not_whole"
        ) from None
    return Rule(
        id=rule_id,
        name=name[:200],
        event=event,
        conditions=conditions,
        actions=actions,
        enabled=bool(data.get("enabled", True)),
        priority=priority,
        stop_on_failure=bool(data.get("stop_on_failure", True)),
    )


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "event": rule.event,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "stop_on_failure": rule.stop_on_failure,
        "builtin": rule.builtin,
        "conditions": [c.as_dict() for c in rule.conditions],
        "actions": [a.as_dict() for a in rule.actions],
    }


def rule_from_row(
    rule_id: int,
    name: str,
    event: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    enabled: bool,
    priority: int,
    stop_on_failure: bool,
    builtin: str | None,
) -> Rule:
    """A stored rule (already validated when it was saved; read as stored)."""
    return Rule(
        id=rule_id,
        name=name,
        event=event,
        conditions=tuple(
            Condition(c["field"], c["op"], tuple(v) if isinstance(v := c.get("value"), list) else v)
            for c in conditions
        ),
        actions=tuple(Action(a["type"], {k: v for k, v in a.items() if k != "type"}) for a in actions),
        enabled=enabled,
        priority=priority,
        stop_on_failure=stop_on_failure,
        builtin=builtin,
    )
