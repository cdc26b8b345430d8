"""The printed documents of an order, read back with pdftotext."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import update

from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.pdfs import render_document_pdf, render_order_pdf
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, create, setup_warehouse

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


def pdftext(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def shipped_order(db, system_actor):
    setup_warehouse(db, system_actor, "MAG")
    add_products(db, "A-1", "B-2")
    with db.session() as s:
        s.execute(
            update(Product)
            .where(Product.sku == "B-2")
            .values(unit="opak.", name="Śruby M6 (paczka 100 szt.)")
        )
        s.commit()
    order_settings.set_order_setting(
        db.uow(), system_actor, "company",
        {"name": "Hurtownia Żuraw & Syn", "street": "ul. Grzybowska 5", "postcode": "00-132", "city": "Warszawa",
         "vat_id": "5250001009"},
    )  # fmt: skip
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=10)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty=1)
    payload_items = [
        {"sku": "A-1", "quantity": "3", "price_gross": "349.00", "vat_rate": "23",
         "name": 'Wkrętarka 18V; zestaw & <walizka> "PRO"'},
        {"sku": "B-2", "quantity": "2", "price_gross": "12.50", "vat_rate": "23"},
    ]  # fmt: skip
    order = orders.create_order(
        db.uow(), system_actor,
        {"items": payload_items, "delivery_method": "Kurier DPD", "shipping_gross": "15.99",
         "addresses": {"customer": {"name": "Łucja Ćwik", "company": "Ćwik & <Córki>", "street": "ul. Źródlana 1",
                                    "postcode": "30-001", "city": "Kraków", "country": "PL", "vat_id": "6760000000"}},
         "payment": {"provider": "przelew", "status": "paid", "amount": "1088.99"}},
    )  # fmt: skip
    OrderWorkflowService().transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    return order


def test_reservation_document_shows_what_is_short(db, system_actor, shipped_order, tmp_path):
    (path,) = render_order_pdf(
        db.uow(), system_actor, shipped_order.number, kind="reservation", out=tmp_path / "r.pdf"
    )
    text = pdftext(path)
    assert "Rezerwacja towaru" in text and "RES/" in text
    assert "Zamówiono" in text and "Brakuje" in text
    assert "zostaną zarezerwowane automatycznie" in text
    assert "Ćwik & <Córki>" in text


def test_wz_confirmation_and_packing_list(db, system_actor, shipped_order, tmp_path):
    number = shipped_order.number
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty=5)
    wf = OrderWorkflowService()
    wf.transition(db.uow(), system_actor, number, "picking")
    wf.transition(db.uow(), system_actor, number, "ready_for_shipment")

    (wz,) = render_order_pdf(db.uow(), system_actor, number, kind="wz", out=tmp_path / "wz.pdf")
    text = pdftext(wz)
    assert "WZ – Wydanie zewnętrzne" in text and "WZ/" in text and "Oryginał" in text
    assert "Hurtownia Żuraw & Syn" in text and "NIP: 5250001009" in text
    assert "Ćwik & <Córki>" in text and "ul. Źródlana 1" in text and "30-001 Kraków" in text
    assert 'Wkrętarka 18V; zestaw & <walizka> "PRO"' in text
    assert "Śruby M6 (paczka 100 szt.)" in text and "opak." in text
    assert "Zamówienie" in text and number in text
    for word in ("Wystawił", "Wydał", "Odebrał", "Zatwierdził", "J.m.", "Ilość"):
        assert word in text

    (conf,) = render_order_pdf(db.uow(), system_actor, number, kind="confirmation", out=tmp_path / "c.pdf")
    text = pdftext(conf)
    assert "Potwierdzenie zamówienia" in text
    assert "1 047,00" in text and "25,00" in text
    assert "Dostawa" in text and "15,99 PLN" in text
    assert "Razem brutto" in text and "1 088,99 PLN" in text

    (packing,) = render_order_pdf(db.uow(), system_actor, number, kind="packing", out=tmp_path / "p.pdf")
    text = pdftext(packing)
    assert "Lista kompletacyjna" in text and "Kurier DPD" in text and "Spakowano" in text

    detail = orders.get_order(db.uow(), system_actor, number)
    wz_number = next(d.number for d in detail.documents if d.type == "issue_wz")
    out = tmp_path / "by-number.pdf"
    render_document_pdf(db.uow(), system_actor, wz_number, out)
    assert wz_number in pdftext(out)

    orders.cancel_order(db.uow(), system_actor, number)
    (wz_again,) = render_order_pdf(db.uow(), system_actor, number, kind="wz", out=tmp_path / "wz2.pdf")
    assert "ANULOWANY – storno IN/" in pdftext(wz_again)


def test_bad_requests_are_clear_errors(db, system_actor, shipped_order, tmp_path):
    with pytest.raises(ValidationError, match="Unknown document type"):
        render_order_pdf(db.uow(), system_actor, shipped_order.number, kind="invoice", out=tmp_path / "x.pdf")
    with pytest.raises(NotFound, match="no WZ yet"):
        render_order_pdf(db.uow(), system_actor, shipped_order.number, kind="wz", out=tmp_path / "x.pdf")
    other = create(db, system_actor, ("A-1", 1))
    with pytest.raises(ValidationError, match="no reservation"):
        render_order_pdf(db.uow(), system_actor, other.number, kind="reservation", out=tmp_path / "x.pdf")
