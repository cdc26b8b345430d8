"""Carrier accounts: add, change, list (secrets redacted), and the client for an account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.carriers.base import CarrierClient
from rexbit_desktop.adapters.carriers.config import redacted_config, validate_carrier_config
from rexbit_desktop.db.models.shipping import CarrierAccount
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.shipping import CARRIER_SERVICES


@dataclass(frozen=True)
class CarrierAccountDTO:
    id: int
    code: str
    service: str
    name: str
    enabled: bool
    config: dict[str, Any]
    """Redacted: secrets show as ***."""


ClientFactory = Callable[[str, dict[str, Any]], CarrierClient]
"""(service, config) → client; tests and the benchmark pass their own, everyone else ``make_client``."""


def _dto(row: CarrierAccount) -> CarrierAccountDTO:
    return CarrierAccountDTO(
        row.id, row.code, row.service, row.name, row.enabled, redacted_config(row.config)
    )


def save_carrier_account(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    service: str,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    enabled: bool = True,
) -> CarrierAccountDTO:
    """Add the account of a carrier code, or replace its service and configuration."""
    actor.require(Permission.INTEGRATIONS_EDIT)
    code = code.strip().lower()
    if not code:
        raise ValidationError(
            "A carrier account needs a code (the carrier code of the order settings).",
            code="carrier_account_code_missing",
        )
    if service not in CARRIER_SERVICES:
        raise ValidationError(
            f"Unknown carrier service '{service}'.",
            hint="Use inpost, dpd or manual.",
            code="unknown_carrier_service",
            params={"service": service},
        )
    cfg = validate_carrier_config(service, dict(config or {}))
    with uow:
        s = uow.session
        row = s.scalar(select(CarrierAccount).where(CarrierAccount.code == code).with_for_update())
        if row is None:
            row = CarrierAccount(code=code, service=service, name=name or code, config=cfg, enabled=enabled)
            s.add(row)
        else:
            row.service, row.config, row.enabled = service, cfg, enabled
            if name:
                row.name = name
        s.flush()
        dto = _dto(row)
        uow.commit()
    return dto


def list_carrier_accounts(uow: UnitOfWork, actor: Actor) -> list[CarrierAccountDTO]:
    actor.require(Permission.VIEW)
    with uow:
        return [_dto(r) for r in uow.session.scalars(select(CarrierAccount).order_by(CarrierAccount.code))]


def find_account(session: Session, code: str) -> CarrierAccount:
    row = session.scalar(select(CarrierAccount).where(CarrierAccount.code == code.strip().lower()))
    if row is None:
        raise NotFound(
            f"There is no carrier account '{code}'.",
            code="carrier_account_not_found",
            params={"code": code},
        )
    if not row.enabled:
        raise ValidationError(
            f"The carrier account '{row.code}' is switched off.",
            code="carrier_account_off",
            params={"code": row.code},
        )
    return row


def enabled_accounts(session: Session) -> list[CarrierAccount]:
    return list(
        session.scalars(select(CarrierAccount).where(CarrierAccount.enabled).order_by(CarrierAccount.code))
    )
