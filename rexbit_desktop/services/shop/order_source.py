"""Opening a shop for the orders import: the integration, its database and orders reader, the state
mapping, the shop's time zone, who acts for the import, and what we last saw of each shop order."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, text

from rexbit_desktop.adapters.prestashop.gateway import PrestaShopGateway, ShopDatabaseError
from rexbit_desktop.adapters.prestashop.orders import ShopOrders
from rexbit_desktop.db.models import (
    Integration,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import (
    ConfigurationError,
)
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.domain.shop_order_states import (
    SHOP_STATE_NAMES,
    ShopStateMapping,
    configured_mapping,
    default_mapping,
)
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.shop.connection import PRESTASHOP_TYPE, ShopIntegration, load_shop_integration
from rexbit_desktop.services.shop.order_mapping import (
    ShopContext,
)

# The shop's DATETIMEs are local time in PS_TIMEZONE; a shop that does not store one is taken as Polish.
DEFAULT_SHOP_TIMEZONE = "Europe/Warsaw"


class ShopOrdersUnavailable(ConfigurationError):
    """The shop's orders cannot be read."""


class NotAShopIntegration(ConfigurationError):
    """This integration is not a PrestaShop database."""


def _load_integration(uow: UnitOfWork, integration_id: int) -> ShopIntegration:
    row = uow.session.get(Integration, integration_id)
    if row is None:
        raise NotAShopIntegration(
            f"Integration {integration_id} does not exist.",
            code="integration_not_found",
            params={"integration": integration_id},
        )
    if row.type != PRESTASHOP_TYPE:
        raise NotAShopIntegration(
            f"Integration {integration_id} ({row.name}) is a {row.type} integration, not a PrestaShop database.",
            hint="Give the id of a prestashop_db integration.",
            code="not_a_shop",
            params={"integration": integration_id, "name": row.name},
        )
    return load_shop_integration(uow.session, integration_id)


def _engine(uow: UnitOfWork) -> Engine:
    bind = uow.session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _connect(integration: ShopIntegration) -> tuple[PrestaShopGateway, ShopOrders]:
    try:
        gateway = PrestaShopGateway.connect(integration.config)
    except ShopDatabaseError as exc:
        raise ShopOrdersUnavailable(exc.message, hint=exc.hint, code=exc.code, params=exc.params) from exc
    shop = ShopOrders(gateway)
    try:
        missing = shop.missing_columns()
    except ShopDatabaseError as exc:
        gateway.close()
        raise ShopOrdersUnavailable(exc.message, hint=exc.hint, code=exc.code, params=exc.params) from exc
    if missing:
        gateway.close()
        raise ShopOrdersUnavailable(
            f"The shop database {integration.target} lacks " + ", ".join(missing[:10]) + ".",
            hint="Check 'prefix' and 'database' in the integration's configuration.",
            code="shop_schema_incomplete",
            params={"target": integration.target, "missing": missing[:10]},
        )
    return gateway, shop


def _mapping(uow: UnitOfWork, shop: ShopOrders, integration: ShopIntegration) -> ShopStateMapping:
    configured = configured_mapping(load_settings(uow.session).statuses, integration.id)
    if configured is not None:
        return configured
    return default_mapping(shop.state_configuration(integration.config["id_shop"], SHOP_STATE_NAMES))


def state_mapping(uow: UnitOfWork, shop: ShopOrders, integration: ShopIntegration) -> ShopStateMapping:
    """The state mapping in force for a shop (settings, else the shop's PS_OS_* defaults)."""
    with uow:
        return _mapping(uow, shop, integration)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_SHOP_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_SHOP_TIMEZONE)


def _shop_context(
    uow: UnitOfWork, gateway: PrestaShopGateway, shop: ShopOrders, integration: ShopIntegration
) -> ShopContext:
    with uow:
        mapping = _mapping(uow, shop, integration)
    default_lang = gateway.configuration_value("PS_LANG_DEFAULT")
    names = shop.state_names(int(default_lang) if default_lang and default_lang.isdigit() else 1)
    now, zone = shop.clock()
    return ShopContext(integration, mapping, names, _zone(zone), now)


def _import_actor(actor: Actor, integration: ShopIntegration) -> Actor:
    """Who the history names for what the import does: the job when a job runs it, else the integration
    (the shop changed the order, not the operator who started the run)."""
    if actor.login.startswith("job:"):
        return actor
    return Actor(login=f"integration:{integration.id}", role=Role.ADMIN, display_name=integration.name)


_SEEN_SQL = text(
    "UPDATE orders SET metadata = jsonb_set(coalesce(metadata, '{}'::jsonb), '{prestashop}',"
    " coalesce(metadata->'prestashop', '{}'::jsonb) || CAST(:seen AS jsonb)) WHERE id = :id"
)


def _remember(uow: UnitOfWork, seen: list[tuple[int, dict[str, Any]]]) -> None:
    """What we last saw of each shop order (its state), so that only the shop's own changes are mirrored."""
    if not seen:
        return
    with uow:
        uow.session.execute(_SEEN_SQL, [{"id": oid, "seen": json.dumps(values)} for oid, values in seen])
        uow.commit()
