"""DPD Polska (SOAP with zeep; login, password, FID; demo or production).

- ``generatePackagesNumbersV4`` registers a package (its parcels get waybill numbers) with the policy
  ``ALL_OR_NOTHING``: when any field is refused nothing is registered, and the answer's
  ``ValidationDetails`` name the fields (``CarrierRejected``). DPD answers at once: no confirmation step.
- ``generateSpedLabelsV4`` returns the labels as base64 PDF (``documentData``), A4 or ``LBL_PRINTER``.
- ``generateProtocolV2`` returns the handover protocol of the given packages (PDF).
- ``DPDInfoServices`` ``getEventsForWaybillV1`` gives the parcel's events (``businessCode``, ``eventTime``,
  ``description``), mapped by ``EVENT_MAP`` (codes) and the description.

The WSDLs are stored in ``resources/carriers/dpd`` (no network at import or client creation); the
endpoint addresses come from the carrier account (``url``, ``info_url``) or the environment's default.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from zeep.helpers import serialize_object
from zeep.transports import Transport

from rexbit_desktop.adapters.carriers.base import (
    CarrierShipment,
    Party,
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
    ShipmentStatus,
)

log = logging.getLogger(__name__)

URLS = {
    "demo": "https://dpdservicesdemo.dpd.com.pl/DPDPackageObjServicesService/DPDPackageObjServices",
    "production": "https://dpdservices.dpd.com.pl/DPDPackageObjServicesService/DPDPackageObjServices",
}
INFO_URL = "https://dpdinfoservices.dpd.com.pl/DPDInfoServicesObjEventsService/DPDInfoServicesObjEvents"
WSDL_DIR = Path(__file__).resolve().parents[2] / "resources" / "carriers" / "dpd"
PACKAGE_BINDING = "{http://dpdservices.dpd.com.pl/}DPDPackageObjServicesPortBinding"
INFO_BINDING = "{http://events.dpdinfoservices.dpd.com.pl/}DPDInfoServicesObjEventsPortBinding"

# DPD field names in ValidationDetails.FieldNames → ours.
FIELD_MAP: dict[str, str] = {
    "RECEIVER_POSTAL_CODE": "receiver.postcode",
    "RECEIVER_CITY": "receiver.city",
    "RECEIVER_ADDRESS": "receiver.street",
    "RECEIVER_NAME": "receiver.name",
    "RECEIVER_COMPANY": "receiver.company",
    "RECEIVER_PHONE": "receiver.phone",
    "RECEIVER_EMAIL": "receiver.email",
    "RECEIVER_COUNTRY_CODE": "receiver.country",
    "SENDER_POSTAL_CODE": "sender.postcode",
    "SENDER": "sender",
    "WEIGHT": "parcel.weight",
    "SIZE_X": "parcel.dimensions",
    "SIZE_Y": "parcel.dimensions",
    "SIZE_Z": "parcel.dimensions",
    "COD_AMOUNT": "cod",
    "DECLARED_VALUE_AMOUNT": "insurance",
}
# DPD error codes → our problem codes.
CODE_MAP: dict[str, str] = {
    "INCORRECT_POSTAL_CODE": "invalid",
    "INCORRECT_VALUE": "invalid",
    "INCORRECT_WEIGHT": "invalid",
    "FIELD_IS_REQUIRED": "required",
    "MISSING_DATA": "required",
    "VALUE_TOO_LONG": "too_long",
}
# DPD parcel event business codes → ours (the rest are movements: in transit).
EVENT_MAP: dict[str, ShipmentStatus] = {
    "030103": ShipmentStatus.CONFIRMED,  # package data registered
    "190101": ShipmentStatus.DELIVERED,
    "190102": ShipmentStatus.DELIVERED,
    "190104": ShipmentStatus.DELIVERED,
    "230101": ShipmentStatus.RETURNED,
}


def _event_status(code: str, description: str) -> ShipmentStatus:
    if code in EVENT_MAP:
        return EVENT_MAP[code]
    text = description.lower()
    if "doręczon" in text or "delivered" in text:
        return ShipmentStatus.DELIVERED
    if "zwrot" in text or "returned" in text:
        return ShipmentStatus.RETURNED
    if "odbioru w punkcie" in text or "pickup point" in text:
        return ShipmentStatus.READY_FOR_PICKUP
    return ShipmentStatus.IN_TRANSIT


def _wsdl(name: str) -> str:
    return str(WSDL_DIR / name)


def _address(party: Party, fid: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address": party.street,
        "city": party.city,
        "company": party.company or None,
        "countryCode": party.country or "PL",
        "email": party.email or None,
        "name": party.name,
        "phone": party.phone or None,
        "postalCode": party.postcode.replace("-", ""),
    }
    if fid is not None:
        out["fid"] = fid
    return out


class DpdClient:
    service = "dpd"
    name = "DPD"

    def __init__(
        self,
        *,
        url: str,
        info_url: str,
        login: str,
        password: str,
        fid: int,
        sender: Party,
        timeout: float = 30.0,
        label_page_format: str = "LBL_PRINTER",
        info_channel: str = "",
    ) -> None:
        if not login or not password:
            raise ConfigurationError(
                "DPD: the login or the password is empty.",
                hint="Set 'login' and 'password' or 'password_env'.",
                code="carrier_credentials_empty",
                params={"carrier": "DPD"},
            )
        self.login, self.password, self.fid = login, password, int(fid)
        self.sender = sender
        self.label_page_format = label_page_format
        self.info_channel = info_channel
        session = requests.Session()
        transport = Transport(session=session, timeout=timeout, operation_timeout=timeout)
        settings = zeep.Settings(strict=False, xml_huge_tree=False)
        self._package_client = zeep.Client(
            _wsdl("DPDPackageObjServices.wsdl"), transport=transport, settings=settings
        )
        self._info_client = zeep.Client(
            _wsdl("DPDInfoServicesObjEvents.wsdl"), transport=transport, settings=settings
        )
        self.packages = self._package_client.create_service(PACKAGE_BINDING, url)
        self.info = self._info_client.create_service(INFO_BINDING, info_url)
        self._http = session

    def close(self) -> None:
        self._http.close()

    def _auth(self) -> dict[str, Any]:
        return {"login": self.login, "masterFid": self.fid, "password": self.password}

    def _call(self, operation: Any, what: str, **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except zeep.exceptions.Fault as exc:
            text = str(exc.message or "")
            if "auth" in text.lower() or "login" in text.lower():
                raise CarrierError(
                    f"DPD refused the login ({text}).",
                    hint="Check the login, password and FID of the DPD account.",
                    code="carrier_login_refused",
                    params={"carrier": "DPD", "reason": text},
                ) from exc
            raise CarrierError(
                f"DPD refused {what}: {text}",
                code="carrier_call_refused",
                params={"carrier": "DPD", "what": what, "reason": text},
            ) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise CarrierUnavailable(
                f"DPD cannot be reached ({what}): {exc.__class__.__name__}.",
                code="carrier_unreachable",
                params={"carrier": "DPD", "reason": exc.__class__.__name__},
            ) from exc
        except zeep.exceptions.TransportError as exc:
            raise CarrierUnavailable(
                f"DPD answered {exc.status_code} to {what}; try again later.",
                code="carrier_server_error",
                params={"carrier": "DPD", "status": exc.status_code},
            ) from exc
        except zeep.exceptions.Error as exc:
            raise CarrierError(
                f"DPD's answer to {what} could not be read: {exc}",
                code="carrier_answer_unreadable",
                params={"carrier": "DPD", "what": what, "reason": str(exc)},
            ) from exc

    # ------------------------------------------------------------ shipments

    def create(self, request: ShipmentRequest) -> CarrierShipment:
        p = request.parcel
        parcel: dict[str, Any] = {
            "reference": request.reference,
            "weight": float(p.weight_kg),
            "content": p.content or None,
        }
        if p.length_mm and p.width_mm and p.height_mm:
            # DPD takes centimetres.
            parcel.update(
                sizeX=max(1, round(p.length_mm / 10)),
                sizeY=max(1, round(p.width_mm / 10)),
                sizeZ=max(1, round(p.height_mm / 10)),
            )
        services: dict[str, Any] = {}
        if p.cod:
            services["cod"] = {"amount": f"{p.cod:.2f}", "currency": request.currency}
        if p.insurance:
            services["declaredValue"] = {"amount": f"{p.insurance:.2f}", "currency": request.currency}
        package = {
            "parcels": [dict(parcel, reference=f"{request.reference}/{n}") for n in range(1, p.parcels + 1)],
            "payerType": "SENDER",
            "receiver": _address(request.receiver),
            "reference": request.reference,
            "ref1": request.order_number,
            "sender": _address(self.sender, self.fid),
            "services": services or None,
        }
        result = self._call(
            self.packages.generatePackagesNumbersV4,
            "the package",
            openUMLFeV3={"packages": [package]},
            pkgNumsGenerationPolicyV1="ALL_OR_NOTHING",
            langCode="PL",
            authDataV1=self._auth(),
        )
        data = serialize_object(result, dict)
        packages = ((data or {}).get("Packages") or {}).get("Package") or []
        status = str((data or {}).get("Status") or "")
        if status != "OK" or not packages or any(str(pk.get("Status")) != "OK" for pk in packages):
            raise CarrierRejected(
                carrier="DPD", problems=self._problems(packages), detail=status or "no answer"
            )
        pkg = packages[0]
        parcels = (pkg.get("Parcels") or {}).get("Parcel") or []
        waybills = [str(x["Waybill"]) for x in parcels if x.get("Waybill")]
        return CarrierShipment(
            external_id=str(pkg["PackageId"]),
            carrier_status="registered",
            confirmed=bool(waybills),
            tracking_numbers=waybills,
            reference=pkg.get("Reference"),
            extra={
                "package_id": int(pkg["PackageId"]),
                "parcels": [{"parcel_id": int(x["ParcelId"]), "waybill": str(x["Waybill"])} for x in parcels],
                "session_id": data.get("SessionId"),
            },
        )

    @staticmethod
    def _problems(packages: list[dict[str, Any]]) -> list[FieldProblem]:
        infos: list[dict[str, Any]] = []
        for pk in packages:
            infos += (pk.get("ValidationDetails") or {}).get("ValidationInfo") or []
            for parcel in (pk.get("Parcels") or {}).get("Parcel") or []:
                infos += (parcel.get("ValidationDetails") or {}).get("ValidationInfo") or []
        problems = []
        for info in infos:
            code = str(info.get("ErrorCode") or "")
            for name in str(info.get("FieldNames") or "").split(","):
                name = name.strip()
                if name:
                    problems.append(
                        FieldProblem(FIELD_MAP.get(name, name), CODE_MAP.get(code, code or "invalid"), name)
                    )
            if not info.get("FieldNames"):
                problems.append(FieldProblem(code, str(info.get("Info") or code), code))
        return problems

    def find(self, reference: str, since: datetime) -> CarrierShipment | None:
        # DPD has no search by reference; its creation is one synchronous call (see services/shipping).
        return None

    def get(self, external_id: str) -> CarrierShipment:
        raise unsupported("reading a package back", "DPD")

    def _session(self, shipments: list[CarrierShipment]) -> dict[str, Any]:
        return {
            "packages": [
                {
                    "packageId": s.extra.get("package_id") or int(s.external_id),
                    "parcels": [
                        {"parcelId": p["parcel_id"], "waybill": p["waybill"]}
                        for p in s.extra.get("parcels") or []
                    ],
                }
                for s in shipments
            ],
            "sessionType": "DOMESTIC",
        }

    def label(self, shipment: CarrierShipment, page_format: str | None = None) -> bytes:
        result = self._call(
            self.packages.generateSpedLabelsV4,
            "the labels",
            dpdServicesParamsV1={"policy": "STOP_ON_FIRST_ERROR", "session": self._session([shipment])},
            outputDocFormatV1="PDF",
            outputDocPageFormatV1=page_format or self.label_page_format,
            outputLabelType="BIC3",
            labelVariant=None,
            authDataV1=self._auth(),
        )
        return self._document(result, "label")

    @staticmethod
    def _document(result: Any, what: str) -> bytes:
        data = serialize_object(result, dict) or {}
        session = data.get("session") or {}
        status = str(((session.get("statusInfo") or {}).get("status")) or "OK")
        content = data.get("documentData")
        if status != "OK" or not content:
            description = (session.get("statusInfo") or {}).get("description") or status
            raise CarrierError(
                f"DPD gave no {what}: {description}",
                code="carrier_no_document",
                params={"carrier": "DPD", "what": what, "reason": str(description)},
            )
        if not bytes(content).startswith(b"%PDF"):
            raise CarrierError(
                f"DPD's {what} is not a PDF.",
                code="carrier_document_not_pdf",
                params={"carrier": "DPD", "what": what},
            )
        return bytes(content)

    def cancel(self, shipment: CarrierShipment) -> None:
        # A DPD package that was not handed over (no protocol) is never picked up: nothing to cancel there.
        return None

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        auth: dict[str, Any] = {"login": self.login, "password": self.password}
        if self.info_channel:
            auth["channel"] = self.info_channel
        result = self._call(
            self.info.getEventsForWaybillV1,
            "the tracking",
            waybill=tracking_number,
            eventsSelectType="ALL",
            language="PL",
            authDataV1=auth,
        )
        data = serialize_object(result, dict) or {}
        events = []
        for event in data.get("eventsList") or []:
            code = str(event.get("businessCode") or "")
            description = str(event.get("description") or "")
            when = event.get("eventTime") or datetime.now().astimezone()
            if when.tzinfo is None:
                when = when.astimezone()
            events.append(TrackingEvent(code, _event_status(code, description), when, description))
        return events

    def pickup_points(self, query: str) -> list[PickupPoint]:
        raise unsupported("a pickup point search here", "DPD")

    def protocol(self, shipments: list[CarrierShipment], day: date) -> Protocol_:
        pickup = _address(self.sender, self.fid)
        result = self._call(
            self.packages.generateProtocolV2,
            "the protocol",
            dpdServicesParamsV1={
                "policy": "STOP_ON_FIRST_ERROR",
                "pickupAddress": pickup,
                "session": self._session(shipments),
            },
            outputDocFormatV1="PDF",
            outputDocPageFormatV1="A4",
            authDataV1=self._auth(),
        )
        data = serialize_object(result, dict) or {}
        return Protocol_(
            document_id=str(data.get("documentId") or ""), content=self._document(result, "protocol")
        )
