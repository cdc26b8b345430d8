"""Order statuses and the one table of allowed status changes (pure Python)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from rexbit_desktop.domain.errors import TransitionRefused, ValidationError
from rexbit_desktop.domain.roles import Permission


class OrderStatus(StrEnum):
    DRAFT = "draft"
    """Typed in or imported, not confirmed yet."""
    AWAITING_PAYMENT = "awaiting_payment"
    """Confirmed; waiting for the customer's payment."""
    PAID = "paid"
    """Paid in full; not released to the warehouse yet."""
    AWAITING_FULFILLMENT = "awaiting_fulfillment"
    """Released to the warehouse: stock is reserved on entry."""
    PICKING = "picking"
    """Being picked from the shelves."""
    READY_FOR_SHIPMENT = "ready_for_shipment"
    """Packed; the WZ is issued (by default) on entry."""
    SHIPPED = "shipped"
    """Handed to the carrier."""
    COMPLETED = "completed"
    """Delivered and closed."""
    CANCELLED = "cancelled"
    """Cancelled before shipping; reservations released, issued goods put back with a storno IN."""
    RETURN_REQUESTED = "return_requested"
    """The customer asked to return the goods."""
    RETURNED = "returned"
    """The goods came back."""


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    REFUNDED = "refunded"


class FulfillmentStatus(StrEnum):
    UNASSIGNED = "unassigned"
    """Nothing (or not everything) is reserved."""
    RESERVED = "reserved"
    """Every stock item is reserved in full."""
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"


S = OrderStatus

# The one table of allowed status changes. Shortcuts exist where the business skips a step: cash on
# delivery goes from draft/awaiting_payment straight to the warehouse; a completed order may still be
# returned (14-day consumer right); a refused return request goes back to completed.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.AWAITING_PAYMENT, S.PAID, S.AWAITING_FULFILLMENT, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.PAID, S.AWAITING_FULFILLMENT, S.CANCELLED}),
    S.PAID: frozenset({S.AWAITING_FULFILLMENT, S.CANCELLED}),
    S.AWAITING_FULFILLMENT: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.READY_FOR_SHIPMENT, S.CANCELLED}),
    S.READY_FOR_SHIPMENT: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.COMPLETED, S.RETURN_REQUESTED}),
    S.COMPLETED: frozenset({S.RETURN_REQUESTED}),
    S.RETURN_REQUESTED: frozenset({S.RETURNED, S.COMPLETED}),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Main path order, used for sorting and for default labels.
STATUS_ORDER: tuple[OrderStatus, ...] = tuple(OrderStatus)

DEFAULT_LABELS: dict[OrderStatus, tuple[str, str, str]] = {
    # status: (label pl, label en, colour)
    S.DRAFT: ("Szkic", "Draft", "#9e9e9e"),
    S.AWAITING_PAYMENT: ("Oczekuje na płatność", "Awaiting payment", "#ffb300"),
    S.PAID: ("Opłacone", "Paid", "#43a047"),
    S.AWAITING_FULFILLMENT: ("Do realizacji", "Awaiting fulfillment", "#1e88e5"),
    S.PICKING: ("Kompletowanie", "Picking", "#5e35b1"),
    S.READY_FOR_SHIPMENT: ("Gotowe do wysyłki", "Ready for shipment", "#00897b"),
    S.SHIPPED: ("Wysłane", "Shipped", "#3949ab"),
    S.COMPLETED: ("Zakończone", "Completed", "#2e7d32"),
    S.CANCELLED: ("Anulowane", "Cancelled", "#e53935"),
    S.RETURN_REQUESTED: ("Zgłoszony zwrot", "Return requested", "#fb8c00"),
    S.RETURNED: ("Zwrócone", "Returned", "#6d4c41"),
}

# Statuses in which goods are out of the warehouse (a WZ was issued and the order left).
SHIPPED_STATUSES = frozenset({S.SHIPPED, S.COMPLETED, S.RETURN_REQUESTED, S.RETURNED})


def parse_status(value: str) -> OrderStatus:
    try:
        return OrderStatus(value.strip().lower())
    except ValueError:
        raise ValidationError(
            f"Unknown order status '{value}'.",
            hint="Use one of: " + ", ".join(s.value for s in OrderStatus),
            code="status_unknown",
            params={"status": value},
        ) from None


def allowed_transitions(current: OrderStatus) -> list[OrderStatus]:
    return [s for s in STATUS_ORDER if s in TRANSITIONS[current]]


def is_allowed(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise ``TransitionRefused`` naming the allowed next statuses."""
    if is_allowed(current, target):
        return
    allowed = allowed_transitions(current)
    raise TransitionRefused(
        f"An order in status '{current.value}' cannot go to '{target.value}'.",
        hint=(
            "Allowed from here: " + ", ".join(s.value for s in allowed)
            if allowed
            else f"'{current.value}' is final: no further status change is allowed."
        ),
        code="transition_refused",
        params={"from": current.value, "to": target.value, "allowed": [s.value for s in allowed]},
    )


def permission_for(target: OrderStatus) -> Permission:
    """Which right a status change needs: operators run the warehouse flow, managers cancel and return."""
    if target is S.CANCELLED:
        return Permission.ORDERS_CANCEL
    if target in (S.RETURN_REQUESTED, S.RETURNED):
        return Permission.ORDERS_RETURN
    return Permission.ORDERS_EDIT


def fulfillment_on_enter(target: OrderStatus) -> FulfillmentStatus | None:
    """The fulfilment status an order gets when it enters ``target`` (None: leave it as it is)."""
    return {
        S.PICKING: FulfillmentStatus.PICKING,
        S.READY_FOR_SHIPMENT: FulfillmentStatus.PACKED,
        S.SHIPPED: FulfillmentStatus.SHIPPED,
        S.CANCELLED: FulfillmentStatus.UNASSIGNED,
    }.get(target)


def payment_status_for(total_gross: Decimal, total_paid: Decimal, *, refunded: bool = False) -> PaymentStatus:
    """Derived, never set by hand: compares what was paid with what is due."""
    if refunded:
        return PaymentStatus.REFUNDED
    if total_paid <= 0:
        return PaymentStatus.PENDING if total_gross > 0 else PaymentStatus.PAID
    if total_paid < total_gross:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.PAID


def net_from_gross(gross: Decimal, vat_rate: Decimal) -> Decimal:
    """Net unit price from a gross one, rounded to 4 places (the Money column)."""
    return (gross * 100 / (100 + vat_rate)).quantize(Decimal("0.0001"))
