"""A PrestaShop integration: load it, open its shop database, and the connection test (``integration test``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
from rexbit_desktop.adapters.prestashop.gateway import (
    REQUIRED_COLUMNS,
    PrestaShopGateway,
    SchemaCheck,
    ShopInfo,
    ShopSchemaError,
)
from rexbit_desktop.adapters.prestashop.orders import ShopOrders
from rexbit_desktop.db.models import Integration
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.availability import AvailabilityTexts, default_texts_for
from rexbit_desktop.domain.errors import NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission

PRESTASHOP_TYPE = "prestashop_db"


@dataclass(frozen=True)
class ShopIntegration:
    id: int
    name: str
    enabled: bool
    config: dict[str, Any]  # validated, defaults filled in

    @property
    def target(self) -> str:
        c = self.config
        return f"{c['host']}:{c['port']}/{c['database']} (prefix '{c['prefix']}', shop {c['id_shop']})"


def load_shop_integration(session: Session, integration_id: int) -> ShopIntegration:
    row = session.get(Integration, integration_id)
    if row is None:
        raise NotFound(
            f"Integration {integration_id} does not exist.",
            code="integration_not_found",
            params={"integration": integration_id},
        )
    if row.type != PRESTASHOP_TYPE:
        raise ValidationError(
            f"Integration {integration_id} ({row.name}) is a {row.type} integration, not a PrestaShop database.",
            hint="Give the id of a prestashop_db integration.",
            code="not_a_shop",
            params={"integration": integration_id, "name": row.name},
        )
    return ShopIntegration(row.id, row.name, row.enabled, validate_prestashop_config(dict(row.config or {})))


@dataclass(frozen=True)
class ShopContext:
    """What a sync needs to know about the shop, read once per run."""

    info: ShopInfo
    schema: SchemaCheck
    language_ids: tuple[int, ...]
    texts: dict[int, AvailabilityTexts]

    @property
    def default_language_id(self) -> int:
        if self.info.default_language_id in self.language_ids or not self.language_ids:
            return self.info.default_language_id or 1
        return self.language_ids[0]


def resolve_languages(info: ShopInfo, configured: list[int] | None) -> tuple[int, ...]:
    """The configured language ids, or every active language of the shop."""
    known = {lang.id_lang for lang in info.languages}
    if configured:
        unknown = [i for i in configured if i not in known]
        if unknown:
            raise ValidationError(
                f"Language id(s) {', '.join(map(str, unknown))} are not languages of shop {info.id_shop}.",
                hint="Shop languages: "
                + ", ".join(f"{lang.id_lang}={lang.iso_code}" for lang in info.languages),
                code="shop_languages_unknown",
                params={
                    "languages": [str(u) for u in unknown],
                    "known": [lang.iso_code for lang in info.languages],
                },
            )
        return tuple(configured)
    return tuple(lang.id_lang for lang in info.languages if lang.active)


def texts_by_language(
    info: ShopInfo, language_ids: tuple[int, ...], cfg: dict[str, Any]
) -> dict[int, AvailabilityTexts]:
    iso = {lang.id_lang: lang.iso_code for lang in info.languages}
    result = {}
    for id_lang in language_ids:
        code = iso.get(id_lang, "pl")
        result[id_lang] = AvailabilityTexts.from_mapping(cfg["texts"].get(code) or default_texts_for(code))
    return result


def open_shop(integration: ShopIntegration) -> tuple[PrestaShopGateway, ShopContext]:
    """Connect and read the shop; refuse when the schema lacks what the integration uses."""
    gateway = PrestaShopGateway.connect(integration.config)
    try:
        schema = gateway.check_schema()
        if not schema.ok:
            raise ShopSchemaError(
                f"The shop database {integration.target} lacks "
                + ", ".join(
                    [*(f"table {gateway.prefix}{t}" for t in schema.missing_tables), *schema.missing_columns]
                )
                + ".",
                hint="Check 'prefix' and 'database' of the integration.",
                code="shop_schema_incomplete",
                params={
                    "target": integration.target,
                    "missing": [
                        *(f"{gateway.prefix}{t}" for t in schema.missing_tables),
                        *schema.missing_columns,
                    ],
                },
            )
        info = gateway.shop_info(integration.config["id_shop"])
        language_ids = resolve_languages(info, integration.config["languages"])
        texts = texts_by_language(info, language_ids, integration.config)
    except BaseException:
        gateway.close()
        raise
    return gateway, ShopContext(info, schema, language_ids, texts)


# ---------------------------------------------------------------- the connection test


@dataclass(frozen=True)
class ReportLanguage:
    id_lang: int
    iso_code: str
    name: str
    active: bool
    synced: bool  # texts are written in this language


@dataclass(frozen=True)
class ConnectionReport:
    """What ``rexbit integration test`` prints and the integrations view shows."""

    integration_id: int
    integration_name: str
    target: str
    ok: bool
    connected: bool = False
    server_version: str | None = None
    prestashop_version: str = "unknown"  # PS_VERSION_DB, "unknown" when the shop does not store it
    schema_line: str | None = None  # the version line the schema looks like
    id_shop: int | None = None
    shop_name: str | None = None
    id_shop_group: int | None = None
    share_stock: bool | None = None
    stock_keying: str | None = None
    default_language_id: int | None = None
    languages: list[ReportLanguage] = field(default_factory=list)
    combination_texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Not problems (ok stays True): e.g. mapped states whose flags make PrestaShop create documents.
    warnings: list[str] = field(default_factory=list)


def _document_state_warnings(
    uow: UnitOfWork, gateway: PrestaShopGateway, integration: ShopIntegration
) -> list[str]:
    """States rexbit writes back whose flags make PrestaShop number an invoice or a delivery slip when its
    own code sets them: rexbit writes the state into the database and creates no such document."""
    from rexbit_desktop.adapters.prestashop.stock import ShopStock
    from rexbit_desktop.services.shop.order_source import state_mapping

    mapping = state_mapping(uow, ShopOrders(gateway), integration)
    flags = ShopStock(gateway).state_flags()
    warnings = []
    for status, state in sorted(mapping.to_shop.items(), key=lambda kv: kv[1]):
        f = flags.get(state)
        if f is None:
            continue
        documents = [name for name, on in (("invoice", f.invoice), ("delivery slip", f.delivery)) if on]
        if documents:
            warnings.append(
                f"state {state} (our '{status.value}') has the {' and '.join(documents)} flag: rexbit does not "
                "number invoices when it sets this state"
            )
    return warnings


def check_shop_connection(uow: UnitOfWork, actor: Actor, *, integration_id: int) -> ConnectionReport:
    """Connect, check every table and column used (availability sync and orders import), read version,
    stock keying and languages.

    Never raises for a problem of the shop side: problems are listed in the report (``ok`` False).
    """
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        integration = load_shop_integration(uow.session, integration_id)
    base: dict[str, Any] = {
        "integration_id": integration.id,
        "integration_name": integration.name,
        "target": integration.target,
    }
    try:
        gateway = PrestaShopGateway.connect(integration.config)
    except RexbitError as exc:
        return ConnectionReport(**base, ok=False, problems=[str(exc)])
    problems: list[str] = []
    report: dict[str, Any] = {"connected": True}
    try:
        report["server_version"] = gateway.server_version()
        schema = gateway.check_schema()
        report["schema_line"] = schema.version_line
        report["combination_texts"] = list(schema.combination_text_columns)
        problems += [f"missing table {gateway.prefix}{t}" for t in schema.missing_tables]
        problems += [f"missing column {gateway.prefix}{c}" for c in schema.missing_columns]
        # Every required table missing: the prefix (or database) is wrong, not a version difference.
        if len(schema.missing_tables) == len(REQUIRED_COLUMNS):
            problems.append(f"no PrestaShop table has the prefix '{gateway.prefix}': is the prefix right?")
        if schema.ok:
            info = gateway.shop_info(integration.config["id_shop"])
            report["prestashop_version"] = info.ps_version or "unknown"
            report.update(
                id_shop=info.id_shop,
                shop_name=info.name,
                id_shop_group=info.id_shop_group,
                share_stock=info.share_stock,
                stock_keying=(
                    f"shared by shop group {info.id_shop_group} ({info.group_name}): rows id_shop=0, "
                    f"id_shop_group={info.id_shop_group}"
                    if info.share_stock
                    else f"per shop: rows id_shop={info.id_shop}, id_shop_group=0"
                ),
                default_language_id=info.default_language_id,
            )
            try:
                synced = set(resolve_languages(info, integration.config["languages"]))
            except ValidationError as exc:
                problems.append(exc.message)
                synced = set()
            report["languages"] = [
                ReportLanguage(lang.id_lang, lang.iso_code, lang.name, lang.active, lang.id_lang in synced)
                for lang in info.languages
            ]
            if not info.languages:
                problems.append(f"shop {info.id_shop} has no languages (lang_shop is empty)")
            # The orders import and the statuses written back (the sync-orders schedule runs them for
            # every enabled shop) read and write these: a shop that lacks them fails that job every time.
            missing_orders = ShopOrders(gateway).missing_columns()
            problems += [f"orders import: missing {m}" for m in missing_orders]
            if not missing_orders:
                report["warnings"] = _document_state_warnings(uow, gateway, integration)
            # A read-only user passes every check above and fails every sync: ask the server.
            problems += gateway.missing_privileges(combination_texts=bool(schema.combination_text_columns))
    except RexbitError as exc:
        problems.append(exc.message)
    finally:
        gateway.close()
    return ConnectionReport(**base, ok=not problems, problems=problems, **report)
