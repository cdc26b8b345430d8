"""Which rules an event fires for an order: conditions checked one by one (``condition_holds``,
``matching_rules``) or compiled once for a pass over thousands of orders (``compile_rules``,
``matching_compiled``), and the editor's dry run (``facts_match``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rexbit_desktop.domain.automation.model import Condition, Event, Op, OrderFacts, Rule
from rexbit_desktop.domain.errors import ValidationError


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
        raise ValidationError(
            f"'{value}' is not a number.", code="rule_not_a_number", params={"value": str(value)}
        ) from None


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
    raise ValidationError(
        f"Operator '{op}' does not apply to text.", code="rule_operator_not_for_text", params={"op": op}
    )


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
    raise ValidationError(
        f"Unknown condition field '{name}'.", code="rule_field_unknown", params={"field": name}
    )


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
