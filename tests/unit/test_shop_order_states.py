"""Shop order states ↔ our statuses: the shop's PS_OS_* defaults and the settings' mapping."""

from __future__ import annotations

import pytest

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.order_settings import OrderSettings, apply_setting
from rexbit_desktop.domain.orders import OrderStatus as S
from rexbit_desktop.domain.shop_order_states import configured_mapping, default_mapping

# A shop that renumbered its states: the ids come from its configuration, never from PrestaShop's install.
SHOP = {
    "PS_OS_CHEQUE": 21, "PS_OS_BANKWIRE": 30, "PS_OS_PAYMENT": 22, "PS_OS_WS_PAYMENT": 31,
    "PS_OS_PREPARATION": 23, "PS_OS_SHIPPING": 24, "PS_OS_DELIVERED": 25, "PS_OS_CANCELED": 26,
    "PS_OS_REFUND": 27, "PS_OS_ERROR": 28, "PS_OS_OUTOFSTOCK_PAID": 29, "PS_OS_OUTOFSTOCK_UNPAID": 32,
}  # fmt: skip


def test_defaults_come_from_the_shops_configuration_both_ways() -> None:
    m = default_mapping(SHOP)
    assert [m.ours(i) for i in (21, 30, 22, 31, 23, 24, 25, 26, 27, 29, 32)] == [
        S.AWAITING_PAYMENT, S.AWAITING_PAYMENT, S.PAID, S.PAID, S.AWAITING_FULFILLMENT, S.SHIPPED,
        S.COMPLETED, S.CANCELLED, S.RETURNED, S.PAID, S.AWAITING_PAYMENT,
    ]  # fmt: skip
    assert m.knows(28) and m.ours(28) is None  # payment error: kept and flagged
    assert not m.knows(99)
    assert m.shop(S.AWAITING_PAYMENT) == 30 and m.shop(S.SHIPPED) == 24 and m.shop("cancelled") == 26
    assert m.shop(S.PICKING) is None and m.shop(S.READY_FOR_SHIPMENT) is None  # not written back
    assert m.means_same(21, S.AWAITING_PAYMENT) and not m.means_same(22, S.AWAITING_PAYMENT)


def test_settings_mapping_by_integration_id_wins_and_several_states_may_mean_one_status() -> None:
    settings = apply_setting(OrderSettings(), "statuses.paid.mapping", {"prestashop": "2,11", "7": "40"})
    settings = apply_setting(settings, "statuses.shipped.mapping", {"prestashop": "4"})
    assert configured_mapping(OrderSettings().statuses, 7) is None  # nothing configured: shop defaults
    for_7 = configured_mapping(settings.statuses, 7)
    assert for_7 is not None and for_7.source == "settings"
    assert (for_7.ours(40), for_7.ours(2), for_7.shop(S.PAID), for_7.shop(S.SHIPPED)) == (S.PAID, None, 40, 4)
    other = configured_mapping(settings.statuses, 8)
    assert other is not None and (other.ours(2), other.ours(11), other.shop(S.PAID)) == (S.PAID, S.PAID, 2)


def test_a_bad_or_ambiguous_mapping_is_refused_with_its_status() -> None:
    bad = apply_setting(OrderSettings(), "statuses.paid.mapping", {"prestashop": "two"})
    with pytest.raises(ValidationError, match="status 'paid'"):
        configured_mapping(bad.statuses, 1)
    both = apply_setting(bad, "statuses.paid.mapping", {"prestashop": "2"})
    both = apply_setting(both, "statuses.completed.mapping", {"prestashop": "2"})
    with pytest.raises(ValidationError, match="Shop state 2 is mapped to both"):
        configured_mapping(both.statuses, 1)
