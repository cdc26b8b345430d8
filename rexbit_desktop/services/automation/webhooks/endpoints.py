"""Webhook endpoints: add, list, change, rotate the signing secret; the SSRF guard on their URLs."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.automation import WebhookEndpoint
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain import webhooks as wh
from rexbit_desktop.domain.automation import WEBHOOK_TYPES
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission


@dataclass(frozen=True)
class EndpointDTO:
    id: int
    name: str
    url: str
    event_types: list[str]
    enabled: bool
    allow_private: bool
    disabled_reason: str | None
    secrets: int
    """How many secrets sign (more than one while a secret is rotated); the secrets are never shown."""
    pending: int = 0
    delivered: int = 0
    failed: int = 0


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, *, allow_private: bool) -> wh.Target:
    target = wh.parse_url(url)
    wh.check_addresses(target.host, resolve(target.host, target.port), allow_private=allow_private)
    return target


def _types(event_types: list[str] | None) -> list[str]:
    chosen = [t.strip() for t in (event_types or []) if t.strip()]
    bad = [t for t in chosen if t not in WEBHOOK_TYPES]
    if bad:
        raise ValidationError(
            f"Unknown webhook type '{bad[0]}'.",
            hint="Types: " + ", ".join(WEBHOOK_TYPES) + ".",
            code="unknown_webhook_type",
            params={"type": bad[0], "types": list(WEBHOOK_TYPES)},
        )
    return chosen


def _endpoint_dto(e: WebhookEndpoint, counts: dict[str, int] | None = None) -> EndpointDTO:
    counts = counts or {}
    return EndpointDTO(
        e.id,
        e.name,
        e.url,
        list(e.event_types or []),
        e.enabled,
        e.allow_private,
        e.disabled_reason,
        len(e.secrets or []),
        counts.get("pending", 0),
        counts.get("delivered", 0),
        counts.get("failed", 0),
    )


def add_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    url: str,
    event_types: list[str] | None = None,
    secret: str | None = None,
    allow_private: bool = False,
) -> tuple[EndpointDTO, str]:
    """A new endpoint; returns it and its secret (``whsec_…``, generated unless given) — the only
    time the secret leaves the database: give it to the receiver."""
    actor.require(Permission.SETTINGS_EDIT)
    if allow_private:
        # Letting rexbit call into the local network is an administrator's decision.
        actor.require(Permission.INTEGRATIONS_EDIT)
    name = name.strip()
    if not name:
        raise ValidationError("Give the endpoint a name.", code="endpoint_name_missing")
    check_url(url, allow_private=allow_private)
    secret = (secret or "").strip() or wh.generate_secret()
    wh.secret_key(secret)
    with uow:
        s = uow.session
        if s.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)) is not None:
            raise ValidationError(
                f"There is already a webhook endpoint '{name}'.",
                code="endpoint_exists",
                params={"name": name},
            )
        row = WebhookEndpoint(
            name=name,
            url=url.strip(),
            event_types=_types(event_types if event_types is not None else ["orders.updated"]),
            secrets=[secret],
            allow_private=allow_private,
            created_by=actor.login,
        )
        s.add(row)
        s.flush()
        dto = _endpoint_dto(row)
        uow.commit()
    return dto, secret


def find_endpoint(session: Session, key: str | int) -> WebhookEndpoint:
    text_key = str(key).strip()
    cond = WebhookEndpoint.name == text_key
    if text_key.isdigit():
        cond = cond | (WebhookEndpoint.id == int(text_key))
    row = session.scalars(select(WebhookEndpoint).where(cond).limit(1)).first()
    if row is None:
        raise NotFound(
            f"There is no webhook endpoint '{key}'.", code="endpoint_not_found", params={"name": key}
        )
    return row


def list_endpoints(uow: UnitOfWork, actor: Actor) -> list[EndpointDTO]:
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        counts: dict[int, dict[str, int]] = {}
        for endpoint_id, status, n in s.execute(
            text("SELECT endpoint_id, status, count(*) FROM webhook_deliveries GROUP BY 1, 2")
        ):
            counts.setdefault(endpoint_id, {})[status] = n
        rows = s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name))
        return [_endpoint_dto(e, counts.get(e.id)) for e in rows]


def update_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    key: str | int,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
    allow_private: bool | None = None,
) -> EndpointDTO:
    actor.require(Permission.SETTINGS_EDIT)
    if allow_private:
        actor.require(Permission.INTEGRATIONS_EDIT)
    with uow:
        row = find_endpoint(uow.session, key)
        if allow_private is not None:
            row.allow_private = allow_private
        if url is not None:
            check_url(url, allow_private=row.allow_private)
            row.url = url.strip()
        if event_types is not None:
            row.event_types = _types(event_types)
        if enabled is not None:
            row.enabled = enabled
            if enabled:
                row.disabled_reason = None
        uow.session.flush()
        dto = _endpoint_dto(row)
        uow.commit()
    return dto


def rotate_secret(uow: UnitOfWork, actor: Actor, key: str | int, *, keep_old: bool = True) -> str:
    """A new secret signs from now on; the old one keeps signing too (``keep_old``) until the receiver
    switched, then rotate again with ``keep_old=False``. Returns the new secret."""
    actor.require(Permission.SETTINGS_EDIT)
    secret = wh.generate_secret()
    with uow:
        row = find_endpoint(uow.session, key)
        row.secrets = [secret, *(list(row.secrets or [])[:1] if keep_old else [])]
        uow.commit()
    return secret


def endpoint_secret(uow: UnitOfWork, actor: Actor, key: str | int) -> str:
    """The current secret, for an administrator to hand to the receiver (the settings page's "show")."""
    actor.require(Permission.INTEGRATIONS_EDIT)
    with uow:
        return str(next(iter(find_endpoint(uow.session, key).secrets or [""])))
