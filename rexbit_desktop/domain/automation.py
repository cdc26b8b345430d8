"""Automation rules: events, conditions, actions, and which rules an event fires (pure Python).

A rule is "when <event> happens to an order and every condition holds, run these actions in order".
The services store rules in ``automation_rules``, record events in ``automation_events`` after the
order's change was committed, and run the actions; this module decides, from plain values, whether a
rule matches (``matching_rules``) and whether a rule as typed is valid (``parse_rule``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.orders import OrderStatus, PaymentStatus

MAX_DEPTH = 5
"""How many events deep a chain of rules may go (a rule's action fires an event that fires a rule …)."""


class EventType(StrEnum):
    ORDER_CREATED = "order_created"
    STATUS_CHANGED = "status_changed"
    PAYMENT_CHANGED = "payment_changed"
    FULLY_RESERVED = "fully_reserved"
    SHORTAGE_FILLED = "shortage_filled"
    WZ_POSTED = "wz_posted"
    SHIPPED = "shipped"
    MESSAGE_RECEIVED = "message_received"
    IN_STATUS = "in_status"
    """Daily: the order has been in its status for some days (the rule's ``days_in_status`` condition)."""


EVENT_LABELS: dict[EventType, str] = {
    EventType.ORDER_CREATED: "Order created",
    EventType.STATUS_CHANGED: "Status changed",
    EventType.PAYMENT_CHANGED: "Payment status changed",
    EventType.FULLY_RESERVED: "Stock fully reserved",
    EventType.SHORTAGE_FILLED: "Shortage filled",
    EventType.WZ_POSTED: "WZ posted",
    EventType.SHIPPED: "Shipped (tracking known)",
    EventType.MESSAGE_RECEIVED: "Message received",
    EventType.IN_STATUS: "In status for N days (daily)",
}


def webhook_type(event: str) -> str | None:
    """The Standard Webhooks ``type`` an event is sent as (None: not sent to endpoints)."""
    if event == EventType.ORDER_CREATED:
        return "orders.created"
    if event == EventType.MESSAGE_RECEIVED:
        return "orders.message_received"
    if event == EventType.IN_STATUS:
        return None
    return "orders.updated"


WEBHOOK_TYPES = ("orders.created", "orders.updated", "orders.message_received")


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GTE = "gte"
    LTE = "lte"
    GT = "gt"
    LT = "lt"
    BETWEEN = "between"
    CONTAINS = "contains"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"


_TEXT_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})
_NUMBER_OPS = frozenset({Op.EQ, Op.NE, Op.GTE, Op.LTE, Op.GT, Op.LT, Op.BETWEEN})
_BOOL_OPS = frozenset({Op.IS_TRUE, Op.IS_FALSE})

# field -> (kind, operators allowed)
FIELDS: dict[str, tuple[str, frozenset[Op]]] = {
    "status": ("status", _TEXT_OPS),
    "from_status": ("status", _TEXT_OPS),
    "to_status": ("status", _TEXT_OPS),
    "payment_status": ("payment", _TEXT_OPS),
    "source": ("text", _TEXT_OPS),
    "integration_id": ("int", _TEXT_OPS),
    "carrier": ("text", _TEXT_OPS | {Op.CONTAINS}),
    "country": ("text", _TEXT_OPS),
    "total_gross": ("number", _NUMBER_OPS),
    "sku": ("text", frozenset({Op.CONTAINS})),
    "is_company": ("bool", _BOOL_OPS),
    "has_note": ("bool", _BOOL_OPS),
    "days_in_status": ("number", _NUMBER_OPS),
    "tag": ("text", frozenset({Op.CONTAINS})),
}


class ActionType(StrEnum):
    SET_STATUS = "set_status"
    RESERVE = "reserve"
    ISSUE_WZ = "issue_wz"
    ADD_NOTE = "add_note"
    SEND_EMAIL = "send_email"
    PRINT_DOCUMENTS = "print_documents"
    CALL_WEBHOOK = "call_webhook"
    SET_TAG = "set_tag"
    ASSIGN_WAREHOUSE = "assign_warehouse"
    # The three built-in rules (the old order-settings switches) run inside the status change itself.
    RELEASE_RESERVATIONS = "release_reservations"


ACTION_LABELS: dict[ActionType, str] = {
    ActionType.SET_STATUS: "Set status",
    ActionType.RESERVE: "Reserve stock",
    ActionType.ISSUE_WZ: "Issue WZ",
    ActionType.ADD_NOTE: "Add note",
    ActionType.SEND_EMAIL: "Send e-mail template",
    ActionType.PRINT_DOCUMENTS: "Print documents",
    ActionType.CALL_WEBHOOK: "Call webhook",
    ActionType.SET_TAG: "Set tag",
    ActionType.ASSIGN_WAREHOUSE: "Assign warehouse",
    ActionType.RELEASE_RESERVATIONS: "Release reservations",
}

# action -> required parameters
ACTION_PARAMS: dict[ActionType, tuple[str, ...]] = {
    ActionType.SET_STATUS: ("status",),
    ActionType.RESERVE: (),
    ActionType.ISSUE_WZ: (),
    ActionType.ADD_NOTE: ("text",),
    ActionType.SEND_EMAIL: ("template",),
    ActionType.PRINT_DOCUMENTS: ("types",),
    ActionType.CALL_WEBHOOK: ("endpoint",),
    ActionType.SET_TAG: ("tag",),
    ActionType.ASSIGN_WAREHOUSE: ("warehouse",),
    ActionType.RELEASE_RESERVATIONS: (),
}

PRINTABLE = ("wz", "confirmation", "reservation", "packing")

# The built-in rules: the three switches the order settings had before rules existed.
BUILTIN_RESERVE = "reserve_on_awaiting_fulfillment"
BUILTIN_WZ = "issue_wz_on"
BUILTIN_RELEASE = "release_reservations_on_cancel"
BUILTINS = (BUILTIN_RESERVE, BUILTIN_WZ, BUILTIN_RELEASE)
BUILTIN_RULE_NAMES = {
    BUILTIN_RESERVE: "Rezerwacja przy „Do realizacji” (wbudowana)",
    BUILTIN_WZ: "Wystawienie WZ (wbudowana)",
    BUILTIN_RELEASE: "Zwolnienie rezerwacji przy anulowaniu (wbudowana)",
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Action:
    type: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.params}

    def label(self) -> str:
        base = ACTION_LABELS.get(ActionType(self.type), self.type)
        detail = next((str(self.params[p]) for p in ACTION_PARAMS.get(ActionType(self.type), ())), "")
        return f"{base}: {detail}" if detail else base


@dataclass(frozen=True)
class Rule:
    id: int | None
    name: str
    event: str
    conditions: tuple[Condition, ...] = ()
    actions: tuple[Action, ...] = ()
    enabled: bool = True
    priority: int = 100
    """Lower runs first."""
    stop_on_failure: bool = True
    builtin: str | None = None


@dataclass(frozen=True)
class OrderFacts:
    """What conditions look at, read set-based for a batch of orders."""

    order_id: int
    number: str
    status: str
    payment_status: str
    source: str
    integration_id: int | None
    total_gross: Decimal
    carriers: tuple[str, ...] = ()
    """The delivery method and the carriers of its shipments, lower case."""
    country: str | None = None
    is_company: bool = False
    has_note: bool = False
    skus: frozenset[str] = frozenset()
    status_since: datetime | None = None
    tags: frozenset[str] = frozenset()

    def days_in_status(self, now: datetime) -> int:
        if self.status_since is None:
            return 0
        return max((now - self.status_since).days, 0)


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    order_id: int
    depth: int = 0
    data: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ evaluation


def _norm(value: Any) -> str:
    return str(value).strip().lower()


def _values(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | set | frozenset):
        value = tuple(value)
    return _values_cached(value)


@functools.lru_cache(maxsize=4096)
def _values_cached(value: Any) -> tuple[str, ...]:
    """A condition's values, lower case (cached: the same rule is checked against thousands of orders)."""
    if isinstance(value, tuple):
        return tuple(_norm(v) for v in value)
    return tuple(_norm(v) for v in str(value).split(",") if v.strip())


@functools.lru_cache(maxsize=4096)
def _number_cached(text: str) -> Decimal:
    return Decimal(text.replace(",", ".").strip())


def _number(value: Any) -> Decimal:
    try:
        return _number_cached(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"'{value}' is not a number.") from None


def _compare_number(actual: Decimal, op: str, value: Any) -> bool:
    if op == Op.BETWEEN:
        low, high = (_number(v) for v in (value if isinstance(value, list | tuple) else _values(value)))
        return low <= actual <= high
    wanted = _number(value)
    return {
        Op.EQ: actual == wanted,
        Op.NE: actual != wanted,
        Op.GTE: actual >= wanted,
        Op.LTE: actual <= wanted,
        Op.GT: actual > wanted,
        Op.LT: actual < wanted,
    }[Op(op)]


def _compare_text(actual: str | None, op: str, value: Any) -> bool:
    got = _norm(actual) if actual is not None else ""
    if op == Op.EQ:
        return got == _norm(value)
    if op == Op.NE:
        return got != _norm(value)
    if op == Op.IN:
        return got in _values(value)
    if op == Op.NOT_IN:
        return got not in _values(value)
    raise ValidationError(f"Operator '{op}' does not apply to text.")


def condition_holds(cond: Condition, facts: OrderFacts, event: Event, now: datetime) -> bool:
    """Whether one condition holds for an order at an event."""
    name, op = cond.field, cond.op
    if name in ("from_status", "to_status"):
        return _compare_text(event.data.get(name.removesuffix("_status")), op, cond.value)
    if name in ("status", "payment_status", "source", "country"):
        return _compare_text(getattr(facts, name), op, cond.value)
    if name == "integration_id":
        return _compare_text(str(facts.integration_id) if facts.integration_id else "", op, cond.value)
    if name == "carrier":
        if op == Op.CONTAINS:
            return any(_norm(cond.value) in c for c in facts.carriers)
        if op in (Op.NE, Op.NOT_IN):
            return all(_compare_text(c, op, cond.value) for c in facts.carriers)
        return any(_compare_text(c, op, cond.value) for c in facts.carriers)
    if name == "total_gross":
        return _compare_number(facts.total_gross, op, cond.value)
    if name == "days_in_status":
        return _compare_number(Decimal(facts.days_in_status(now)), op, cond.value)
    if name == "sku":
        return _norm(cond.value) in {_norm(s) for s in facts.skus}
    if name == "tag":
        return _norm(cond.value) in {_norm(t) for t in facts.tags}
    if name in ("is_company", "has_note"):
        flag = bool(getattr(facts, name))
        return flag if op == Op.IS_TRUE else not flag
    raise ValidationError(f"Unknown condition field '{name}'.")


def rule_matches(rule: Rule, event: Event, facts: OrderFacts, now: datetime) -> bool:
    return (
        rule.enabled
        and rule.event == event.type
        and all(condition_holds(c, facts, event, now) for c in rule.conditions)
    )


def matching_rules(rules: list[Rule], event: Event, facts: OrderFacts | None, now: datetime) -> list[Rule]:
    """The enabled user rules an event fires for its order, by priority (then id)."""
    if facts is None:
        return []
    only = event.data.get("rule_id")  # a daily 'in status' event is meant for one rule
    hits = [
        r
        for r in rules
        if r.builtin is None and (only is None or r.id == only) and rule_matches(r, event, facts, now)
    ]
    return sorted(hits, key=lambda r: (r.priority, r.id or 0))


Predicate = Callable[[OrderFacts, Event, datetime], bool]


def compile_condition(cond: Condition) -> Predicate:
    """A condition as a function with its values normalized once (a pass checks every rule against
    thousands of orders). Gives the same answers as ``condition_holds``."""
    name, op, value = cond.field, Op(cond.op), cond.value
    if name in (
        "status",
        "payment_status",
        "source",
        "country",
        "from_status",
        "to_status",
        "integration_id",
    ):
        wanted = _values(value) if op in (Op.IN, Op.NOT_IN) else (_norm(value),)
        negate = op in (Op.NE, Op.NOT_IN)
        if name in ("from_status", "to_status"):
            key = name.removesuffix("_status")

            def get(f: OrderFacts, e: Event) -> str:
                got = e.data.get(key)
                return _norm(got) if got is not None else ""
        elif name == "integration_id":

            def get(f: OrderFacts, e: Event) -> str:
                return str(f.integration_id) if f.integration_id else ""
        else:
            attr = name

            def get(f: OrderFacts, e: Event) -> str:
                got = getattr(f, attr)
                return _norm(got) if got is not None else ""

        return lambda f, e, now: (get(f, e) in wanted) != negate
    if name in ("is_company", "has_note"):
        want = op is Op.IS_TRUE
        attr = name
        return lambda f, e, now: bool(getattr(f, attr)) == want
    if name == "total_gross" and op is not Op.BETWEEN:
        limit = _number(value)
        compare = {
            Op.EQ: lambda a: a == limit,
            Op.NE: lambda a: a != limit,
            Op.GTE: lambda a: a >= limit,
            Op.LTE: lambda a: a <= limit,
            Op.GT: lambda a: a > limit,
            Op.LT: lambda a: a < limit,
        }[op]
        return lambda f, e, now: compare(f.total_gross)
    if name in ("sku", "tag"):
        wanted_one = _norm(value)
        attr = "skus" if name == "sku" else "tags"
        return lambda f, e, now: any(_norm(v) == wanted_one for v in getattr(f, attr))
    return lambda f, e, now: condition_holds(cond, f, e, now)


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    predicates: tuple[Predicate, ...]


def compile_rules(rules: list[Rule]) -> dict[str, list[CompiledRule]]:
    """The enabled user rules by event, by priority, their conditions compiled."""
    by_event: dict[str, list[CompiledRule]] = {}
    for r in sorted(rules, key=lambda r: (r.priority, r.id or 0)):
        if r.enabled and r.builtin is None:
            compiled = CompiledRule(r, tuple(compile_condition(c) for c in r.conditions))
            by_event.setdefault(r.event, []).append(compiled)
    return by_event


def matching_compiled(
    compiled: dict[str, list[CompiledRule]], event: Event, facts: OrderFacts | None, now: datetime
) -> list[Rule]:
    """``matching_rules`` over ``compile_rules``' result."""
    if facts is None:
        return []
    only = event.data.get("rule_id")
    return [
        c.rule
        for c in compiled.get(event.type, ())
        if (only is None or c.rule.id == only) and all(p(facts, event, now) for p in c.predicates)
    ]


def facts_match(rule: Rule, facts: OrderFacts, now: datetime) -> bool:
    """The dry run: would the rule's conditions hold for this order now? Conditions on the event itself
    (``from_status``/``to_status``) are read against the order's current status."""
    event = Event(0, rule.event, facts.order_id, data={"from": facts.status, "to": facts.status})
    return all(condition_holds(c, facts, event, now) for c in rule.conditions)


# ------------------------------------------------------------------ parsing and validation


def _check_value(name: str, kind: str, op: str, value: Any) -> Any:
    if op in _BOOL_OPS:
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"The condition on '{name}' needs a value.")
    if kind == "number":
        if op == Op.BETWEEN:
            parts = value if isinstance(value, list | tuple) else _values(value)
            if len(parts) != 2:
                raise ValidationError(f"'{name}' between takes two numbers, e.g. 100,500.")
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
                )
    if op in (Op.IN, Op.NOT_IN) and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def parse_condition(data: Any) -> Condition:
    if not isinstance(data, dict):
        raise ValidationError('A condition is an object: {"field": …, "op": …, "value": …}.')
    name = str(data.get("field", "")).strip()
    op = str(data.get("op", "")).strip()
    if name not in FIELDS:
        raise ValidationError(f"Unknown condition field '{name}'.", hint="Fields: " + ", ".join(FIELDS) + ".")
    kind, ops = FIELDS[name]
    if op not in {o.value for o in ops}:
        raise ValidationError(
            f"Operator '{op}' does not apply to '{name}'.",
            hint="Use one of: " + ", ".join(sorted(o.value for o in ops)) + ".",
        )
    return Condition(name, op, _check_value(name, kind, op, data.get("value")))


def parse_action(data: Any, *, mail_available: bool) -> Action:
    if not isinstance(data, dict):
        raise ValidationError('An action is an object: {"type": …, …parameters}.')
    kind = str(data.get("type", "")).strip()
    try:
        action = ActionType(kind)
    except ValueError:
        raise ValidationError(
            f"Unknown action '{kind}'.",
            hint="Actions: "
            + ", ".join(a.value for a in ActionType if a is not ActionType.RELEASE_RESERVATIONS),
        ) from None
    params = {k: v for k, v in data.items() if k != "type"}
    for name in ACTION_PARAMS[action]:
        if params.get(name) in (None, "", []):
            raise ValidationError(f"The action '{kind}' needs '{name}'.")
    if action is ActionType.SET_STATUS:
        try:
            params["status"] = OrderStatus(str(params["status"]).strip()).value
        except ValueError:
            raise ValidationError(
                f"Unknown status '{params['status']}' in the action 'set_status'."
            ) from None
    if action is ActionType.SEND_EMAIL and not mail_available:
        raise ValidationError(
            "E-mail templates cannot be sent yet: this rexbit has no mail module.",
            hint="Remove the 'send_email' action, or add it once e-mail sending is set up.",
        )
    if action is ActionType.PRINT_DOCUMENTS:
        types = params["types"]
        types = [t.strip() for t in types.split(",")] if isinstance(types, str) else list(types)
        bad = [t for t in types if t not in PRINTABLE]
        if bad:
            raise ValidationError(
                f"Unknown document '{bad[0]}' to print.", hint="Documents: " + ", ".join(PRINTABLE) + "."
            )
        params["types"] = types
    if action is ActionType.RELEASE_RESERVATIONS:
        raise ValidationError("'release_reservations' belongs to the built-in cancel rule only.")
    return Action(action.value, params)


def parse_rule(data: dict[str, Any], *, mail_available: bool = False, rule_id: int | None = None) -> Rule:
    """A rule from its JSON form (the CLI's file, the editor's fields), validated."""
    name = str(data.get("name", "")).strip()
    if not name:
        raise ValidationError("Give the rule a name.")
    event = str(data.get("event", "")).strip()
    if event not in {e.value for e in EventType}:
        raise ValidationError(
            f"Unknown event '{event}'.", hint="Events: " + ", ".join(e.value for e in EventType) + "."
        )
    conditions = tuple(parse_condition(c) for c in data.get("conditions") or [])
    actions = tuple(parse_action(a, mail_available=mail_available) for a in data.get("actions") or [])
    if not actions:
        raise ValidationError("A rule needs at least one action.")
    if event == EventType.IN_STATUS and not any(c.field == "days_in_status" for c in conditions):
        raise ValidationError(
            "A daily 'in status' rule needs a 'days_in_status' condition (e.g. at least 3 days)."
        )
    try:
        priority = int(data.get("priority", 100))
    except (TypeError, ValueError):
        raise ValidationError("The priority is a whole number (lower runs first).") from None
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


# ------------------------------------------------------------------ the built-in rules (old switches)


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
    raise ValidationError(f"Unknown built-in rule '{builtin}'.")


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
