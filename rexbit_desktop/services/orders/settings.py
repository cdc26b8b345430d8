"""Order settings: read and change them (the UI's settings page and ``rexbit orders settings``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.catalog import Warehouse
from rexbit_desktop.db.models.orders import OrderSetting
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.order_settings import (
    OrderSettings,
    apply_setting,
    settings_from_sections,
    settings_to_sections,
    validate_settings,
)
from rexbit_desktop.domain.roles import Actor, Permission

_CACHE_KEY = "rexbit.order_settings"


def load_settings(session: Session) -> OrderSettings:
    """The settings, read once per session (a use case reads them in several places)."""
    cached = session.info.get(_CACHE_KEY)
    if cached is None:
        rows = session.execute(select(OrderSetting.key, OrderSetting.value)).all()
        cached = settings_from_sections({key: value for key, value in rows})
        session.info[_CACHE_KEY] = cached
    return cached  # type: ignore[no-any-return]


def settings_loaded(session: Session) -> bool:
    return _CACHE_KEY in session.info


def settings_column() -> ScalarSelect[Any]:
    """All settings rows as one JSON object, to be read along with another query (one round trip less
    per use case: ``find_order`` reads the order and the settings together)."""
    return select(
        func.coalesce(func.jsonb_object_agg(OrderSetting.key, OrderSetting.value), text("'{}'::jsonb"))
    ).scalar_subquery()


def prime_settings(session: Session, sections: dict[str, Any] | None) -> None:
    """Cache settings read by ``settings_column`` for the session (as ``load_settings`` would)."""
    if _CACHE_KEY not in session.info:
        session.info[_CACHE_KEY] = settings_from_sections(dict(sections or {}))


def _store(session: Session, settings: OrderSettings, actor: Actor) -> None:
    session.info[_CACHE_KEY] = settings
    for key, value in settings_to_sections(settings).items():
        stmt = pg_insert(OrderSetting).values(key=key, value=value, updated_by=actor.login)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[OrderSetting.key], set_={"value": value, "updated_by": actor.login}
            )
        )


def _check_warehouse(session: Session, code: str | None) -> None:
    if code is not None and session.scalar(select(Warehouse.id).where(Warehouse.code == code)) is None:
        raise NotFound(
            f"There is no warehouse '{code}'.", hint="Add it with: rexbit warehouse add --code=..."
        )


def get_order_settings(uow: UnitOfWork, actor: Actor) -> OrderSettings:
    actor.require(Permission.VIEW)
    with uow:
        return load_settings(uow.session)


def save_order_settings(uow: UnitOfWork, actor: Actor, settings: OrderSettings) -> OrderSettings:
    """Replace all settings (the UI's settings page saves the whole form)."""
    actor.require(Permission.SETTINGS_EDIT)
    validate_settings(settings)
    with uow:
        _check_warehouse(uow.session, settings.default_warehouse)
        _store(uow.session, settings, actor)
        uow.commit()
    return settings


def set_order_setting(uow: UnitOfWork, actor: Actor, key: str, value: Any) -> OrderSettings:
    """Change one dotted key (``automation.issue_wz_on``, ``statuses.paid.colour`` …)."""
    actor.require(Permission.SETTINGS_EDIT)
    if not key.strip():
        raise ValidationError("Name the setting to change.")
    with uow:
        new = apply_setting(load_settings(uow.session), key, value)
        _check_warehouse(uow.session, new.default_warehouse)
        _store(uow.session, new, actor)
        uow.commit()
    return new
