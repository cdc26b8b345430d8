"""Templates in the settings: list, read, save (checked first), preview for a chosen order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from rexbit_desktop.db.models.mail import MailTemplate
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.messages.accounts import load_account
from rexbit_desktop.services.messages.compose import OutgoingMessage, load_template, mail_details
from rexbit_desktop.services.messages.outbox import enqueue
from rexbit_desktop.services.messages.templates import (
    VARIABLES,
    RenderedMail,
    TemplateSource,
    check_template,
    order_context,
    render,
)
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import find_order


@dataclass(frozen=True)
class TemplateDTO:
    code: str
    language: str
    name: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list[str]


def list_templates(uow: UnitOfWork, actor: Actor) -> list[TemplateDTO]:
    actor.require(Permission.VIEW)
    with uow:
        rows = uow.session.scalars(select(MailTemplate).order_by(MailTemplate.code, MailTemplate.language))
        return [
            TemplateDTO(
                r.code, r.language, r.name, r.subject, r.body_text, r.body_html, list(r.attachments or [])
            )
            for r in rows
        ]


def get_template(uow: UnitOfWork, actor: Actor, code: str, language: str = "pl") -> TemplateSource:
    actor.require(Permission.VIEW)
    with uow:
        return load_template(uow.session, code, language)


def save_template(uow: UnitOfWork, actor: Actor, source: TemplateSource) -> TemplateSource:
    """Store a template after checking it (``TemplateRefused`` names the field and line at fault)."""
    actor.require(Permission.SETTINGS_EDIT)
    check_template(source)
    values = {
        "name": source.name.strip() or source.code,
        "subject": source.subject,
        "body_text": source.body_text,
        "body_html": source.body_html or None,
        "attachments": list(source.attachments),
        "updated_by": actor.login,
    }
    with uow:
        uow.session.execute(
            pg_insert(MailTemplate)
            .values(code=source.code.strip(), language=source.language.strip() or "pl", **values)
            .on_conflict_do_update(index_elements=[MailTemplate.code, MailTemplate.language], set_=values)
        )
        uow.commit()
    return source


def template_variables() -> list[tuple[str, str]]:
    return list(VARIABLES)


def preview_template(uow: UnitOfWork, actor: Actor, number: str, code: str) -> OutgoingMessage:
    """The template rendered for one order (nothing stored or sent)."""
    actor.require(Permission.VIEW)
    with uow:
        order = find_order(uow.session, number)
        return enqueue(uow.session, actor, order, code, "preview", dry_run=True)


def preview_source(uow: UnitOfWork, actor: Actor, number: str, source: TemplateSource) -> RenderedMail:
    """A template as it is being edited (not saved yet), checked, then rendered for one order."""
    actor.require(Permission.VIEW)
    check_template(source)
    with uow:
        s = uow.session
        order = find_order(s, number)
        try:
            _row, cfg = load_account(s)
            documents_url = cfg.get("documents_url") or ""
        except NotFound:  # no account yet: the link renders empty
            documents_url = ""
        context = order_context(
            mail_details(s, [order])[order.id], load_settings(s), documents_url=documents_url
        )
        return render(source, context)
