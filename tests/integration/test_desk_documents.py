"""The desk's documents (issue 17, defects 4–5 and bulk printing), read back with pdftotext.

- the WZ recipient is one party: the buyer's company with its NIP, else the person (no foreign NIP);
- every page says "Strona X z Y"; the footer names the issuer by full name, not login;
- the packing list is titled as its button and its EAN column holds 13 digits inside the cell;
- the reservation printed after the WZ says the goods were issued;
- several orders' WZ merged into one PDF: page count and every WZ number in it.
"""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.batch import bulk_transition, find_scanned, render_orders_pdf
from rexbit_desktop.services.orders.pdfs import render_order_pdf
from rexbit_desktop.services.orders.workflow import transition_order
from rexbit_desktop.services.stock import stock
from rexbit_desktop.services.users import add_user
from tests.support.orders import add_products, setup_warehouse

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")

EAN = "5901234123457"


def pdftext(path, *args: str) -> str:  # type: ignore[no-untyped-def]
    return subprocess.run(
        ["pdftotext", "-layout", *args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _address(name: str, company: str | None, vat_id: str | None, city: str) -> dict[str, object]:
    return {"name": name, "company": company, "street": "ul. Polna 3", "postcode": "60-101", "city": city,
            "country": "PL", "vat_id": vat_id}  # fmt: skip


def _order(db, actor, lines, addresses):  # type: ignore[no-untyped-def]
    items = [{"sku": sku, "quantity": str(q), "price_gross": "10.00", "vat_rate": "23"} for sku, q in lines]
    return orders.create_order(
        db.uow(), actor, {"items": items, "delivery_method": "Kurier InPost", "addresses": addresses}
    )


@pytest.fixture
def desk(db, system_actor):  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor, "MAG")
    skus = [f"P-{i:03d}" for i in range(60)]
    add_products(db, *skus)
    with db.session() as s:
        s.execute(update(Product).where(Product.sku == "P-000").values(ean=EAN))
        s.commit()
    for sku in skus[:21]:
        stock.receive_stock(db.uow(), system_actor, sku=sku, warehouse="MAG", qty=100)
    add_user(
        db.uow(),
        system_actor,
        login="anna",
        role="operator",
        display_name="Anna Magazynowa",
        password="x" * 12,
    )
    order_settings.set_order_setting(db.uow(), system_actor, "company", {"name": "Rexbit Sp. z o.o."})
    return Actor(login="anna", role=Role.OPERATOR, display_name="Anna Magazynowa")


def _ready(db, actor, number: str) -> None:  # type: ignore[no-untyped-def]
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        transition_order(db.uow(), actor, number, status)


def test_wz_recipient_is_the_buyers_company_with_its_nip(db, desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = _order(
        db, desk, [("P-001", 1)],
        {"customer": _address("Żaneta Jankowska", None, None, "Gniezno"),
         "shipping": _address("Żaneta Jankowska", None, None, "Gniezno"),
         "billing": _address("Biuro", "„Żuraw” sp. z o.o.", "1300426376", "Poznań")},
    )  # fmt: skip
    _ready(db, desk, order.number)
    (wz,) = render_order_pdf(db.uow(), desk, order.number, kind="wz", out=tmp_path / "wz.pdf")
    text = pdftext(wz)
    assert "„Żuraw” sp. z o.o." in text and "NIP: 1300426376" in text and "60-101 Poznań" in text
    assert "Jankowska" not in text  # not the person's name beside the company's NIP


def test_wz_recipient_is_the_person_without_a_company(db, desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = _order(
        db, desk, [("P-001", 1)],
        {"shipping": _address("Żaneta Jankowska", None, None, "Gniezno"),
         "billing": _address("Żaneta Jankowska", None, "1300426376", "Gniezno")},
    )  # fmt: skip
    _ready(db, desk, order.number)
    (wz,) = render_order_pdf(db.uow(), desk, order.number, kind="wz", out=tmp_path / "wz.pdf")
    text = pdftext(wz)
    assert "Żaneta Jankowska" in text and "60-101 Gniezno" in text
    assert "NIP: 1300426376" not in text  # a person's WZ carries no NIP


@pytest.mark.slow
def test_pages_say_x_of_y_and_the_footer_names_the_issuer(db, desk, system_actor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i in range(21, 60):
        stock.receive_stock(db.uow(), system_actor, sku=f"P-{i:03d}", warehouse="MAG", qty=1)
    order = _order(
        db,
        desk,
        [(f"P-{i:03d}", 1) for i in range(60)],
        {"customer": _address("Jan Nowak", None, None, "Kalisz")},
    )
    _ready(db, desk, order.number)
    (wz,) = render_order_pdf(db.uow(), desk, order.number, kind="wz", out=tmp_path / "wz.pdf")
    pages = len(PdfReader(wz).pages)
    assert pages >= 2
    text = pdftext(wz)
    for page in range(1, pages + 1):
        assert f"Strona {page} z {pages}" in text
    assert "wystawił: Anna Magazynowa" in text and "wystawił: anna" not in text


def test_packing_list_title_and_ean_inside_its_cell(db, desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = _order(db, desk, [("P-000", 2)], {"customer": _address("Jan Nowak", None, None, "Kalisz")})
    (packing,) = render_order_pdf(db.uow(), desk, order.number, kind="packing", out=tmp_path / "p.pdf")
    text = pdftext(packing)
    assert "Lista kompletacyjna" in text and "Lista pakowania" not in text
    # Word boxes: the EAN must end before the next column ("Nazwa towaru") begins, minus its padding.
    html = pdftext(packing, "-bbox")
    import re

    boxes = {
        m.group(5): (float(m.group(1)), float(m.group(3)))
        for m in re.finditer(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>', html
        )
    }
    ean_end = boxes[EAN][1]
    name_start = boxes["Nazwa"][0]
    assert ean_end < name_start - 6, (ean_end, name_start)


def test_reservation_after_the_wz_says_the_goods_were_issued(db, desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = _order(db, desk, [("P-001", 2)], {"customer": _address("Jan Nowak", None, None, "Kalisz")})
    _ready(db, desk, order.number)
    wz = next(
        d.number for d in orders.get_order(db.uow(), desk, order.number).documents if d.type == "issue_wz"
    )
    (res,) = render_order_pdf(db.uow(), desk, order.number, kind="reservation", out=tmp_path / "r.pdf")
    text = pdftext(res)
    assert "Wydano" in text and f"Towar wydano z magazynu dokumentem {wz}" in text
    assert "Towar wydany (WZ)" in text


@pytest.mark.slow
def test_twenty_wz_merged_into_one_pdf(db, desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    numbers = [
        _order(
            db, desk, [(f"P-{i:03d}", 1)], {"customer": _address(f"Klient {i}", None, None, "Kalisz")}
        ).number
        for i in range(1, 21)
    ]
    result = bulk_transition(db.uow, desk, numbers, "awaiting_fulfillment")
    assert result.done == numbers and not result.refused
    bulk_transition(db.uow, desk, numbers, "picking")
    bulk_transition(db.uow, desk, numbers[:18], "ready_for_shipment")  # two stay without a WZ
    out = tmp_path / "wz-20.pdf"
    batch = render_orders_pdf(db.uow(), desk, numbers, kind="wz", out=out)
    assert batch.pages == len(PdfReader(out).pages) == 18
    assert [r.number for r in batch.skipped] == numbers[18:] and batch.skipped[0].code == "no_wz"
    text = pdftext(out)
    wz_numbers = [
        d.number
        for n in numbers[:18]
        for d in orders.get_order(db.uow(), desk, n).documents
        if d.type == "issue_wz"
    ]
    assert len(wz_numbers) == 18 and wz_numbers == batch.documents
    for wz in wz_numbers:
        assert wz in text


def test_bulk_transition_reports_refusals_and_does_the_rest(db, desk) -> None:  # type: ignore[no-untyped-def]
    a = _order(db, desk, [("P-001", 1)], {"customer": _address("A", None, None, "Kalisz")}).number
    b = _order(db, desk, [("P-002", 1)], {"customer": _address("B", None, None, "Kalisz")}).number
    transition_order(db.uow(), desk, a, "awaiting_fulfillment")
    result = bulk_transition(db.uow, desk, [a, b, "ZAM/NIE/MA"], "picking")
    assert result.done == [a]
    assert [(r.number, r.code) for r in result.refused] == [
        (b, "transition_refused"),
        ("ZAM/NIE/MA", "order_not_found"),
    ]
    assert orders.get_order(db.uow(), desk, b).status == "draft"


def test_a_scan_finds_order_wz_tracking_and_ean(db, desk) -> None:  # type: ignore[no-untyped-def]
    order = _order(db, desk, [("P-000", 1)], {"customer": _address("Jan Nowak", None, None, "Kalisz")})
    _ready(db, desk, order.number)
    orders.ship_order(db.uow(), desk, order.number, carrier="inpost", tracking="620012345678")
    wz = next(
        d.number for d in orders.get_order(db.uow(), desk, order.number).documents if d.type == "issue_wz"
    )
    assert find_scanned(db.uow(), desk, order.number).order_number == order.number  # type: ignore[union-attr]
    hit = find_scanned(db.uow(), desk, f" {wz} ")
    assert hit is not None and hit.order_number == order.number and hit.via == "wz"
    hit = find_scanned(db.uow(), desk, "620012345678")
    assert hit is not None and hit.order_number == order.number and hit.via == "tracking"
    hit = find_scanned(db.uow(), desk, EAN)
    assert hit is not None and hit.kind == "product" and hit.sku == "P-000"
    assert find_scanned(db.uow(), desk, "nowak") is None  # a search, not a scan


def test_carrier_settings_say_whether_tracking_is_required(db, desk) -> None:  # type: ignore[no-untyped-def]
    number = _order(db, desk, [("P-001", 1)], {"customer": _address("A", None, None, "Kalisz")}).number
    _ready(db, desk, number)
    with pytest.raises(ValidationError) as refused:
        orders.ship_order(db.uow(), desk, number, carrier="inpost", tracking=" ")
    assert refused.value.code == "tracking_required" and refused.value.params["carrier"] == "InPost"
    detail = orders.ship_order(db.uow(), desk, number, carrier="pickup", tracking="")  # personal pickup
    assert detail.status == "shipped" and detail.shipments[0].carrier == "pickup"
    assert detail.shipments[0].tracking_number in (None, "")
    assert detail.total_gross == Decimal("10.00")
