"""Carrier shipments against local ShipX and DPD servers (fixture bodies in the carriers' documented shapes)."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rexbit_desktop.db.models import OrderShipment
from rexbit_desktop.db.models.orders import OrderStatusHistory
from rexbit_desktop.db.models.shipping import ShipmentEvent, ShipmentLabel
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.shipping import CarrierRejected, ParcelSpec
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.shipping import (
    create_shipment,
    handover_protocol,
    labels_for_orders,
    list_carrier_accounts,
    list_order_shipments,
    shipment_defaults,
    shipment_label,
    track_shipments,
)
from tests.support.carriers import DpdServer, ShipXServer, add_dpd, add_inpost, no_wz, ready_order


def pdftext(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def shipx():  # type: ignore[no-untyped-def]
    with ShipXServer() as server:
        yield server


@pytest.fixture
def dpd():  # type: ignore[no-untyped-def]
    with DpdServer() as server:
        yield server


def test_inpost_create_polls_until_confirmed_and_stores_tracking_and_label(db, system_actor, shipx, tmp_path):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    number = ready_order(db, system_actor)

    dto = create_shipment(db.uow(), system_actor, number, size="A")

    state = shipx.state
    assert len(state.posts) == 1
    post = state.posts[0]
    assert post["service"] == "inpost_locker_standard"
    assert post["custom_attributes"]["target_point"] == "KRA010"  # found in the delivery method
    assert post["parcels"] == [{"template": "small"}]
    assert post["reference"] == f"{number}/P1"
    assert post["receiver"]["address"] == {
        "street": "ul. Łąkowa",
        "building_number": "5/7",
        "city": "Łódź",
        "post_code": "00-950",
        "country_code": "PL",
    }
    assert post["insurance"] == {"amount": 246.0, "currency": "PLN"}
    assert "cod" not in post  # paid by przelewy24
    # created, then polled: two answers "created", the third "confirmed"
    sid = next(iter(state.shipments))
    assert state.shipments[sid]["polls"] == 3
    assert dto.status == "confirmed"
    assert dto.tracking_number == state.shipments[sid]["tracking"]
    assert dto.external_id == str(sid)
    assert dto.has_label
    assert dto.order_moved == "shipped"
    assert dto.tracking_url.endswith(dto.tracking_number)
    label = shipment_label(db.uow(), system_actor, number)
    assert label.startswith(b"%PDF")
    assert ["InPost", "A6", dto.tracking_number] == pdftext(label, tmp_path).split()[:3]
    detail = orders.get_order(db.uow(), system_actor, number)
    assert detail.status == "shipped"
    assert detail.history[-1].context["tracking"] == dto.tracking_number

    # Again: the same order and package is not created a second time.
    again = create_shipment(db.uow(), system_actor, number, size="A")
    assert again.id == dto.id and len(state.posts) == 1


def test_an_early_label_request_is_retried(db, system_actor, shipx):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx, confirm_timeout=10)
    shipx.state.confirm_after_polls = 0
    shipx.state.label_errors = 3  # ShipX answers invalid_action three times after confirming
    number = ready_order(db, system_actor)

    dto = create_shipment(db.uow(), system_actor, number, size="B")

    labels = [r for r in shipx.state.requests if r.startswith("GET /v1/shipments/") and "/label" in r]
    assert len(labels) == 4
    assert dto.has_label and dto.status == "confirmed"


@pytest.mark.parametrize(
    ("fixture", "field", "polish"),
    [
        ("validation_failed_postcode.json", "receiver.postcode", "kod pocztowy odbiorcy"),
        ("validation_failed_target_point.json", "target_point", "paczkomat docelowy"),
    ],
)
def test_a_validation_error_names_the_field(db, system_actor, shipx, fixture, field, polish):  # type: ignore[no-untyped-def]
    from rexbit_desktop.ui.i18n import set_language
    from rexbit_desktop.ui.orders.shipment_dialog import carrier_error_text

    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    shipx.state.reject_with = fixture
    number = ready_order(db, system_actor)

    with pytest.raises(CarrierRejected) as caught:
        create_shipment(db.uow(), system_actor, number, size="A")

    assert [p.field for p in caught.value.problems] == [field]
    set_language("pl")
    text = carrier_error_text(caught.value)
    assert polish in text and "InPost" in text
    row = list_order_shipments(db.uow(), system_actor, number)[0]
    assert row.status == "failed" and row.tracking_number is None
    assert orders.get_order(db.uow(), system_actor, number).status == "ready_for_shipment"

    # Corrected and sent again: the failed row is reused, one shipment in the end.
    shipx.state.reject_with = None
    dto = create_shipment(db.uow(), system_actor, number, size="A")
    assert dto.id == row.id and dto.status == "confirmed"


def test_cod_is_the_order_total_when_paid_on_delivery(db, system_actor, shipx):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    number = ready_order(
        db, system_actor, payment={"provider": "ps_cashondelivery", "status": "pending", "amount": "246.00"}
    )
    defaults = shipment_defaults(db.uow(), system_actor, number)
    assert (
        defaults.cod == Decimal("246.00")
        and defaults.carrier == "inpost"
        and defaults.target_point == "KRA010"
    )

    create_shipment(db.uow(), system_actor, number)

    assert shipx.state.posts[0]["cod"] == {"amount": 246.0, "currency": "PLN"}


def test_a_locker_parcel_needs_a_size(db, system_actor, shipx):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    number = ready_order(db, system_actor)
    with pytest.raises(ValidationError, match="size"):
        create_shipment(db.uow(), system_actor, number, parcel=ParcelSpec(target_point="KRA010"))
    assert shipx.state.posts == []


def test_secrets_are_not_shown(db, system_actor, shipx, dpd):  # type: ignore[no-untyped-def]
    add_inpost(db, system_actor, shipx)
    add_dpd(db, system_actor, dpd)
    shown = {a.code: a.config for a in list_carrier_accounts(db.uow(), system_actor)}
    assert shown["inpost"]["token"] == "***" and shown["dpd"]["password"] == "***"
    assert "test-shipx-token" not in repr(shown) and "dpd-secret" not in repr(shown)


def test_dpd_waybill_label_and_protocol(db, system_actor, dpd, tmp_path):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_dpd(db, system_actor, dpd)
    number = ready_order(db, system_actor, delivery_method="Kurier DPD")

    dto = create_shipment(
        db.uow(),
        system_actor,
        number,
        parcel=ParcelSpec(weight_kg=Decimal("3.5"), parcels=2, insurance=Decimal("100")),
    )

    assert dto.carrier == "dpd" and dto.status == "confirmed"
    assert len(dto.tracking_numbers) == 2 and dto.tracking_number == dto.tracking_numbers[0]
    op, request = dpd.state.requests[0]
    assert op == "generatePackagesNumbersV4"
    assert b"<pkgNumsGenerationPolicyV1>ALL_OR_NOTHING</pkgNumsGenerationPolicyV1>" in request
    assert b"dpd-secret-not-printed" in request  # the password goes to DPD only
    assert b"<postalCode>00950</postalCode>" in request
    label = shipment_label(db.uow(), system_actor, number)
    assert label.startswith(b"%PDF")
    assert dto.tracking_numbers[1] in pdftext(label, tmp_path)  # the base64 label decoded
    assert orders.get_order(db.uow(), system_actor, number).status == "shipped"

    protocol = handover_protocol(db.uow(), system_actor, carrier="dpd")
    assert protocol.parcels == 2 and protocol.orders == [number]
    assert pdftext(protocol.content, tmp_path).split()[:3] == ["Protokol", "przekazania", "DPD"]
    assert dto.tracking_numbers[0] in pdftext(protocol.content, tmp_path)
    with pytest.raises(Exception, match="wait for a protocol"):
        handover_protocol(db.uow(), system_actor, carrier="dpd")


def test_dpd_all_or_nothing_failure_leaves_no_half_shipment(db, system_actor, dpd):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_dpd(db, system_actor, dpd)
    dpd.state.reject = True
    number = ready_order(db, system_actor, delivery_method="Kurier DPD", postcode="00-95")

    with pytest.raises(CarrierRejected) as caught:
        create_shipment(db.uow(), system_actor, number, parcel=ParcelSpec(weight_kg=Decimal("2"), parcels=2))

    assert [p.field for p in caught.value.problems] == ["receiver.postcode"]
    with db.session() as s:
        rows = list(s.scalars(select(OrderShipment)))
        assert [(r.status, r.tracking_number, r.tracking_numbers, r.external_id) for r in rows] == [
            ("failed", None, [], None)
        ]
        assert s.scalar(select(func.count()).select_from(ShipmentLabel)) == 0
    assert dpd.ops() == ["generatePackagesNumbersV4"]
    assert orders.get_order(db.uow(), system_actor, number).status == "ready_for_shipment"


def test_tracking_completes_a_delivered_order_once(db, system_actor, shipx, dpd):  # type: ignore[no-untyped-def]
    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    add_dpd(db, system_actor, dpd)
    delivered = ready_order(db, system_actor)
    on_the_way = ready_order(db, system_actor)
    by_dpd = ready_order(db, system_actor, delivery_method="Kurier DPD")
    a = create_shipment(db.uow(), system_actor, delivered, size="A")
    b = create_shipment(db.uow(), system_actor, on_the_way, size="A")
    create_shipment(db.uow(), system_actor, by_dpd, parcel=ParcelSpec(weight_kg=Decimal("1")))
    shipx.state.tracking[b.tracking_number or ""] = "tracking_in_transit.json"

    first = track_shipments(db.uow(), system_actor)
    second = track_shipments(db.uow(), system_actor)

    assert (
        first.checked == 3 and first.delivered == 2 and sorted(first.completed) == sorted([delivered, by_dpd])
    )
    assert second.checked == 1 and second.completed == []  # the delivered ones are not asked again
    assert orders.get_order(db.uow(), system_actor, on_the_way).status == "shipped"
    detail = orders.get_order(db.uow(), system_actor, delivered)
    assert detail.status == "completed"
    assert [(h.to_status, h.changed_by) for h in detail.history if h.to_status == "completed"] == [
        ("completed", "Automat: śledzenie InPost")
    ]
    dpd_detail = orders.get_order(db.uow(), system_actor, by_dpd)
    assert [h.changed_by for h in dpd_detail.history if h.to_status == "completed"] == [
        "Automat: śledzenie DPD"
    ]
    shipments = {s.order_number: s for s in list_order_shipments(db.uow(), system_actor, delivered)}
    assert shipments[delivered].status == "delivered" and shipments[delivered].delivered_at is not None
    assert list_order_shipments(db.uow(), system_actor, on_the_way)[0].status == "in_transit"
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(ShipmentEvent).where(ShipmentEvent.shipment_id == a.id))
            == 6
        )
        completed = s.scalar(
            select(func.count())
            .select_from(OrderStatusHistory)
            .where(OrderStatusHistory.to_status == "completed")
        )
        assert completed == 2


def test_tracking_leaves_the_order_when_the_setting_is_off(db, system_actor, shipx):  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.orders.settings import set_order_setting

    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    set_order_setting(db.uow(), system_actor, "automation.complete_on_delivery", "false")
    number = ready_order(db, system_actor)
    create_shipment(db.uow(), system_actor, number, size="A")
    result = track_shipments(db.uow(), system_actor)
    assert result.delivered == 1 and result.completed == []
    assert orders.get_order(db.uow(), system_actor, number).status == "shipped"


@pytest.mark.slow
def test_labels_of_fifty_orders_in_one_pdf(db, system_actor, shipx, tmp_path):  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    no_wz(db, system_actor)
    add_inpost(db, system_actor, shipx)
    shipx.state.confirm_after_polls = 0
    numbers = [ready_order(db, system_actor) for _ in range(50)]
    tracking = {n: create_shipment(db.uow(), system_actor, n, size="A").tracking_number for n in numbers}
    chosen = [*numbers, "ZAM/NIE/MA"]

    result = labels_for_orders(db.uow(), system_actor, chosen)

    assert result.labels == 50 and result.orders == numbers and result.missing[0][0] == "ZAM/NIE/MA"
    assert len(PdfReader(io.BytesIO(result.content)).pages) == 50
    text = pdftext(result.content, tmp_path)
    positions = [text.index(tracking[n]) for n in numbers]
    assert positions == sorted(positions)  # in the order of the selection
