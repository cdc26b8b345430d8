"""Local carrier servers on 127.0.0.1 for the shipping tests: an InPost ShipX REST server and a DPD SOAP
server, both answering with the fixture bodies under ``tests/fixtures/carriers/`` (see the READMEs there
for the documents they follow), plus helpers for carrier accounts and orders ready to ship."""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from lxml import etree
from reportlab.lib.pagesizes import A6
from reportlab.pdfgen import canvas

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.workflow import transition_order
from rexbit_desktop.services.shipping import save_carrier_account

FIXTURES = Path(__file__).parents[1] / "fixtures" / "carriers"
TOKEN = "test-shipx-token-not-secret"
ORG = "1234"


def pdf_with(text: str) -> bytes:
    """A real one-page PDF with ``text`` (read back with pdftotext)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A6)
    c.setFont("Helvetica", 8)
    for n, word in enumerate(text.split()):
        c.drawString(12, 400 - 11 * n, word)
    c.showPage()
    c.save()
    return out.getvalue()


def _fixture(*parts: str) -> str:
    return (FIXTURES.joinpath(*parts)).read_text(encoding="utf-8")


def _fill(template: str, **values: Any) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class ShipXState:
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    confirm_after_polls: int = 2
    """GET /v1/shipments/{id} answers ``created`` this many times, then ``confirmed``."""
    label_errors: int = 0
    """Label requests answered with ``invalid_action`` even after confirmation."""
    reject_with: str | None = None
    """Fixture name of a 422 answer to every POST."""
    hold_post: threading.Event | None = None
    """When set, a POST stores the shipment and then waits for this event before answering."""
    post_received: threading.Event = field(default_factory=threading.Event)
    polled: threading.Event = field(default_factory=threading.Event)
    tracking: dict[str, str] = field(default_factory=dict)
    """tracking number → fixture name (default tracking_delivered.json)."""
    ids: Any = field(default_factory=lambda: itertools.count(70001))
    lock: threading.Lock = field(default_factory=threading.Lock)


class ShipXServer:
    """InPost ShipX on 127.0.0.1 (random port), state in memory, shared by every process that calls it."""

    def __init__(self) -> None:
        self.state = ShipXState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, code: int, text: str) -> None:
                self._send(code, text.encode("utf-8"))

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._json(
                        401,
                        json.dumps({"status": 401, "error": "token_invalid", "message": "Token is invalid"}),
                    )
                    return False
                return True

            def _body(self, sid: int) -> str:
                shipment = state.shipments[sid]
                name = "shipment_confirmed.json" if shipment["confirmed"] else "shipment_created.json"
                return _fill(
                    _fixture("inpost", name),
                    id=sid,
                    parcel_id=sid + 500000,
                    reference=shipment["reference"],
                    tracking=shipment["tracking"],
                )

            def do_POST(self) -> None:
                state.requests.append(f"POST {self.path}")
                if not self._authorized():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not re.fullmatch(rf"/v1/organizations/{ORG}/shipments", self.path):
                    self._json(404, '{"status": 404, "error": "resource_not_found"}')
                    return
                with state.lock:
                    state.posts.append(body)
                    if state.reject_with:
                        self._json(422, _fixture("inpost", state.reject_with))
                        return
                    sid = next(state.ids)
                    state.shipments[sid] = {
                        "reference": body.get("reference"),
                        "body": body,
                        "polls": 0,
                        "confirmed": False,
                        "tracking": f"6{sid:023d}",
                    }
                state.post_received.set()
                if state.hold_post is not None:
                    state.hold_post.wait(30)
                self._json(201, self._body(sid))

            def do_DELETE(self) -> None:
                state.requests.append(f"DELETE {self.path}")
                self._send(204, b"")

            def do_GET(self) -> None:
                state.requests.append(f"GET {self.path}")
                if not self._authorized():
                    return
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if m := re.fullmatch(r"/v1/shipments/(\d+)", url.path):
                    sid = int(m.group(1))
                    with state.lock:
                        shipment = state.shipments.get(sid)
                        if shipment is None:
                            self._json(404, '{"status": 404, "error": "resource_not_found"}')
                            return
                        shipment["polls"] += 1
                        if shipment["polls"] > state.confirm_after_polls:
                            shipment["confirmed"] = True
                    state.polled.set()
                    self._json(200, self._body(sid))
                elif m := re.fullmatch(r"/v1/shipments/(\d+)/label", url.path):
                    sid = int(m.group(1))
                    shipment = state.shipments.get(sid)
                    ready = shipment is not None and shipment["confirmed"]
                    with state.lock:
                        if ready and state.label_errors > 0:
                            state.label_errors -= 1
                            ready = False
                    if not ready or query.get("format") != ["pdf"]:
                        self._json(400, _fixture("inpost", "label_not_ready.json"))
                        return
                    assert shipment is not None
                    text = (
                        f"InPost {query.get('type', ['?'])[0]} {shipment['tracking']} {shipment['reference']}"
                    )
                    self._send(200, pdf_with(text), "application/pdf")
                elif url.path == f"/v1/organizations/{ORG}/shipments":
                    with state.lock:
                        items = [json.loads(self._body(sid)) for sid in state.shipments]
                    self._json(
                        200,
                        _fill(
                            _fixture("inpost", "shipments_list.json"),
                            org=ORG,
                            count=len(items),
                            items=json.dumps(items),
                        ),
                    )
                elif m := re.fullmatch(r"/v1/tracking/(\w+)", url.path):
                    number = m.group(1)
                    name = state.tracking.get(number, "tracking_delivered.json")
                    self._json(200, _fill(_fixture("inpost", name), tracking=number))
                elif url.path == "/v1/points":
                    self._json(200, _fixture("inpost", "points.json"))
                else:
                    self._json(404, '{"status": 404, "error": "resource_not_found"}')

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def config(self, **extra: Any) -> dict[str, Any]:
        return {
            "base_url": self.url,
            "organization_id": ORG,
            "token": TOKEN,
            "poll_interval": 0.05,
            "label_retry_wait": 0.05,
            **extra,
        }

    def __enter__(self) -> ShipXServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.state.hold_post is not None:
            self.state.hold_post.set()
        self.server.shutdown()
        self.server.server_close()


SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class DpdState:
    requests: list[tuple[str, bytes]] = field(default_factory=list)
    reject: bool = False
    package_ids: Any = field(default_factory=lambda: itertools.count(31000001))
    waybills: Any = field(default_factory=lambda: itertools.count(1))


class DpdServer:
    """DPD Polska's SOAP services on 127.0.0.1: replays the envelopes of ``fixtures/carriers/dpd``."""

    def __init__(self) -> None:
        self.state = DpdState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                doc = etree.fromstring(raw)
                body = doc.find(f"{{{SOAP_NS}}}Body")
                assert body is not None
                op_el = body[0]
                op = etree.QName(op_el).localname
                state.requests.append((op, raw))
                reference = op_el.findtext(".//packages/reference") or ""
                if op == "generatePackagesNumbersV4":
                    if state.reject:
                        text = _fill(
                            _fixture("dpd", "generatePackagesNumbersV4_incorrect.xml"), reference=reference
                        )
                    else:
                        parcels = "".join(
                            "<Parcel><Status>OK</Status>"
                            f"<ParcelId>{9000 + next(state.waybills)}</ParcelId>"
                            f"<Reference>{etree.QName(p).localname and p.findtext('reference')}</Reference>"
                            f"<Waybill>0000{next(state.waybills):09d}U</Waybill></Parcel>"
                            for p in op_el.findall(".//packages/parcels")
                        )
                        text = _fill(
                            _fixture("dpd", "generatePackagesNumbersV4_ok.xml"),
                            session_id=555,
                            package_id=next(state.package_ids),
                            reference=reference,
                            parcels=parcels,
                        )
                elif op == "generateSpedLabelsV4":
                    package_id = op_el.findtext(".//session/packages/packageId")
                    waybills = " ".join(
                        w.text or "" for w in op_el.findall(".//session/packages/parcels/waybill")
                    )
                    pdf = pdf_with(f"DPD {op_el.findtext('outputDocPageFormatV1')} {waybills}")
                    text = _fill(
                        _fixture("dpd", "generateSpedLabelsV4_ok.xml"),
                        document_data=base64.b64encode(pdf).decode(),
                        package_id=package_id,
                        session_id=556,
                    )
                elif op == "generateProtocolV2":
                    waybills = " ".join(
                        w.text or "" for w in op_el.findall(".//session/packages/parcels/waybill")
                    )
                    pdf = pdf_with(f"Protokol przekazania DPD {waybills}")
                    text = _fill(
                        _fixture("dpd", "generateProtocolV2_ok.xml"),
                        document_data=base64.b64encode(pdf).decode(),
                        document_id="PROT/2026/12/02/1",
                        session_id=557,
                    )
                elif op == "getEventsForWaybillV1":
                    text = _fill(
                        _fixture("dpd", "getEventsForWaybillV1_delivered.xml"),
                        waybill=op_el.findtext("waybill") or "",
                        confirm_id=1,
                    )
                else:
                    self.send_response(500)
                    self.end_headers()
                    return
                data = text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/DPDPackageObjServicesService/DPDPackageObjServices"

    @property
    def info_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/DPDInfoServicesObjEventsService/DPDInfoServicesObjEvents"

    def config(self, **extra: Any) -> dict[str, Any]:
        return {
            "url": self.url,
            "info_url": self.info_url,
            "login": "test",
            "password": "dpd-secret-not-printed",
            "fid": 1495,
            "sender": {
                "name": "Magazyn Rexbit",
                "company": "Rexbit sp. z o.o.",
                "street": "Magazynowa 5",
                "postcode": "30-001",
                "city": "Kraków",
                "phone": "500600700",
            },
            **extra,
        }

    def ops(self) -> list[str]:
        return [op for op, _ in self.state.requests]

    def __enter__(self) -> DpdServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- data


def add_inpost(db: Database, actor: Actor, server: ShipXServer, **extra: Any) -> None:
    save_carrier_account(
        db.uow(), actor, code="inpost", service="inpost", name="InPost", config=server.config(**extra)
    )


def add_dpd(db: Database, actor: Actor, server: DpdServer, **extra: Any) -> None:
    save_carrier_account(
        db.uow(), actor, code="dpd", service="dpd", name="DPD", config=server.config(**extra)
    )


def no_wz(db: Database, actor: Actor) -> None:
    """Orders ship without stock in these tests: no reservation, no WZ."""
    order_settings.set_order_setting(db.uow(), actor, "automation.issue_wz_on", "never")
    order_settings.set_order_setting(db.uow(), actor, "automation.reserve_on_awaiting_fulfillment", "false")


def ready_order(
    db: Database,
    actor: Actor,
    *,
    delivery_method: str = "InPost Paczkomat KRA010",
    payment: dict[str, Any] | None = None,
    postcode: str = "00-950",
    to: str = "ready_for_shipment",
) -> str:
    payload = {
        "source": "manual",
        "currency": "PLN",
        "delivery_method": delivery_method,
        "items": [{"sku": "HX-1", "quantity": "2", "price_gross": "123.00", "vat_rate": "23"}],
        "addresses": {
            "customer": {
                "name": "Zażółć Gęślą",
                "street": "ul. Łąkowa 5/7",
                "postcode": postcode,
                "city": "Łódź",
                "country": "PL",
                "email": "jazn@example.pl",
                "phone": "600700800",
            }
        },
        "payment": payment or {"provider": "przelewy24", "status": "paid", "amount": "246.00"},
    }
    number = orders.create_order(db.uow(), actor, payload).number
    path = ["awaiting_fulfillment", "picking", "ready_for_shipment"]
    if (payment or {}).get("status", "paid") == "paid":
        path = ["paid", *path]
    for status in path:
        transition_order(db.uow(), actor, number, status)
        if status == to:
            break
    return number
