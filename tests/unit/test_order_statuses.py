"""The status table, numbering patterns and settings validation (pure domain, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rexbit_desktop.domain.errors import TransitionRefused, ValidationError
from rexbit_desktop.domain.numbering import NumberPattern, Reset
from rexbit_desktop.domain.order_settings import (
    OrderSettings,
    apply_setting,
    settings_from_sections,
    settings_to_sections,
)
from rexbit_desktop.domain.orders import (
    TRANSITIONS,
    OrderStatus,
    check_transition,
    payment_status_for,
    permission_for,
)
from rexbit_desktop.domain.roles import Permission

S = OrderStatus

# Written out by hand from the business spec, so that a change of the table must change this too.
EXPECTED = {
    ("draft", "awaiting_payment"), ("draft", "paid"), ("draft", "awaiting_fulfillment"), ("draft", "cancelled"),
    ("awaiting_payment", "paid"), ("awaiting_payment", "awaiting_fulfillment"), ("awaiting_payment", "cancelled"),
    ("paid", "awaiting_fulfillment"), ("paid", "cancelled"),
    ("awaiting_fulfillment", "picking"), ("awaiting_fulfillment", "cancelled"),
    ("picking", "ready_for_shipment"), ("picking", "cancelled"),
    ("ready_for_shipment", "shipped"), ("ready_for_shipment", "cancelled"),
    ("shipped", "completed"), ("shipped", "return_requested"),
    ("completed", "return_requested"),
    ("return_requested", "returned"), ("return_requested", "completed"),
}  # fmt: skip

PAIRS = [(a, b) for a in OrderStatus for b in OrderStatus]


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair_is_allowed_or_refused_as_the_spec_says(current, target):
    if (current.value, target.value) in EXPECTED:
        check_transition(current, target)
    else:
        with pytest.raises(TransitionRefused) as info:
            check_transition(current, target)
        allowed = TRANSITIONS[current]
        if allowed:
            assert all(s.value in info.value.hint for s in allowed)  # the refusal says what is allowed
        else:
            assert "final" in info.value.hint


def test_cancel_only_before_shipping_and_returns_only_after():
    for status in OrderStatus:
        can_cancel = S.CANCELLED in TRANSITIONS[status]
        assert can_cancel == (status in {S.DRAFT, S.AWAITING_PAYMENT, S.PAID, S.AWAITING_FULFILLMENT, S.PICKING,
                                         S.READY_FOR_SHIPMENT})  # fmt: skip


def test_permissions_per_target():
    assert permission_for(S.CANCELLED) is Permission.ORDERS_CANCEL
    assert permission_for(S.RETURNED) is Permission.ORDERS_RETURN
    assert permission_for(S.RETURN_REQUESTED) is Permission.ORDERS_RETURN
    assert permission_for(S.PICKING) is Permission.ORDERS_EDIT


def test_payment_status_is_derived():
    assert payment_status_for(Decimal(100), Decimal(0)) == "pending"
    assert payment_status_for(Decimal(100), Decimal(40)) == "partially_paid"
    assert payment_status_for(Decimal(100), Decimal(100)) == "paid"
    assert payment_status_for(Decimal(100), Decimal(100), refunded=True) == "refunded"


@pytest.mark.parametrize(
    ("pattern", "reset", "padding", "value", "expected", "series"),
    [
        ("WZ/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY, 0, 7, "WZ/2026/03/0007", "WZ/2026/03"),
        ("{yyyy}/{n}", Reset.YEARLY, 0, 12, "2026/12", "WZ/2026"),
        ("{n}", Reset.NEVER, 6, 42, "000042", "WZ"),
        ("{yy}{mm}-{nnn}", Reset.MONTHLY, 0, 12345, "2603-12345", "WZ/2026/03"),
    ],
)
def test_number_patterns(pattern, reset, padding, value, expected, series):
    p = NumberPattern(pattern, reset, padding=padding)
    day = date(2026, 3, 9)
    assert p.format(value, day) == expected
    assert p.series_key("WZ", day) == series


def test_prefix_and_suffix():
    p = NumberPattern("{yyyy}/{nnnnn}", Reset.YEARLY, prefix="ZAM/", suffix="/PL")
    assert p.format(3, date(2026, 1, 1)) == "ZAM/2026/00003/PL"


@pytest.mark.parametrize(
    ("pattern", "reset", "message"),
    [
        ("WZ/{nnnn}", Reset.MONTHLY, "monthly reset"),
        ("WZ/{mm}/{nnnn}", Reset.MONTHLY, "monthly reset"),
        ("WZ/{nnnn}", Reset.YEARLY, "yearly reset"),
        ("WZ/{yyyy}", Reset.NEVER, "exactly once"),
        ("WZ/{n}/{n}", Reset.NEVER, "exactly once"),
        ("WZ/{x}/{n}", Reset.NEVER, "Unknown placeholder"),
    ],
)
def test_patterns_that_would_repeat_numbers_are_refused(pattern, reset, message):
    with pytest.raises(ValidationError, match=message):
        NumberPattern(pattern, reset)


def test_settings_round_trip_and_dotted_changes():
    s = OrderSettings()
    assert settings_from_sections(settings_to_sections(s)) == s
    s2 = apply_setting(s, "automation.issue_wz_on", "picking")
    assert s2.automation.issue_wz_on == "picking"
    s3 = apply_setting(s2, "automation.reserve_on_awaiting_fulfillment", "false")
    assert s3.automation.reserve_on_awaiting_fulfillment is False
    s4 = apply_setting(s3, "statuses.paid.colour", "#00ff00")
    assert s4.statuses["paid"].colour == "#00ff00"
    s5 = apply_setting(s4, "numbering.reset", "yearly")
    assert s5.numbering.number_pattern().series_key("order", date(2026, 5, 1)) == "order/2026"
    assert settings_from_sections(settings_to_sections(s5)) == s5


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("automation.issue_wz_on", "packed"),
        ("initial_status", "nonsense"),
        ("numbering.pattern", "{nnnn}"),  # monthly reset without year and month
        ("statuses.paid.colour", "green"),
        ("no.such.key", "1"),
        ("reservation_expiry_hours", "-5"),
        ("automation.release_reservations_on_cancel", "maybe"),
    ],
)
def test_bad_settings_are_refused(key, value):
    with pytest.raises(ValidationError):
        apply_setting(OrderSettings(), key, value)
