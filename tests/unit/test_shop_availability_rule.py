"""The availability rule and the prestashop_db config validator (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rexbit_desktop.adapters.prestashop.config import (
    redacted_config,
    resolve_password,
    validate_prestashop_config,
)
from rexbit_desktop.domain.availability import (
    ALLOW_ORDERS,
    DEFAULT_TEXTS,
    DENY_ORDERS,
    AvailabilityRule,
    AvailabilityTexts,
    SupplierOffer,
    best_offer,
    decide_availability,
)
from rexbit_desktop.domain.errors import ConfigurationError, ValidationError

TEXTS = {
    1: AvailabilityTexts("Jest", "Za {delivery_days} dni", "Brak"),
    2: AvailabilityTexts("Yes", "In {delivery_days} d", "No"),
}


def offer(stock: int | str, days: int | None = 3) -> SupplierOffer:
    return SupplierOffer(Decimal(str(stock)), days)


@pytest.mark.parametrize(("stock", "expected"), [(19, DENY_ORDERS), (20, ALLOW_ORDERS), (21, ALLOW_ORDERS)])
def test_threshold_boundaries(stock: int, expected: int) -> None:
    decision = decide_availability(
        [offer(stock, 5)], min_stock_threshold=20, texts=TEXTS, default_delivery_days=7
    )
    assert decision is not None and decision.out_of_stock == expected
    later = "Za 5 dni" if expected == ALLOW_ORDERS else "Brak"
    assert decision.texts[0] == (1, "Jest", later)


def test_best_offer_highest_stock_then_fewest_days_unknown_days_last() -> None:
    assert best_offer([offer(30, 5), offer(30, 2), offer(10, 1)]) == offer(30, 2)
    assert best_offer([offer(50, 10), offer(49, 1)]) == offer(50, 10)
    assert best_offer([offer(40, None), offer(40, 9)]) == offer(40, 9)
    assert best_offer([]) is None


def test_no_offer_no_decision_and_default_days() -> None:
    assert decide_availability([], min_stock_threshold=20, texts=TEXTS, default_delivery_days=7) is None
    decision = decide_availability(
        [offer(25, None)], min_stock_threshold=20, texts=TEXTS, default_delivery_days=7
    )
    assert decision is not None and decision.texts[1] == (2, "Yes", "In 7 d")


def test_rule_shares_equal_decisions() -> None:
    rule = AvailabilityRule(min_stock_threshold=20, texts=TEXTS, default_delivery_days=7)
    a, b = rule.decide([offer(25, 3)]), rule.decide([offer(99, 3)])
    assert a is b and a is not None and a.allows_orders
    assert rule.decide([offer(1, 3)]) is rule.decide([offer(2, 9)])  # every denial looks the same


BASE = {"host": "shop.example", "database": "presta", "user": "sync"}


def test_config_defaults_and_texts() -> None:
    cfg = validate_prestashop_config({**BASE, "password": "tajne", "texts": {"en": {"unavailable": "Gone"}}})
    assert (cfg["port"], cfg["prefix"], cfg["id_shop"], cfg["languages"]) == (3306, "ps_", 1, None)
    assert (cfg["min_stock_threshold"], cfg["sync_only_changed"], cfg["product_listing_enabled"]) == (
        20,
        True,
        False,
    )
    assert cfg["texts"]["pl"] == DEFAULT_TEXTS["pl"]
    assert cfg["texts"]["en"] == {**DEFAULT_TEXTS["en"], "unavailable": "Gone"}
    assert validate_prestashop_config(cfg) == cfg  # validating again changes nothing
    assert redacted_config(cfg)["password"] == "***" and "tajne" not in str(redacted_config(cfg))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prefix": "ps_; DROP TABLE x"}, "not a valid table prefix"),
        ({"prefix": "a" * 33}, "not a valid table prefix"),
        ({"prefx": "ps_"}, "unknown key(s) prefx"),
        ({"host": ""}, "'host' is required"),
        ({"port": "abc"}, "'port' must be a whole number"),
        ({"languages": [1, "en"]}, "'languages' must hold language ids"),
        ({"min_stock_threshold": -1}, "'min_stock_threshold' must be a number"),
        ({"texts": {"pl": {"available_later": "za {dni} dni"}}}, "unknown placeholder(s) {dni}"),
        ({"texts": {"pl": {"unavailable": "{delivery_days}"}}}, "unknown placeholder(s) {delivery_days}"),
        ({"texts": {"polski": {}}}, "not a two-letter language iso code"),
        ({"password": "x", "password_env": "SHOP_PW"}, "either 'password' or 'password_env'"),
        ({"password_env": "not a name"}, "name of an environment variable"),
    ],
)
def test_config_refuses_bad_values_with_a_clear_message(change: dict, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_prestashop_config({**BASE, **change})
    assert message in str(err.value)


def test_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = validate_prestashop_config({**BASE, "password_env": "REXBIT_UNIT_SHOP_PW"})
    assert "password" not in cfg
    with pytest.raises(ConfigurationError, match="REXBIT_UNIT_SHOP_PW"):
        resolve_password(cfg)
    monkeypatch.setenv("REXBIT_UNIT_SHOP_PW", "sekret")
    assert resolve_password(cfg) == "sekret"
