"""Order settings: read and change them (the UI's settings page and ``rexbit orders settings``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.automation import AutomationRule
from rexbit_desktop.db.models.catalog import Warehouse
from rexbit_desktop.db.models.orders import OrderSetting
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.automation import (
    BUILTIN_RULE_NAMES,
    BUILTINS,
    automation_section,
    builtin_rule_fields,
    wz_status_of,
)
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.order_settings import (
    OrderSettings,
    apply_setting,
    settings_from_sections,
    settings_to_sections,
    validate_settings,
)
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.automation import events as automation_events

_CACHE_KEY = "rexbit.order_settings"
_SECTIONS_KEY = "rexbit.order_settings.sections"


_SETTINGS_SQL = (
    "(SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM order_settings)"
    " || jsonb_build_object('_builtin_rules', (SELECT coalesce(jsonb_agg(jsonb_build_array("
    "builtin, enabled, conditions)), '[]'::jsonb) FROM automation_rules WHERE builtin IS NOT NULL))"
    # What automation wants to hear about (events of enabled rules, types of enabled webhook endpoints):
    # a transaction whose events nobody wants skips writing them (services/automation/events.py).
    " || jsonb_build_object('_automation_wanted', (SELECT coalesce(jsonb_agg(w), '[]'::jsonb) FROM ("
    "SELECT event AS w FROM automation_rules WHERE enabled AND builtin IS NULL UNION "
    "SELECT jsonb_array_elements_text(event_types) FROM webhook_endpoints WHERE enabled) x))"
)


def _with_builtin_rules(sections: dict[str, Any]) -> dict[str, Any]:
    """The ``automation`` section comes from the three built-in automation rules (the switches moved
    there, migration 0015); the rest from ``order_settings``."""
    sections = dict(sections)
    rows = sections.pop("_builtin_rules", None) or []
    sections.pop("_automation_wanted", None)
    sections["automation"] = {
        **(sections.get("automation") or {}),
        **automation_section([(r[0], r[1], r[2]) for r in rows]),
    }
    return sections


def _remember_wanted(session: Session, sections: dict[str, Any]) -> None:
    wanted = sections.get("_automation_wanted")
    if wanted is not None:
        session.info[automation_events.WANTED_KEY] = frozenset(wanted)


def load_settings(session: Session) -> OrderSettings:
    """The settings, read once per session (a use case reads them in several places)."""
    cached = session.info.get(_CACHE_KEY)
    if cached is None:
        sections = session.execute(select(settings_column())).scalar_one() or {}
        _remember_wanted(session, sections)
        cached = settings_from_sections(_with_builtin_rules(sections))
        session.info[_CACHE_KEY] = cached
        session.info[_SECTIONS_KEY] = sections
    return cached  # type: ignore[no-any-return]


def settings_loaded(session: Session) -> bool:
    return _CACHE_KEY in session.info


def settings_column() -> ScalarSelect[Any]:
    """All settings rows as one JSON object, to be read along with another query (one round trip less
    per use case: ``find_order`` reads the order and the settings together)."""
    return select(literal_column(_SETTINGS_SQL)).scalar_subquery()


def prime_settings(session: Session, sections: dict[str, Any] | None) -> None:
    """Cache settings read by ``settings_column`` for the session (as ``load_settings`` would)."""
    if _CACHE_KEY not in session.info:
        _remember_wanted(session, sections or {})
        session.info[_CACHE_KEY] = settings_from_sections(_with_builtin_rules(dict(sections or {})))
        session.info[_SECTIONS_KEY] = dict(sections or {})


def settings_section(session: Session, key: str) -> Any:
    """One settings row's raw JSON value (sections other areas keep here, e.g. ``mail_automation``),
    from the same read as the settings: no extra round trip once they are loaded."""
    if _SECTIONS_KEY not in session.info:
        session.info.pop(_CACHE_KEY, None)
        load_settings(session)
    return session.info[_SECTIONS_KEY].get(key)


def _store_builtin_rules(session: Session, settings: OrderSettings, actor: Actor) -> None:
    rows = {
        r.builtin: r
        for r in session.execute(
            select(AutomationRule.builtin, AutomationRule.conditions).where(
                AutomationRule.builtin.is_not(None)
            )
        )
    }
    for builtin in BUILTINS:
        previous = rows.get(builtin)
        fields = builtin_rule_fields(
            builtin, settings.automation, wz_status_of(previous.conditions) if previous else None
        )
        if previous is not None:
            session.execute(
                update(AutomationRule)
                .where(AutomationRule.builtin == builtin)
                .values(
                    enabled=fields["enabled"],
                    conditions=fields["conditions"],
                    updated_by=actor.login,
                )
            )
        else:
            session.add(
                AutomationRule(
                    name=BUILTIN_RULE_NAMES[builtin],
                    event="status_changed",
                    priority=0,
                    builtin=builtin,
                    updated_by=actor.login,
                    **fields,
                )
            )
    session.flush()


def _store(session: Session, settings: OrderSettings, actor: Actor) -> None:
    session.info[_CACHE_KEY] = settings
    session.info.pop(_SECTIONS_KEY, None)
    for key, value in settings_to_sections(settings).items():
        if key == "automation":
            # The three switches are the built-in rules; any other automation setting stays here.
            _store_builtin_rules(session, settings, actor)
            value = {k: v for k, v in value.items() if k not in BUILTINS}
        stmt = pg_insert(OrderSetting).values(key=key, value=value, updated_by=actor.login)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[OrderSetting.key], set_={"value": value, "updated_by": actor.login}
            )
        )


def _check_warehouse(session: Session, code: str | None) -> None:
    if code is not None and session.scalar(select(Warehouse.id).where(Warehouse.code == code)) is None:
        raise NotFound(f"There is no warehouse '{code}'.", code="warehouse_not_found", params={"code": code})


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
        raise ValidationError("Name the setting to change.", code="setting_name_missing")
    with uow:
        new = apply_setting(load_settings(uow.session), key, value)
        _check_warehouse(uow.session, new.default_warehouse)
        _store(uow.session, new, actor)
        uow.commit()
    return new
