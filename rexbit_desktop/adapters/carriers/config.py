"""A carrier account's configuration: validated with defaults, secrets resolved and redacted.

Secrets are stored like the shop's password: given (``token``, ``password``) or named by an environment
variable (``token_env``, ``password_env``), never both; ``redacted_config`` is what may be shown.
"""

from __future__ import annotations

import os
import re
from typing import Any

from rexbit_desktop.adapters.carriers import dpd, inpost
from rexbit_desktop.adapters.carriers.base import CarrierClient, Party
from rexbit_desktop.adapters.carriers.manual import ManualClient
from rexbit_desktop.domain.errors import ConfigurationError, ValidationError

REDACTED = "***"
SECRETS = ("token", "password")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SENDER_FIELDS = ("name", "company", "street", "postcode", "city", "country", "phone", "email")

INPOST_DEFAULTS: dict[str, Any] = {
    "environment": "sandbox",
    "label_type": "A6",
    "timeout": 20,
    "confirm_timeout": 60,
    "poll_interval": 2.0,
    "label_retries": 10,
    "label_retry_wait": 1.0,
}
INPOST_KEYS = {"base_url", "organization_id", "token", "token_env", *INPOST_DEFAULTS}
DPD_DEFAULTS: dict[str, Any] = {
    "environment": "demo",
    "label_page_format": "LBL_PRINTER",
    "timeout": 30,
    "info_channel": "",
}
DPD_KEYS = {"url", "info_url", "login", "password", "password_env", "fid", "sender", *DPD_DEFAULTS}


def _fail(
    service: str, message: str, hint: str | None = None, *, code: str, params: dict[str, object] | None = None
) -> ValidationError:
    """The CLI's words (naming the JSON key) and the code the GUI phrases in its own."""
    return ValidationError(
        f"{service} carrier configuration: {message}",
        hint=hint,
        code=code,
        params=params,
    )


def _secret(service: str, cfg: dict[str, Any], key: str) -> None:
    env_key = f"{key}_env"
    if cfg.get(env_key) is not None:
        if not isinstance(cfg[env_key], str) or not _ENV_NAME.match(cfg[env_key]):
            raise _fail(
                service,
                f"'{env_key}' must be the name of an environment variable.",
                code="carrier_config_env_name",
                params={"service": service, "key": env_key},
            )
        if cfg.get(key):
            raise _fail(
                service,
                f"give either '{key}' or '{env_key}', not both.",
                code="carrier_config_secret_twice",
                params={"service": service, "key": key},
            )
    elif not cfg.get(key):
        raise _fail(
            service,
            f"'{key}' (or '{env_key}') is required.",
            code="carrier_config_required",
            params={"service": service, "key": key},
        )


def validate_carrier_config(service: str, config: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise ValidationError("A carrier configuration is a JSON object.", code="carrier_config_not_object")
    if service == "manual":
        return {}
    if service == "inpost":
        unknown = set(config) - INPOST_KEYS
        if unknown:
            raise _fail(
                "InPost",
                f"unknown key '{sorted(unknown)[0]}'.",
                hint="Known: " + ", ".join(sorted(INPOST_KEYS)),
                code="carrier_config_unknown_key",
                params={"service": "InPost", "key": sorted(unknown)[0]},
            )
        cfg = {**INPOST_DEFAULTS, **config}
        if cfg["environment"] not in inpost.URLS:
            raise _fail(
                "InPost",
                "'environment' is sandbox or production.",
                code="carrier_config_choice",
                params={"service": "InPost", "key": "environment", "allowed": ["sandbox", "production"]},
            )
        if not str(cfg.get("organization_id") or "").strip():
            raise _fail(
                "InPost",
                "'organization_id' is required.",
                code="carrier_config_required",
                params={"service": "InPost", "key": "organization_id"},
            )
        cfg["organization_id"] = str(cfg["organization_id"]).strip()
        if cfg["label_type"] not in ("A6", "normal"):
            raise _fail(
                "InPost",
                "'label_type' is A6 or normal.",
                code="carrier_config_choice",
                params={"service": "InPost", "key": "label_type", "allowed": ["A6", "normal"]},
            )
        _secret("InPost", cfg, "token")
        return cfg
    if service == "dpd":
        unknown = set(config) - DPD_KEYS
        if unknown:
            raise _fail(
                "DPD",
                f"unknown key '{sorted(unknown)[0]}'.",
                hint="Known: " + ", ".join(sorted(DPD_KEYS)),
                code="carrier_config_unknown_key",
                params={"service": "DPD", "key": sorted(unknown)[0]},
            )
        cfg = {**DPD_DEFAULTS, **config}
        if cfg["environment"] not in dpd.URLS:
            raise _fail(
                "DPD",
                "'environment' is demo or production.",
                code="carrier_config_choice",
                params={"service": "DPD", "key": "environment", "allowed": ["demo", "production"]},
            )
        if not str(cfg.get("login") or "").strip():
            raise _fail(
                "DPD",
                "'login' is required.",
                code="carrier_config_required",
                params={"service": "DPD", "key": "login"},
            )
        try:
            cfg["fid"] = int(cfg.get("fid"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _fail(
                "DPD",
                "'fid' (the customer number) is required and is a number.",
                code="carrier_config_fid",
            ) from None
        if cfg["label_page_format"] not in ("LBL_PRINTER", "A4"):
            raise _fail(
                "DPD",
                "'label_page_format' is LBL_PRINTER or A4.",
                code="carrier_config_choice",
                params={"service": "DPD", "key": "label_page_format", "allowed": ["LBL_PRINTER", "A4"]},
            )
        sender = cfg.get("sender")
        if not isinstance(sender, dict) or not all(
            sender.get(k) for k in ("name", "street", "postcode", "city")
        ):
            raise _fail(
                "DPD",
                "'sender' needs name, street, postcode and city (the pickup address).",
                code="carrier_config_sender_incomplete",
            )
        unknown = set(sender) - set(SENDER_FIELDS)
        if unknown:
            raise _fail(
                "DPD",
                f"unknown sender key '{sorted(unknown)[0]}'.",
                code="carrier_config_unknown_key",
                params={"service": "DPD", "key": "sender." + sorted(unknown)[0]},
            )
        _secret("DPD", cfg, "password")
        return cfg
    raise ValidationError(
        f"Unknown carrier service '{service}'.",
        hint="Use inpost, dpd or manual.",
        code="unknown_carrier_service",
        params={"service": service},
    )


def redacted_config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in SECRETS and v else v) for k, v in config.items()}


def _resolve(config: dict[str, Any], key: str, what: str) -> str:
    env = config.get(f"{key}_env")
    if env:
        value = os.environ.get(env)
        if not value:
            raise ConfigurationError(
                f"{what}: the environment variable {env} is not set.",
                hint=f"Set {env} for the desktop app and the workers.",
                code="carrier_secret_env_missing",
                params={"carrier": what, "env": env},
            )
        return value
    return str(config.get(key) or "")


def make_client(service: str, config: dict[str, Any]) -> CarrierClient:
    cfg = validate_carrier_config(service, config)
    if service == "inpost":
        return inpost.ShipXClient(
            base_url=cfg.get("base_url") or inpost.URLS[cfg["environment"]],
            token=_resolve(cfg, "token", "InPost"),
            organization_id=cfg["organization_id"],
            timeout=float(cfg["timeout"]),
            label_type=cfg["label_type"],
            label_retries=int(cfg["label_retries"]),
            label_retry_wait=float(cfg["label_retry_wait"]),
        )
    if service == "dpd":
        sender = cfg["sender"]
        return dpd.DpdClient(
            url=cfg.get("url") or dpd.URLS[cfg["environment"]],
            info_url=cfg.get("info_url") or dpd.INFO_URL,
            login=str(cfg["login"]),
            password=_resolve(cfg, "password", "DPD"),
            fid=cfg["fid"],
            sender=Party(**{k: str(sender.get(k) or "") for k in SENDER_FIELDS if k in sender}),
            timeout=float(cfg["timeout"]),
            label_page_format=cfg["label_page_format"],
            info_channel=str(cfg.get("info_channel") or ""),
        )
    return ManualClient()
