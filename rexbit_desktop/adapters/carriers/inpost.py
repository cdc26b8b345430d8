"""InPost ShipX (REST API, Bearer token, organization id).

- ``POST /v1/organizations/{org}/shipments`` creates a parcel locker shipment (``inpost_locker_standard``
  with ``custom_attributes.target_point`` and a template ``small``/``medium``/``large`` = size A/B/C) or a
  courier one (``inpost_courier_standard``, dimensions and weight); COD and insurance as
  ``{"amount", "currency"}``; ``reference`` carries our idempotency key. The answer is ``created``: the
  shipment is confirmed **asynchronously**, ``tracking_number`` is null until ``GET /v1/shipments/{id}``
  says ``confirmed``.
- ``GET /v1/shipments/{id}/label?format=pdf&type=A6|normal`` is the label; asked for before the shipment
  is confirmed it answers an error, which is retried (``label_retries`` × ``label_retry_wait``).
- ``GET /v1/organizations/{org}/shipments?created_at_gteq=…`` lists the shipments created since a time:
  a creation interrupted after the POST finds its shipment by ``reference`` instead of creating another.
- ``GET /v1/tracking/{number}`` gives ``tracking_details`` (status, datetime), mapped by ``STATUS_MAP``.
- ``GET /v1/points?name=…`` / ``?post_code=…`` searches parcel lockers.
- Errors are ``{"status", "error", "message", "details"}``; ``validation_failed`` details name the
  fields (nested objects and lists of codes), turned into ``CarrierRejected`` with our field names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from rexbit_desktop.adapters.carriers.base import (
    CarrierShipment,
    PickupPoint,
    Protocol_,
    ShipmentRequest,
    TrackingEvent,
    unsupported,
)
from rexbit_desktop.domain.errors import ConfigurationError
from rexbit_desktop.domain.shipping import (
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    FieldProblem,
    LabelNotReady,
    ShipmentStatus,
)

log = logging.getLogger(__name__)

URLS = {
    "sandbox": "https://sandbox-api-shipx-pl.easypack24.net",
    "production": "https://api-shipx-pl.easypack24.net",
}
TEMPLATES = {"A": "small", "B": "medium", "C": "large"}
LOCKER_SERVICE = "inpost_locker_standard"
COURIER_SERVICE = "inpost_courier_standard"
CONFIRMED = "confirmed"
NOT_YET_CONFIRMED = ("created", "offers_prepared", "offer_selected")

# ShipX tracking statuses → ours.
STATUS_MAP: dict[str, ShipmentStatus] = {
    "created": ShipmentStatus.CREATED,
    "offers_prepared": ShipmentStatus.CREATED,
    "offer_selected": ShipmentStatus.CREATED,
    "confirmed": ShipmentStatus.CONFIRMED,
    "dispatched_by_sender": ShipmentStatus.IN_TRANSIT,
    "dispatched_by_sender_to_pok": ShipmentStatus.IN_TRANSIT,
    "collected_from_sender": ShipmentStatus.IN_TRANSIT,
    "taken_by_courier": ShipmentStatus.IN_TRANSIT,
    "taken_by_courier_from_pok": ShipmentStatus.IN_TRANSIT,
    "adopted_at_source_branch": ShipmentStatus.IN_TRANSIT,
    "sent_from_source_branch": ShipmentStatus.IN_TRANSIT,
    "adopted_at_sorting_center": ShipmentStatus.IN_TRANSIT,
    "sent_from_sorting_center": ShipmentStatus.IN_TRANSIT,
    "adopted_at_target_branch": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery_to_address": ShipmentStatus.IN_TRANSIT,
    "ready_to_pickup": ShipmentStatus.READY_FOR_PICKUP,
    "ready_to_pickup_from_pok": ShipmentStatus.READY_FOR_PICKUP,
    "ready_to_pickup_from_branch": ShipmentStatus.READY_FOR_PICKUP,
    "pickup_reminder_sent": ShipmentStatus.READY_FOR_PICKUP,
    "stack_in_box_machine": ShipmentStatus.READY_FOR_PICKUP,
    "delivered": ShipmentStatus.DELIVERED,
    "returned_to_sender": ShipmentStatus.RETURNED,
    "rejected_by_receiver": ShipmentStatus.RETURNED,
    "canceled": ShipmentStatus.CANCELLED,
}

# ShipX field paths (list indexes dropped) → our field names (domain/shipping.FIELD_NAMES).
FIELD_MAP: dict[str, str] = {
    "receiver.address.post_code": "receiver.postcode",
    "receiver.address.city": "receiver.city",
    "receiver.address.street": "receiver.street",
    "receiver.address.building_number": "receiver.building_number",
    "receiver.address.country_code": "receiver.country",
    "receiver.phone": "receiver.phone",
    "receiver.email": "receiver.email",
    "receiver.first_name": "receiver.name",
    "receiver.last_name": "receiver.name",
    "receiver.name": "receiver.name",
    "receiver.company_name": "receiver.company",
    "custom_attributes.target_point": "target_point",
    "parcels.template": "parcel.size",
    "parcels.weight.amount": "parcel.weight",
    "parcels.weight": "parcel.weight",
    "parcels.dimensions": "parcel.dimensions",
    "parcels.dimensions.length": "parcel.dimensions",
    "parcels.dimensions.width": "parcel.dimensions",
    "parcels.dimensions.height": "parcel.dimensions",
    "cod.amount": "cod",
    "cod": "cod",
    "insurance.amount": "insurance",
    "insurance": "insurance",
    "service": "service",
    "reference": "reference",
    "sender": "sender",
    "sender.address.post_code": "sender.postcode",
}


def _flatten(details: Any, path: str = "") -> list[tuple[str, str]]:
    """ShipX validation details → (path, code) pairs."""
    out: list[tuple[str, str]] = []
    if isinstance(details, dict):
        for key, value in details.items():
            out += _flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(details, list):
        for item in details:
            out += _flatten(item, path)
    elif details is not None:
        out.append((path, str(details)))
    return out


def _problems(details: Any) -> list[FieldProblem]:
    problems = []
    for path, code in _flatten(details):
        problems.append(FieldProblem(FIELD_MAP.get(path, path), code, path))
    return problems


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": float(amount), "currency": currency}


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now().astimezone()
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ShipXClient:
    service = "inpost"
    name = "InPost"

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        organization_id: str,
        timeout: float = 20.0,
        label_type: str = "A6",
        label_retries: int = 10,
        label_retry_wait: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise ConfigurationError(
                "InPost: the API token is empty.",
                hint="Set 'token' or 'token_env'.",
                code="carrier_credentials_empty",
                params={"carrier": "InPost"},
            )
        self.organization_id = organization_id
        self.label_type = label_type
        self.label_retries = label_retries
        self.label_retry_wait = label_retry_wait
        self._sleep = sleep
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------ plumbing

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise CarrierUnavailable(
                f"InPost did not answer in time ({method} {url}).",
                code="carrier_timeout",
                params={"carrier": "InPost"},
            ) from exc
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(
                f"InPost cannot be reached: {exc.__class__.__name__}.",
                code="carrier_unreachable",
                params={"carrier": "InPost", "reason": exc.__class__.__name__},
            ) from exc
        if response.status_code >= 500:
            raise CarrierUnavailable(
                f"InPost answered {response.status_code} to {method} {url}; try again later.",
                code="carrier_server_error",
                params={"carrier": "InPost", "status": response.status_code},
            )
        if response.status_code in (401, 403):
            raise CarrierError(
                f"InPost refused the API token ({response.status_code}).",
                hint="Check the token and the organization id of the InPost carrier account.",
                code="carrier_login_refused",
                params={"carrier": "InPost", "reason": str(response.status_code)},
            )
        return response

    @staticmethod
    def _error(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {"status": response.status_code, "error": "unknown", "message": response.text[:200]}
        return body if isinstance(body, dict) else {"status": response.status_code, "error": str(body)}

    def _shipment(self, body: dict[str, Any]) -> CarrierShipment:
        status = str(body.get("status") or "")
        numbers = [body["tracking_number"]] if body.get("tracking_number") else []
        for parcel in body.get("parcels") or []:
            number = parcel.get("tracking_number")
            if number and number not in numbers:
                numbers.append(number)
        return CarrierShipment(
            external_id=str(body["id"]),
            carrier_status=status,
            confirmed=status not in NOT_YET_CONFIRMED and bool(numbers),
            tracking_numbers=numbers,
            reference=body.get("reference"),
        )

    # ------------------------------------------------------------ shipments

    def payload(self, request: ShipmentRequest) -> dict[str, Any]:
        r, p = request.receiver, request.parcel
        street, building = r.street_and_number()
        first, last = r.first_last()
        receiver: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "email": r.email,
            "phone": r.phone,
            "address": {
                "street": street,
                "building_number": building,
                "city": r.city,
                "post_code": r.postcode,
                "country_code": r.country or "PL",
            },
        }
        if r.company:
            receiver["company_name"] = r.company
        body: dict[str, Any] = {"receiver": receiver, "reference": request.reference}
        if p.target_point:
            body["service"] = LOCKER_SERVICE
            body["parcels"] = [{"template": TEMPLATES[p.size or "A"]}]
            body["custom_attributes"] = {"target_point": p.target_point, "sending_method": "dispatch_order"}
        else:
            body["service"] = COURIER_SERVICE
            parcel: dict[str, Any] = {"weight": {"amount": float(p.weight_kg), "unit": "kg"}}
            if p.size and not p.length_mm:
                parcel = {"template": TEMPLATES[p.size]}
            else:
                parcel["dimensions"] = {
                    "length": p.length_mm,
                    "width": p.width_mm,
                    "height": p.height_mm,
                    "unit": "mm",
                }
            body["parcels"] = [parcel]
        if p.cod:
            body["cod"] = _money(p.cod, request.currency)
        if p.insurance:
            body["insurance"] = _money(p.insurance, request.currency)
        if p.content:
            body["comments"] = p.content[:100]
        return body

    def create(self, request: ShipmentRequest) -> CarrierShipment:
        response = self._request(
            "POST", f"/v1/organizations/{self.organization_id}/shipments", json=self.payload(request)
        )
        if response.status_code in (200, 201):
            return self._shipment(response.json())
        error = self._error(response)
        raise CarrierRejected(
            carrier="InPost",
            problems=_problems(error.get("details")),
            detail=str(error.get("message") or error.get("error") or response.status_code),
        )

    def find(self, reference: str, since: datetime) -> CarrierShipment | None:
        page = 1
        while True:
            response = self._request(
                "GET",
                f"/v1/organizations/{self.organization_id}/shipments",
                params={"created_at_gteq": since.isoformat(), "per_page": 100, "page": page},
            )
            if response.status_code != 200:
                raise CarrierError(
                    f"InPost: the shipments list failed ({response.status_code}).",
                    code="carrier_request_failed",
                    params={"carrier": "InPost", "what": "shipments", "status": response.status_code},
                )
            body = response.json()
            for item in body.get("items") or []:
                if item.get("reference") == reference:
                    return self._shipment(item)
            total_pages = int(body.get("total_pages") or 1)
            if page >= total_pages:
                return None
            page += 1

    def get(self, external_id: str) -> CarrierShipment:
        response = self._request("GET", f"/v1/shipments/{external_id}")
        if response.status_code != 200:
            error = self._error(response)
            raise CarrierError(
                f"InPost: shipment {external_id}: {error.get('message') or error.get('error')}",
                code="carrier_shipment_unreadable",
                params={
                    "carrier": "InPost",
                    "shipment": external_id,
                    "reason": str(error.get("message") or error.get("error")),
                },
            )
        return self._shipment(response.json())

    def label(self, shipment: CarrierShipment, page_format: str | None = None) -> bytes:
        label_type = page_format or self.label_type
        for attempt in range(1, self.label_retries + 1):
            response = self._request(
                "GET",
                f"/v1/shipments/{shipment.external_id}/label",
                params={"format": "pdf", "type": label_type},
            )
            if response.status_code == 200 and response.content.startswith(b"%PDF"):
                return response.content
            if attempt < self.label_retries:
                log.info(
                    "InPost label of %s not ready (%s), retry %d",
                    shipment.external_id,
                    response.status_code,
                    attempt,
                )
                self._sleep(self.label_retry_wait)
        error = self._error(response)
        raise LabelNotReady(
            f"InPost has no label for shipment {shipment.external_id} yet "
            f"({error.get('error') or response.status_code}).",
            hint="Print the label again in a minute.",
            code="carrier_label_not_ready",
            params={
                "carrier": "InPost",
                "shipment": shipment.external_id,
                "reason": str(error.get("error") or response.status_code),
            },
        )

    def cancel(self, shipment: CarrierShipment) -> None:
        response = self._request("DELETE", f"/v1/shipments/{shipment.external_id}")
        if response.status_code not in (200, 204):
            error = self._error(response)
            raise CarrierError(
                f"InPost did not cancel shipment {shipment.external_id}: {error.get('message') or error.get('error')}",
                hint="A confirmed InPost shipment is cancelled in the InPost manager, not through the API.",
                code="carrier_cancel_refused",
                params={
                    "carrier": "InPost",
                    "shipment": shipment.external_id,
                    "reason": str(error.get("message") or error.get("error")),
                },
            )

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        response = self._request("GET", f"/v1/tracking/{tracking_number}")
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise CarrierError(
                f"InPost tracking of {tracking_number} failed ({response.status_code}).",
                code="carrier_request_failed",
                params={"carrier": "InPost", "what": "tracking", "status": response.status_code},
            )
        events = []
        for detail in response.json().get("tracking_details") or []:
            status = str(detail.get("status") or "")
            events.append(
                TrackingEvent(
                    carrier_status=status,
                    status=STATUS_MAP.get(status, ShipmentStatus.IN_TRANSIT),
                    occurred_at=_parse_time(detail.get("datetime")),
                    description=str(detail.get("origin_status") or status),
                )
            )
        return events

    def pickup_points(self, query: str) -> list[PickupPoint]:
        query = query.strip()
        params = {"post_code": query} if query[:2].isdigit() else {"name": query.upper()}
        response = self._request(
            "GET", "/v1/points", params={**params, "type": "parcel_locker", "per_page": 25}
        )
        if response.status_code != 200:
            raise CarrierError(
                f"InPost point search failed ({response.status_code}).",
                code="carrier_request_failed",
                params={"carrier": "InPost", "what": "points", "status": response.status_code},
            )
        points = []
        for item in response.json().get("items") or []:
            details = item.get("address_details") or {}
            street = " ".join(x for x in (details.get("street"), details.get("building_number")) if x)
            points.append(
                PickupPoint(
                    code=str(item.get("name") or ""),
                    description=str(item.get("location_description") or ""),
                    street=street,
                    postcode=str(details.get("post_code") or ""),
                    city=str(details.get("city") or ""),
                    status=str(item.get("status") or ""),
                )
            )
        return points

    def protocol(self, shipments: list[CarrierShipment], day: date) -> Protocol_:
        raise unsupported("a handover protocol", "InPost")
