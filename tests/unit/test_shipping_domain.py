"""Shipping rules without a database: parcels, order hints, the carriers' refusals and statuses mapped."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from rexbit_desktop.adapters.carriers import inpost
from rexbit_desktop.adapters.carriers.base import Party
from rexbit_desktop.adapters.carriers.config import redacted_config, validate_carrier_config
from rexbit_desktop.adapters.carriers.dpd import _event_status
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.shipping import (
    ParcelSpec,
    ShipmentStatus,
    carrier_for_delivery,
    check_parcel,
    is_cod_payment,
    later_status,
    locker_code,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "carriers" / "inpost"


@pytest.mark.parametrize(
    ("provider", "cod"),
    [
        ("ps_cashondelivery", True),
        ("Za pobraniem", True),
        ("COD", True),
        ("przelewy24", False),
        (None, False),
    ],
)
def test_cash_on_delivery_payments(provider: str | None, cod: bool) -> None:
    assert is_cod_payment(provider) is cod


def test_order_hints() -> None:
    assert locker_code("Paczkomat InPost KRA010 (Długa 1)") == "KRA010"
    assert locker_code("Kurier DPD", None) is None
    assert carrier_for_delivery("InPost Paczkomaty 24/7", ["inpost", "dpd"]) == "inpost"
    assert carrier_for_delivery("Kurier DPD Pickup", ["inpost", "dpd"]) == "dpd"
    assert carrier_for_delivery("Odbiór osobisty", ["inpost", "dpd"]) is None


def test_parcel_checks() -> None:
    assert check_parcel(ParcelSpec(size="b", target_point="KRA010"), "inpost").size == "B"
    for bad, match in [
        (ParcelSpec(target_point="KRA010"), "size"),
        (ParcelSpec(size="D"), "A, B, C"),
        (ParcelSpec(size="A", weight_kg=Decimal("40")), "weight"),
        (ParcelSpec(size="A", parcels=2), "one parcel"),
        (ParcelSpec(size="A", cod=Decimal("-1")), "negative"),
    ]:
        with pytest.raises(ValidationError, match=match):
            check_parcel(bad, "inpost")
    assert check_parcel(ParcelSpec(weight_kg=Decimal("2"), parcels=3), "dpd").parcels == 3


def test_shipments_never_move_backwards() -> None:
    assert later_status(ShipmentStatus.IN_TRANSIT, ShipmentStatus.CONFIRMED) is ShipmentStatus.IN_TRANSIT
    assert later_status(ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED) is ShipmentStatus.DELIVERED


def test_shipx_validation_details_become_our_fields() -> None:
    body = json.loads((FIXTURES / "validation_failed_postcode.json").read_text())
    [problem] = inpost._problems(body["details"])
    assert (problem.field, problem.problem, problem.carrier_path) == (
        "receiver.postcode",
        "invalid",
        "receiver.address.post_code",
    )
    nested = inpost._problems({"custom_attributes": [{"target_point": ["required"]}], "x": {"y": ["odd"]}})
    assert [(p.field, p.problem) for p in nested] == [("target_point", "required"), ("x.y", "odd")]


def test_street_and_building_number_apart() -> None:
    assert Party(street="ul. Łąkowa 5/7").street_and_number() == ("ul. Łąkowa", "5/7")
    assert Party(street="Aleje Jerozolimskie 123A").street_and_number() == ("Aleje Jerozolimskie", "123A")
    assert Party(street="Rynek").street_and_number() == ("Rynek", "")


def test_dpd_events() -> None:
    assert _event_status("190101", "") is ShipmentStatus.DELIVERED
    assert _event_status("999999", "Przesyłka doręczona do odbiorcy") is ShipmentStatus.DELIVERED
    assert _event_status("040101", "Przesyłka odebrana przez Kuriera") is ShipmentStatus.IN_TRANSIT


def test_carrier_configuration() -> None:
    cfg = validate_carrier_config("inpost", {"organization_id": 12, "token": "s3cret"})
    assert cfg["environment"] == "sandbox" and cfg["organization_id"] == "12"
    assert redacted_config(cfg)["token"] == "***"
    with pytest.raises(ValidationError, match="not both"):
        validate_carrier_config("inpost", {"organization_id": "1", "token": "a", "token_env": "X"})
    with pytest.raises(ValidationError, match="token"):
        validate_carrier_config("inpost", {"organization_id": "1"})
    with pytest.raises(ValidationError, match="sender"):
        validate_carrier_config("dpd", {"login": "l", "password": "p", "fid": 1})
    with pytest.raises(ValidationError, match="unknown key"):
        validate_carrier_config("dpd", {"login": "l", "pasword": "p"})
