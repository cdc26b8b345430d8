"""The vocabulary of automation rules: event types, condition fields and operators, action types, the
built-in rules' names, and the plain values a rule, an event and an order's facts are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

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
