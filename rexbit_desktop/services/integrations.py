"""Integrations (supplier feeds, PrestaShop databases) and the import profiles of supplier feeds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from rexbit_desktop.adapters.feeds.reader import open_feed_reader
from rexbit_desktop.adapters.feeds.source import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, open_feed_file
from rexbit_desktop.db.models.contractors import Contractor
from rexbit_desktop.db.models.integrations import ImportRun, Integration, IntegrationTask
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.feed_values import FEED_FIELDS
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.secrets import MASK, mask_url

INTEGRATION_TYPES = ("supplier_feed", "prestashop_db")
FEED_FORMATS = ("csv", "xml")
PROFILE_OPTIONS = {
    "encoding": "utf-8, utf-8-sig, cp1250 or iso-8859-2 (detected when absent)",
    "delimiter": "CSV separator (detected when absent)",
    "decimal": "',' or '.' or 'auto' (',' for ';' files, else each number says)",
    "quotechar": "CSV quote character, 'none' for none",
    "header_line": "1-based line of the CSV header",
    "record": "XML record element (e.g. item, o, g:item)",
    "namespaces": "XML prefixes used in record and mappings",
    "preset": "google_merchant, google_merchant_atom or ceneo",
    "value_maps": "per field: feed text → replacement, e.g. {'delivery_days': {'99': null}}",
    "nominal_quantity": "stock for words like in_stock / dostępny (default 10)",
    "zero_missing": "items missing from the feed get stock 0 (default true)",
    "max_bytes": "size limit of the feed (default 512 MB)",
    "timeout_s": "deadline of the whole download in seconds (default 300)",
    "http_headers": "HTTP headers sent with the download, e.g. {'Authorization': 'Bearer …'}",
    "chunk_rows": "rows per chunk job (default 20000)",
}


@dataclass(frozen=True)
class IntegrationDTO:
    id: int
    name: str
    type: str
    contractor_id: int | None
    contractor_name: str | None
    enabled: bool
    config: dict[str, Any]
    profiles: int
    last_run_status: str | None
    last_run_at: datetime | None


@dataclass(frozen=True)
class ImportProfileDTO:
    id: int
    integration_id: int
    name: str
    source_location: str
    format: str
    options: dict[str, Any]
    mappings: dict[str, Any]
    last_headers: list[Any] | None
    enabled: bool


def masked_profile(profile: ImportProfileDTO) -> ImportProfileDTO:
    """The profile as shown (lists, JSON output, logs): URL passwords, secret query values and the values
    of ``http_headers`` replaced by ``***``. The unmasked profile is for the editor only."""
    options = dict(profile.options)
    if isinstance(options.get("http_headers"), dict):
        options["http_headers"] = dict.fromkeys(options["http_headers"], MASK)
    return replace(profile, source_location=mask_url(profile.source_location), options=options)


@dataclass(frozen=True)
class FeedPreviewDTO:
    headers: list[str]
    rows: list[dict[str, str]]
    detected: dict[str, Any]


def _shown_config(integration: Integration) -> dict[str, Any]:
    cfg = dict(integration.config or {})
    if integration.type == "prestashop_db":
        try:
            from rexbit_desktop.adapters.prestashop.config import redacted_config

            return redacted_config(cfg)
        except ImportError:
            pass
        if cfg.get("password"):
            cfg["password"] = "***"
    return cfg


def _validate_config(type_: str, config: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise ValidationError(
            "The integration config must be a JSON object.", code="integration_config_not_object"
        )
    if type_ == "prestashop_db":
        try:
            from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
        except ImportError:
            return dict(config)
        return validate_prestashop_config(dict(config))
    return dict(config)


def create_integration(
    uow: UnitOfWork,
    actor: Actor,
    *,
    type: str,
    name: str,
    config: dict[str, Any] | None = None,
    contractor_id: int | None = None,
    enabled: bool = True,
) -> IntegrationDTO:
    """A supplier feed gets its supplier as contractor: ``contractor_id``, or ``config['contractor']``
    (``{"name", "nip", ...}``), or a new contractor named like the integration."""
    actor.require(Permission.INTEGRATIONS_EDIT)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(
            "An integration needs a name of 1 to 200 characters.",
            code="integration_name_invalid",
            params={"max": 200},
        )
    if type not in INTEGRATION_TYPES:
        raise ValidationError(
            f"Unknown integration type '{type}'.",
            hint="Use supplier_feed or prestashop_db.",
            code="integration_type_unknown",
            params={"type": type},
        )
    config = dict(config or {})
    contractor_data = config.pop("contractor", None) if type == "supplier_feed" else None
    contractor_id = contractor_id or config.pop("contractor_id", None)
    cleaned = _validate_config(type, config)
    with uow:
        s = uow.session
        if s.scalar(select(Integration.id).where(Integration.name == name)) is not None:
            raise ValidationError(
                f"An integration named '{name}' already exists.",
                code="integration_exists",
                params={"name": name},
            )
        if contractor_id is not None:
            if s.get(Contractor, contractor_id) is None:
                raise NotFound(
                    f"There is no contractor {contractor_id}.",
                    code="contractor_not_found",
                    params={"contractor": contractor_id},
                )
        elif type == "supplier_feed":
            data = contractor_data if isinstance(contractor_data, dict) else {}
            allowed = {"name", "nip", "street", "postcode", "city", "country", "email", "phone"}
            unknown = set(data) - allowed
            if unknown:
                raise ValidationError(
                    f"Unknown contractor fields: {', '.join(sorted(unknown))}.",
                    code="contractor_fields_unknown",
                    params={"unknown": sorted(unknown)},
                )
            contractor = Contractor(**{"name": name, **{k: v for k, v in data.items() if v is not None}})
            s.add(contractor)
            s.flush()
            contractor_id = contractor.id
        integration = Integration(
            name=name, type=type, contractor_id=contractor_id, config=cleaned, enabled=enabled
        )
        s.add(integration)
        s.flush()
        uow.commit()
        integration_id = integration.id
    return get_integration(uow, actor, integration_id)


def update_integration(
    uow: UnitOfWork,
    actor: Actor,
    integration_id: int,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    enabled: bool | None = None,
) -> IntegrationDTO:
    """Rename, reconfigure, enable or disable an integration.

    ``config`` is merged over the saved one, so an edit form that leaves the password empty (it is never
    shown back) keeps the saved password, and keys the form does not know (texts, languages) survive.
    The merged config is validated as on create.
    """
    actor.require(Permission.INTEGRATIONS_EDIT)
    with uow:
        s = uow.session
        integration = s.get(Integration, integration_id, with_for_update=True)
        if integration is None:
            raise NotFound(
                f"There is no integration {integration_id}.",
                code="integration_not_found",
                params={"integration": integration_id},
            )
        if name is not None:
            name = name.strip()
            if not name or len(name) > 200:
                raise ValidationError(
                    "An integration needs a name of 1 to 200 characters.",
                    code="integration_name_invalid",
                    params={"max": 200},
                )
            clash = s.scalar(
                select(Integration.id).where(Integration.name == name, Integration.id != integration_id)
            )
            if clash is not None:
                raise ValidationError(
                    f"An integration named '{name}' already exists.",
                    code="integration_exists",
                    params={"name": name},
                )
            integration.name = name
        if config is not None:
            if not isinstance(config, dict):
                raise ValidationError(
                    "The integration config must be a JSON object.", code="integration_config_not_object"
                )
            changes = {k: v for k, v in config.items() if k != "contractor"}
            if integration.type == "prestashop_db" and changes.get("password") in ("", None):
                changes.pop("password", None)  # an empty password field means "keep the saved one"
            if "password_env" in changes:
                merged_base = {k: v for k, v in integration.config.items() if k != "password"}
            elif "password" in changes:
                merged_base = {k: v for k, v in integration.config.items() if k != "password_env"}
            else:
                merged_base = dict(integration.config or {})
            integration.config = _validate_config(integration.type, {**merged_base, **changes})
            contractor = config.get("contractor")
            if isinstance(contractor, dict) and integration.contractor_id is not None:
                supplier = s.get(Contractor, integration.contractor_id)
                if supplier is not None:
                    for key in ("name", "nip", "street", "postcode", "city", "country", "email", "phone"):
                        if contractor.get(key):
                            setattr(supplier, key, contractor[key])
        if enabled is not None:
            integration.enabled = bool(enabled)
        uow.commit()
    return get_integration(uow, actor, integration_id)


def _integration_dtos(uow: UnitOfWork, where: Any = None) -> list[IntegrationDTO]:
    s = uow.session
    profiles = (
        select(IntegrationTask.integration_id, func.count().label("n"))
        .group_by(IntegrationTask.integration_id)
        .subquery()
    )
    last_run = (
        select(ImportRun.integration_id, func.max(ImportRun.id).label("run_id"))
        .group_by(ImportRun.integration_id)
        .subquery()
    )
    query = (
        select(Integration, Contractor.name, profiles.c.n, ImportRun.status, ImportRun.started_at)
        .outerjoin(Contractor, Contractor.id == Integration.contractor_id)
        .outerjoin(profiles, profiles.c.integration_id == Integration.id)
        .outerjoin(last_run, last_run.c.integration_id == Integration.id)
        .outerjoin(ImportRun, ImportRun.id == last_run.c.run_id)
        .order_by(Integration.id)
    )
    if where is not None:
        query = query.where(where)
    return [
        IntegrationDTO(
            id=i.id,
            name=i.name,
            type=i.type,
            contractor_id=i.contractor_id,
            contractor_name=cname,
            enabled=i.enabled,
            config=_shown_config(i),
            profiles=int(n or 0),
            last_run_status=status,
            last_run_at=started,
        )
        for i, cname, n, status, started in s.execute(query)
    ]


def list_integrations(uow: UnitOfWork, actor: Actor, *, type: str | None = None) -> list[IntegrationDTO]:
    actor.require(Permission.VIEW)
    with uow:
        return _integration_dtos(uow, Integration.type == type if type else None)


def get_integration(uow: UnitOfWork, actor: Actor, integration_id: int) -> IntegrationDTO:
    actor.require(Permission.VIEW)
    with uow:
        found = _integration_dtos(uow, Integration.id == integration_id)
    if not found:
        raise NotFound(
            f"There is no integration {integration_id}.",
            code="integration_not_found",
            params={"integration": integration_id},
        )
    return found[0]


# ------------------------------------------------------------------ import profiles


def _profile_dto(t: IntegrationTask) -> ImportProfileDTO:
    return ImportProfileDTO(
        id=t.id,
        integration_id=t.integration_id,
        name=t.name,
        source_location=t.source_location,
        format=t.format,
        options=dict(t.options or {}),
        mappings=dict(t.mappings or {}),
        last_headers=list(t.last_headers) if t.last_headers is not None else None,
        enabled=t.enabled,
    )


def validate_profile(
    *, name: str, source_location: str, format: str, options: Any, mappings: Any
) -> tuple[str, str, str, dict[str, Any], dict[str, str]]:
    """Checks an import profile; returns it cleaned. Raises ``ValidationError`` naming the fault."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(
            "An import profile needs a name of 1 to 200 characters.",
            code="profile_name_invalid",
            params={"max": 200},
        )
    source_location = (source_location or "").strip()
    if not source_location:
        raise ValidationError(
            "An import profile needs a source_location (a path or an http(s):// URL).",
            code="profile_source_missing",
        )
    format = (format or "").strip().lower()
    if format not in FEED_FORMATS:
        raise ValidationError(
            f"Unknown feed format '{format}'.",
            hint="Use csv or xml.",
            code="feed_format_unknown",
            params={"format": format},
        )
    options = options or {}
    if not isinstance(options, dict):
        raise ValidationError("options must be a JSON object.", code="profile_options_not_object")
    unknown = sorted(set(options) - set(PROFILE_OPTIONS))
    if unknown:
        raise ValidationError(
            f"Unknown option(s): {', '.join(unknown)}.",
            hint="Known options: " + ", ".join(PROFILE_OPTIONS),
            code="profile_options_unknown",
            params={"unknown": list(unknown), "known": list(PROFILE_OPTIONS)},
        )
    mappings = mappings or {}
    if not isinstance(mappings, dict):
        raise ValidationError(
            "mappings must be a JSON object: our field → the feed's column or path.",
            code="profile_mappings_not_object",
        )
    unknown = sorted(set(mappings) - set(FEED_FIELDS))
    if unknown:
        raise ValidationError(
            f"Unknown mapped field(s): {', '.join(unknown)}.",
            hint="Fields: " + ", ".join(FEED_FIELDS),
            code="profile_fields_unknown",
            params={"unknown": list(unknown), "known": list(FEED_FIELDS)},
        )
    cleaned = {k: str(v).strip() for k, v in mappings.items() if v not in (None, "")}
    # XML presets bring their own mappings; anything else must say how rows are matched.
    if not ({"sku", "ean"} & set(cleaned)) and not (format == "xml" and not cleaned):
        raise ValidationError(
            "mappings must include sku or ean: rows are matched to products by them.",
            hint='e.g. "mappings": {"sku": "Indeks", "ean": "EAN", "stock_quantity": "Stan"}',
            code="profile_needs_sku_or_ean",
        )
    headers = options.get("http_headers")
    if headers is not None and (
        not isinstance(headers, dict)
        or not all(isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in headers.items())
        or any(c in f"{k}{v}" for k, v in headers.items() for c in "\r\n")
    ):
        raise ValidationError(
            "options.http_headers must be a JSON object of header names to text values.",
            hint='e.g. "http_headers": {"Authorization": "Bearer TOKEN"}',
            code="profile_headers_invalid",
        )
    if "timeout_s" in options:
        try:
            if float(options["timeout_s"]) <= 0:
                raise ValueError
        except (TypeError, ValueError):
            raise ValidationError(
                "options.timeout_s must be a number of seconds above 0.",
                code="profile_option_not_positive",
                params={"option": "timeout_s"},
            ) from None
    for key in ("max_bytes", "chunk_rows", "header_line"):
        if key in options:
            try:
                if int(options[key]) < 1:
                    raise ValueError
            except (TypeError, ValueError):
                raise ValidationError(
                    f"options.{key} must be a positive whole number.",
                    code="profile_option_not_positive",
                    params={"option": key},
                ) from None
    return name, source_location, format, dict(options), cleaned


def create_import_profile(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    name: str,
    source_location: str,
    format: str,
    options: dict[str, Any] | None = None,
    mappings: dict[str, Any] | None = None,
    enabled: bool = True,
) -> ImportProfileDTO:
    actor.require(Permission.INTEGRATIONS_EDIT)
    name, source_location, format, opts, maps = validate_profile(
        name=name, source_location=source_location, format=format, options=options, mappings=mappings
    )
    with uow:
        integration = uow.session.get(Integration, integration_id)
        if integration is None:
            raise NotFound(
                f"There is no integration {integration_id}.",
                code="integration_not_found",
                params={"integration": integration_id},
            )
        if integration.type != "supplier_feed":
            raise ValidationError(
                f"Integration {integration_id} is a {integration.type}; import profiles belong to supplier feeds.",
                code="profile_on_wrong_integration",
                params={"integration": integration_id, "type": integration.type},
            )
        task = IntegrationTask(
            integration_id=integration_id,
            name=name,
            source_location=source_location,
            format=format,
            options=opts,
            mappings=maps,
            enabled=enabled,
        )
        uow.session.add(task)
        uow.session.flush()
        dto = _profile_dto(task)
        uow.commit()
    return dto


def update_import_profile(uow: UnitOfWork, actor: Actor, profile_id: int, **changes: Any) -> ImportProfileDTO:
    """Edits a profile: any of name, source_location, format, options, mappings, enabled."""
    actor.require(Permission.INTEGRATIONS_EDIT)
    allowed = {"name", "source_location", "format", "options", "mappings", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            f"Cannot change {', '.join(sorted(unknown))} of an import profile.",
            code="profile_fields_fixed",
            params={"fields": sorted(unknown)},
        )
    with uow:
        task = uow.session.get(IntegrationTask, profile_id)
        if task is None:
            raise NotFound(
                f"There is no import profile {profile_id}.",
                code="profile_not_found",
                params={"profile": profile_id},
            )
        merged: dict[str, Any] = {
            "name": task.name,
            "source_location": task.source_location,
            "format": task.format,
            "options": task.options,
            "mappings": task.mappings,
        }
        merged.update({k: v for k, v in changes.items() if k != "enabled"})
        name, source_location, format, opts, maps = validate_profile(**merged)
        task.name, task.source_location, task.format, task.options, task.mappings = (
            name,
            source_location,
            format,
            opts,
            maps,
        )
        if "enabled" in changes:
            task.enabled = bool(changes["enabled"])
        uow.session.flush()
        dto = _profile_dto(task)
        uow.commit()
    return dto


def list_import_profiles(
    uow: UnitOfWork, actor: Actor, *, integration_id: int | None = None
) -> list[ImportProfileDTO]:
    actor.require(Permission.VIEW)
    with uow:
        query = select(IntegrationTask).order_by(IntegrationTask.id)
        if integration_id is not None:
            query = query.where(IntegrationTask.integration_id == integration_id)
        return [_profile_dto(t) for t in uow.session.scalars(query)]


def preview_feed(
    actor: Actor,
    *,
    source_location: str,
    format: str,
    options: dict[str, Any] | None = None,
    mappings: dict[str, Any] | None = None,
    rows: int = 20,
) -> FeedPreviewDTO:
    """The header and first rows of a feed as the import would read them (the profile editor's preview).

    Mapped columns are checked: a mapping to a missing CSV column raises ``FeedMappingError``.
    """
    actor.require(Permission.VIEW)
    options = dict(options or {})
    max_bytes = int(options.get("max_bytes") or DEFAULT_MAX_BYTES)
    timeout_s = float(options.get("timeout_s") or DEFAULT_TIMEOUT_S)
    with open_feed_file(
        source_location, max_bytes=max_bytes, timeout_s=timeout_s, headers=options.get("http_headers")
    ) as path:
        reader = open_feed_reader(path, format, options, mappings or {})
        sample = reader.preview(rows)
        if hasattr(reader, "dialect"):
            d = reader.dialect  # type: ignore[union-attr]
            detected: dict[str, Any] = {
                "encoding": d.encoding,
                "delimiter": d.delimiter,
                "decimal": d.decimal,
                "quotechar": d.quotechar,
            }
        else:
            detected = {
                "record": reader.options.get("record"),  # type: ignore[union-attr]
                "namespaces": reader.namespaces,  # type: ignore[union-attr]
                "mappings": reader.mappings,
            }
        return FeedPreviewDTO(headers=list(reader.headers), rows=sample, detected=detected)
