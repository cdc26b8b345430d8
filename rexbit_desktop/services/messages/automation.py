"""Automatic e-mails per status: "send template X when an order enters status Y" (per order source).

The rules are the ``mail_automation`` section of the order settings (read with the settings, so the
status change pays no extra query to learn whether a rule applies). A rule makes the status change defer
the queued listener (``orders:order_status_changed``); there ``send_on_status_change`` enqueues the
e-mail under the key (order, template, "status:<status>@<time of the change>"): the job may run again
(the shop was unreachable, a worker died) and the customer still gets one e-mail.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.mail import MailTemplate
from rexbit_desktop.db.models.orders import Order, OrderSetting
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import RexbitError, ValidationError
from rexbit_desktop.domain.orders import parse_status
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.settings import settings_section
from rexbit_desktop.services.orders.workflow import OrderStatusChanged

log = logging.getLogger(__name__)

SECTION = "mail_automation"


@dataclass(frozen=True)
class MailRule:
    status: str
    template: str
    sources: list[str] | None = None
    """None: every order; else the ``orders.source`` values it applies to (manual, prestashop …)."""
    enabled: bool = True

    def applies(self, status: str, source: str) -> bool:
        return self.enabled and self.status == status and (self.sources is None or source in self.sources)


def parse_rules(section: Any) -> list[MailRule]:
    rules = (section or {}).get("rules") if isinstance(section, dict) else None
    result = []
    for raw in rules or []:
        if isinstance(raw, dict) and raw.get("status") and raw.get("template"):
            sources = raw.get("sources")
            result.append(
                MailRule(
                    str(raw["status"]),
                    str(raw["template"]),
                    [str(s) for s in sources] if isinstance(sources, list) else None,
                    bool(raw.get("enabled", True)),
                )
            )
    return result


DEFAULT_LANGUAGE = "pl"


def default_language(session: Session) -> str:
    """The language of e-mails to orders that have none of their own (typed in by hand): kept in the
    same settings section as the rules (read with the order settings, no extra query)."""
    section = settings_section(session, SECTION)
    value = section.get("default_language") if isinstance(section, dict) else None
    return str(value) if value else DEFAULT_LANGUAGE


def _check_language(code: str) -> str:
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z]{2}", code):
        raise ValidationError(
            f"'{code}' is not a language code (two letters: pl, en, de …).",
            code="mail_bad_language",
            params={"language": code},
        )
    return code


def mail_rules(session: Session) -> list[MailRule]:
    return parse_rules(settings_section(session, SECTION))


def mail_rule_applies(session: Session, order: Order, to_status: str) -> bool:
    """The workflow's ``QUEUE_WANTED`` predicate (wired in services/wiring.py)."""
    return any(rule.applies(to_status, order.source) for rule in mail_rules(session))


def get_mail_rules(uow: UnitOfWork, actor: Actor) -> list[MailRule]:
    actor.require(Permission.VIEW)
    with uow:
        return mail_rules(uow.session)


@dataclass(frozen=True)
class MailSettings:
    rules: list[MailRule]
    default_language: str


def get_mail_settings(uow: UnitOfWork, actor: Actor) -> MailSettings:
    actor.require(Permission.VIEW)
    with uow:
        return MailSettings(mail_rules(uow.session), default_language(uow.session))


def save_mail_rules(
    uow: UnitOfWork, actor: Actor, rules: list[MailRule], *, default_language: str | None = None
) -> list[MailRule]:
    """Replace the rules (settings, manager/admin), and the default language when given (else it is
    kept). Unknown statuses and templates are refused."""
    actor.require(Permission.SETTINGS_EDIT)
    with uow:
        s = uow.session
        section = settings_section(s, SECTION)
        language = (
            _check_language(default_language)
            if default_language is not None
            else (section.get("default_language") if isinstance(section, dict) else None)
        )
        known = set(s.scalars(select(MailTemplate.code)))
        for rule in rules:
            parse_status(rule.status)
            if rule.template not in known:
                raise ValidationError(
                    f"There is no mail template '{rule.template}'.",
                    hint="Templates: " + ", ".join(sorted(known)),
                    code="mail_template_not_found",
                    params={"code": rule.template, "known": sorted(known)},
                )
            if rule.sources is not None and not all(isinstance(x, str) and x for x in rule.sources):
                raise ValidationError(
                    "A rule's sources are order sources such as manual or prestashop.",
                    code="mail_rule_sources",
                )
        value: dict[str, Any] = {"rules": [asdict(r) for r in rules]}
        if language:
            value["default_language"] = language
        s.execute(
            pg_insert(OrderSetting)
            .values(key=SECTION, value=value, updated_by=actor.login)
            .on_conflict_do_update(
                index_elements=[OrderSetting.key], set_={"value": value, "updated_by": actor.login}
            )
        )
        uow.commit()
    return rules


def send_on_status_change(uow: UnitOfWork, actor: Actor, event: OrderStatusChanged) -> bool:
    """The queued listener: enqueue the rules' e-mails for this change. True when a rule applied."""
    from rexbit_desktop.services.messages.outbox import enqueue

    with uow:
        s = uow.session
        order = s.get(Order, event.order_id)
        if order is None:
            return False
        rules = [r for r in mail_rules(s) if r.applies(event.to_status, order.source)]
        if not rules:
            return False
        for rule in rules:
            try:
                with s.begin_nested():
                    result = enqueue(
                        s, actor, order, rule.template, f"status:{event.to_status}@{event.at.isoformat()}"
                    )
            except ValidationError as exc:  # no e-mail address: nothing to retry
                log.warning("order %s: e-mail '%s' not sent: %s", order.number, rule.template, exc.message)
                continue
            except RexbitError:
                raise
            log.info(
                "order %s entered %s: e-mail '%s' %s", order.number, event.to_status, rule.template,
                "queued" if result.created else "was queued before",
            )  # fmt: skip
        uow.commit()
    return True
