"""KPI settings: stored as the ``kpi`` row of ``order_settings`` (read by managers, changed by them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.orders import OrderSetting
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.kpi import KpiSettings, kpi_settings_from_dict, kpi_settings_to_dict
from rexbit_desktop.domain.roles import Actor, Permission

SECTION = "kpi"


def load_kpi_settings(session: Session) -> KpiSettings:
    stored = session.execute(select(OrderSetting.value).where(OrderSetting.key == SECTION)).scalar()
    return kpi_settings_from_dict(stored)


def get_kpi_settings(uow: UnitOfWork, actor: Actor) -> KpiSettings:
    actor.require(Permission.VIEW)
    with uow:
        return load_kpi_settings(uow.session)


def save_kpi_settings(uow: UnitOfWork, actor: Actor, values: dict[str, Any] | KpiSettings) -> KpiSettings:
    """Validate and store; the calendar follows on the next dashboard read or refresh."""
    actor.require(Permission.SETTINGS_EDIT)
    data = kpi_settings_to_dict(values) if isinstance(values, KpiSettings) else values
    settings = kpi_settings_from_dict(data)
    with uow:
        stmt = pg_insert(OrderSetting).values(
            key=SECTION, value=kpi_settings_to_dict(settings), updated_by=actor.login
        )
        uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[OrderSetting.key],
                set_={"value": stmt.excluded.value, "updated_by": stmt.excluded.updated_by},
            )
        )
        uow.commit()
    return settings
