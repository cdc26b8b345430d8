"""Automation rules: events, conditions, actions, and which rules an event fires (pure Python).

A rule is "when <event> happens to an order and every condition holds, run these actions in order".
The services store rules in ``automation_rules``, record events in ``automation_events`` after the
order's change was committed, and run the actions; this module decides, from plain values, whether a
rule matches (``matching_rules``) and whether a rule as typed is valid (``parse_rule``).

Rooms: ``model`` (events, fields, operators, actions, the plain values), ``matching`` (which rules an
event fires), ``parsing`` (a rule as typed, checked), ``builtin_rules`` (the order settings' three
switches as rules). Everything is importable from ``rexbit_desktop.domain.automation``.
"""

from __future__ import annotations

from rexbit_desktop.domain.automation.builtin_rules import (
    automation_section,
    builtin_rule_fields,
    wz_status_of,
)
from rexbit_desktop.domain.automation.matching import (
    CompiledRule,
    Predicate,
    compile_condition,
    compile_rules,
    condition_holds,
    facts_match,
    matching_compiled,
    matching_rules,
    rule_matches,
)
from rexbit_desktop.domain.automation.model import (
    ACTION_LABELS,
    ACTION_PARAMS,
    BUILTIN_RELEASE,
    BUILTIN_RESERVE,
    BUILTIN_RULE_NAMES,
    BUILTIN_WZ,
    BUILTINS,
    EVENT_LABELS,
    FIELDS,
    MAX_DEPTH,
    PRINTABLE,
    WEBHOOK_TYPES,
    Action,
    ActionType,
    Condition,
    Event,
    EventType,
    Op,
    OrderFacts,
    Rule,
    webhook_type,
)
from rexbit_desktop.domain.automation.parsing import (
    parse_action,
    parse_condition,
    parse_rule,
    rule_from_row,
    rule_to_dict,
)

__all__ = [
    "ACTION_LABELS",
    "ACTION_PARAMS",
    "BUILTINS",
    "BUILTIN_RELEASE",
    "BUILTIN_RESERVE",
    "BUILTIN_RULE_NAMES",
    "BUILTIN_WZ",
    "EVENT_LABELS",
    "FIELDS",
    "MAX_DEPTH",
    "PRINTABLE",
    "WEBHOOK_TYPES",
    "Action",
    "ActionType",
    "CompiledRule",
    "Condition",
    "Event",
    "EventType",
    "Op",
    "OrderFacts",
    "Predicate",
    "Rule",
    "automation_section",
    "builtin_rule_fields",
    "compile_condition",
    "compile_rules",
    "condition_holds",
    "facts_match",
    "matching_compiled",
    "matching_rules",
    "parse_action",
    "parse_condition",
    "parse_rule",
    "rule_from_row",
    "rule_matches",
    "rule_to_dict",
    "webhook_type",
    "wz_status_of",
]
