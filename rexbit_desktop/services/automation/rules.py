"""Automation rules as settings: list, save, switch on/off, delete, and the dry run.

Rules are settings: viewing needs ``view``, changing them ``settings.edit`` (manager, admin). The three
built-in rules (the old order-settings switches) can be switched on and off here; their conditions and
actions are fixed (the WZ rule's status is chosen in the order settings).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.automation import AutomationRule
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.automation import (
    BUILTIN_WZ,
    OrderFacts,
    Rule,
    facts_match,
    parse_rule,
    rule_from_row,
    rule_to_dict,
)
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.order_settings import Automation
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.settings import load_settings, save_order_settings


def mail_available() -> bool:
    """Whether this rexbit has a mail module to send e-mail templates with."""
    return any(
        importlib.util.find_spec(name) is not None
        for name in ("rexbit_desktop.services.mail", "rexbit_desktop.services.messages")
    )


def _rule(row: AutomationRule) -> Rule:
    return rule_from_row(
        row.id,
        row.name,
        row.event,
        list(row.conditions or []),
        list(row.actions or []),
        row.enabled,
        row.priority,
        row.stop_on_failure,
        row.builtin,
    )


def load_rules(session: Session, *, enabled_only: bool = False) -> list[Rule]:
    stmt = select(AutomationRule).order_by(AutomationRule.priority, AutomationRule.id)
    if enabled_only:
        stmt = stmt.where(AutomationRule.enabled)
    return [_rule(r) for r in session.scalars(stmt)]


def list_rules(uow: UnitOfWork, actor: Actor) -> list[Rule]:
    actor.require(Permission.VIEW)
    with uow:
        return load_rules(uow.session)


def _get(session: Session, rule_id: int) -> AutomationRule:
    row = session.get(AutomationRule, rule_id)
    if row is None:
        raise NotFound(
            f"There is no automation rule {rule_id}.", code="rule_not_found", params={"rule": rule_id}
        )
    return row


def get_rule(uow: UnitOfWork, actor: Actor, rule_id: int) -> Rule:
    actor.require(Permission.VIEW)
    with uow:
        return _rule(_get(uow.session, rule_id))


def save_rule(uow: UnitOfWork, actor: Actor, data: dict[str, Any], *, rule_id: int | None = None) -> Rule:
    """Add a rule (``rule_id`` None) or replace one, from its JSON form; validated first."""
    actor.require(Permission.SETTINGS_EDIT)
    rule = parse_rule(data, mail_available=mail_available(), rule_id=rule_id)
    with uow:
        s = uow.session
        if rule_id is None:
            row = AutomationRule()
            s.add(row)
        else:
            row = _get(s, rule_id)
            if row.builtin is not None:
                raise ValidationError(
                    f"'{row.name}' is a built-in rule: only switch it on or off.",
                    hint="Its status is chosen in the order settings (automation.issue_wz_on).",
                    code="builtin_rule_fixed",
                    params={"name": row.name},
                )
        stored = rule_to_dict(rule)
        row.name, row.event, row.enabled = rule.name, rule.event, rule.enabled
        row.priority, row.stop_on_failure = rule.priority, rule.stop_on_failure
        row.conditions, row.actions = stored["conditions"], stored["actions"]
        row.updated_by = actor.login
        s.flush()
        result = _rule(row)
        uow.commit()
    return result


def set_rule_enabled(uow: UnitOfWork, actor: Actor, rule_id: int, enabled: bool) -> Rule:
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        row = _get(uow.session, rule_id)
        builtin, stored_conditions = row.builtin, list(row.conditions or [])
    if builtin is not None:
        # The switches of the order settings: change them there, so both stay one thing.
        settings = get_settings_for(uow)
        automation = settings.automation
        if builtin == BUILTIN_WZ:
            wz = automation.issue_wz_on
            if enabled and wz == "never":
                values = stored_conditions[0].get("value") if stored_conditions else None
                wz = next(
                    (v for v in (values or []) if v in ("picking", "ready_for_shipment")),
                    "ready_for_shipment",
                )
            new = Automation(
                automation.reserve_on_awaiting_fulfillment,
                wz if enabled else "never",
                automation.release_reservations_on_cancel,
            )
        else:
            values = {
                "reserve_on_awaiting_fulfillment": automation.reserve_on_awaiting_fulfillment,
                "issue_wz_on": automation.issue_wz_on,
                "release_reservations_on_cancel": automation.release_reservations_on_cancel,
            }
            values[builtin] = enabled
            new = Automation(**values)
        from dataclasses import replace

        save_order_settings(uow, actor, replace(settings, automation=new))
        return get_rule(uow, actor, rule_id)
    with uow:
        uow.session.execute(
            update(AutomationRule)
            .where(AutomationRule.id == rule_id)
            .values(enabled=enabled, updated_by=actor.login)
        )
        row = _get(uow.session, rule_id)
        uow.session.refresh(row)
        result = _rule(row)
        uow.commit()
    return result


def get_settings_for(uow: UnitOfWork) -> Any:
    with uow:
        return load_settings(uow.session)


def delete_rule(uow: UnitOfWork, actor: Actor, rule_id: int) -> None:
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        row = _get(uow.session, rule_id)
        if row.builtin is not None:
            raise ValidationError(
                f"'{row.name}' is a built-in rule: switch it off instead of deleting it.",
                code="builtin_rule_not_deleted",
                params={"name": row.name},
            )
        uow.session.execute(text("DELETE FROM automation_runs WHERE rule_id = :r"), {"r": rule_id})
        uow.session.execute(delete(AutomationRule).where(AutomationRule.id == rule_id))
        uow.commit()


# ------------------------------------------------------------------ facts and the dry run

_FACTS_SQL = text(
    """
SELECT o.id, o.number, o.status, o.payment_status, o.source, o.integration_id, o.total_gross,
       lower(coalesce(o.delivery_method, '')) AS delivery,
       (SELECT array_agg(DISTINCT lower(sh.carrier)) FROM order_shipments sh WHERE sh.order_id = o.id)
         AS carriers,
       (SELECT a.country FROM order_addresses a WHERE a.order_id = o.id
         ORDER BY (a.type = 'shipping') DESC, (a.type = 'customer') DESC LIMIT 1) AS country,
       EXISTS (SELECT 1 FROM order_addresses a WHERE a.order_id = o.id
               AND (coalesce(a.company, '') <> '' OR coalesce(a.vat_id, '') <> '')) AS is_company,
       EXISTS (SELECT 1 FROM order_notes n WHERE n.order_id = o.id) AS has_note,
       (SELECT array_agg(DISTINCT i.sku) FROM order_items i WHERE i.order_id = o.id AND i.sku IS NOT NULL)
         AS skus,
       coalesce((SELECT max(h.created_at) FROM order_status_history h WHERE h.order_id = o.id),
                o.created_at) AS status_since,
       (SELECT array_agg(t.tag) FROM order_tags t WHERE t.order_id = o.id) AS tags,
       (SELECT array_agg(sh.tracking_number ORDER BY sh.id) FROM order_shipments sh
         WHERE sh.order_id = o.id AND sh.tracking_number IS NOT NULL) AS tracking
FROM orders o
WHERE o.id = ANY(:ids)
"""
)


@dataclass(frozen=True)
class OrderSnapshot:
    facts: OrderFacts
    tracking: tuple[str, ...]


def load_facts(session: Session, order_ids: list[int] | set[int]) -> dict[int, OrderSnapshot]:
    """What the conditions (and webhook payloads) need for many orders, in one query."""
    if not order_ids:
        return {}
    result: dict[int, OrderSnapshot] = {}
    for r in session.execute(_FACTS_SQL, {"ids": sorted(order_ids)}):
        carriers = tuple(c for c in [r.delivery, *(r.carriers or [])] if c)
        facts = OrderFacts(
            order_id=r.id,
            number=r.number,
            status=r.status,
            payment_status=r.payment_status,
            source=r.source,
            integration_id=r.integration_id,
            total_gross=Decimal(r.total_gross),
            carriers=carriers,
            country=r.country,
            is_company=bool(r.is_company),
            has_note=bool(r.has_note),
            skus=frozenset(r.skus or ()),
            status_since=r.status_since,
            tags=frozenset(str(t) for t in (r.tags or [])),
        )
        result[r.id] = OrderSnapshot(facts, tuple(r.tracking or ()))
    return result


@dataclass(frozen=True)
class DryRunDTO:
    rule_id: int
    rule_name: str
    checked: int
    matched: int
    orders: list[str]
    """Numbers of the matching orders (at most ``limit``)."""


def dry_run(
    uow: UnitOfWork, actor: Actor, rule_id: int, *, limit: int = 200, now: datetime | None = None
) -> DryRunDTO:
    """Which orders would this rule's conditions match now? Orders not finished (not completed,
    cancelled or returned) are checked; conditions on the event (from/to status) are read against
    the order's current status. Nothing is changed."""
    actor.require(Permission.VIEW)
    now = now or datetime.now(UTC)
    with uow:
        s = uow.session
        rule = _rule(_get(s, rule_id))
        checked = matched = 0
        numbers: list[str] = []
        last = 0
        while True:
            ids = list(
                s.scalars(
                    text(
                        "SELECT id FROM orders WHERE id > :last AND status NOT IN "
                        "('completed', 'cancelled', 'returned') ORDER BY id LIMIT 2000"
                    ),
                    {"last": last},
                )
            )
            if not ids:
                break
            last = ids[-1]
            for snap in load_facts(s, ids).values():
                checked += 1
                if facts_match(rule, snap.facts, now):
                    matched += 1
                    if len(numbers) < limit:
                        numbers.append(snap.facts.number)
        return DryRunDTO(rule.id or 0, rule.name, checked, matched, sorted(numbers))
