"""The ``prestashop_db`` integration's configuration: one flat JSON object, validated with defaults.

``validate_prestashop_config`` is called when an integration is created or edited and again before every
use (an old row may predate a new default). The password is never shown: display ``redacted_config``.
"""

from __future__ import annotations

import os
import re
import string
from typing import Any

from rexbit_desktop.domain.availability import DEFAULT_TEXTS, TEXT_KEYS, default_texts_for
from rexbit_desktop.domain.errors import ConfigurationError, ValidationError

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_]{0,32}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ISO_CODE = re.compile(r"^[a-z]{2}$")
# product_lang.available_now / available_later are varchar(255).
MAX_TEXT_LENGTH = 255

DEFAULTS: dict[str, Any] = {
    "port": 3306,
    "password": "",
    "prefix": "ps_",
    "id_shop": 1,
    "languages": None,  # None: every active language of the shop
    "min_stock_threshold": 20,
    "sync_only_changed": True,
    # Writing into a live shop is opt-in: an integration can be tested and pulled before it syncs.
    "product_listing_enabled": False,
    # Used for the {delivery_days} of an offer whose feed gave no delivery time.
    "default_delivery_days": 7,
    "connect_timeout": 10,
    # Our stock → the shop's quantity (issue 15): off until the operator turns it on.
    "stock_sync": "off",
    "stock_warehouses": None,  # None: the default warehouse
    "stock_buffer": 0,
}

STOCK_SYNC_VALUES = ("off", "on")
_WAREHOUSE_CODE = re.compile(r"^\S{1,20}$")

KNOWN_KEYS = frozenset(
    {"host", "database", "user", "password_env", "texts", *DEFAULTS},
)

REDACTED = "***"


def _fail(
    message: str, hint: str | None = None, *, code: str, params: dict[str, object] | None = None
) -> ValidationError:
    """The CLI's words (naming the JSON key) and the code with params the GUI phrases in its own."""
    return ValidationError(f"PrestaShop configuration: {message}", hint=hint, code=code, params=params)


def _text(cfg: dict[str, Any], key: str) -> str:
    value = cfg.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(
            f"'{key}' is required and must be a non-empty text.",
            code="shop_config_required",
            params={"key": key},
        )
    return value.strip()


def _int(cfg: dict[str, Any], key: str, low: int, high: int) -> int:
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(
            f"'{key}' must be a whole number.", code="shop_config_not_whole", params={"key": key, "value": ""}
        )
    try:
        number = int(value)
    except ValueError:
        raise _fail(
            f"'{key}' must be a whole number, not '{value}'.",
            code="shop_config_not_whole",
            params={"key": key, "value": str(value)},
        ) from None
    if not low <= number <= high:
        raise _fail(
            f"'{key}' must be between {low} and {high}, not {number}.",
            code="shop_config_out_of_range",
            params={"key": key, "low": low, "high": high, "value": number},
        )
    return number


def _bool(cfg: dict[str, Any], key: str) -> bool:
    value = cfg[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise _fail(
        f"'{key}' must be true or false, not {value!r}.",
        code="shop_config_not_bool",
        params={"key": key, "value": str(value)},
    )


def _template(iso: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(
            f"texts.{iso}.{key} must be a text.", code="shop_text_not_text", params={"iso": iso, "key": key}
        )
    if len(value) > MAX_TEXT_LENGTH:
        raise _fail(
            f"texts.{iso}.{key} is longer than {MAX_TEXT_LENGTH} characters (the shop's column).",
            code="shop_text_too_long",
            params={"iso": iso, "key": key, "max": MAX_TEXT_LENGTH},
        )
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise _fail(
            f"texts.{iso}.{key} is not a valid template ({exc}).",
            hint="Write braces as {{ and }}.",
            code="shop_text_bad_template",
            params={"iso": iso, "key": key, "reason": str(exc)},
        ) from None
    allowed = {"delivery_days"} if key == "available_later" else set()
    unknown = fields - allowed
    if unknown:
        raise _fail(
            f"texts.{iso}.{key} uses unknown placeholder(s) {', '.join('{' + f + '}' for f in sorted(unknown))}.",
            hint="Only available_later may use {delivery_days}.",
            code="shop_text_unknown_placeholder",
            params={"iso": iso, "key": key, "placeholders": ["{" + f + "}" for f in sorted(unknown)]},
        )
    return value


def _texts(value: Any) -> dict[str, dict[str, str]]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _fail(
            "'texts' must be an object keyed by language iso code, e.g. {\"pl\": {...}}.",
            code="shop_texts_not_object",
        )
    result: dict[str, dict[str, str]] = {iso: dict(texts) for iso, texts in DEFAULT_TEXTS.items()}
    for raw_iso, texts in value.items():
        iso = str(raw_iso).strip().lower()
        if not _ISO_CODE.match(iso):
            raise _fail(
                f"texts: '{raw_iso}' is not a two-letter language iso code.",
                code="shop_texts_bad_iso",
                params={"iso": str(raw_iso)},
            )
        if not isinstance(texts, dict):
            raise _fail(
                f"texts.{iso} must be an object with {', '.join(TEXT_KEYS)}.",
                code="shop_texts_iso_not_object",
                params={"iso": iso, "keys": list(TEXT_KEYS)},
            )
        unknown = set(texts) - set(TEXT_KEYS)
        if unknown:
            raise _fail(
                f"texts.{iso} has unknown key(s) {', '.join(sorted(unknown))}.",
                hint=f"Use {', '.join(TEXT_KEYS)}.",
                code="shop_texts_unknown_keys",
                params={"iso": iso, "unknown": sorted(unknown), "keys": list(TEXT_KEYS)},
            )
        merged = dict(result.get(iso) or default_texts_for(iso))
        for key, text in texts.items():
            merged[key] = _template(iso, key, text)
        result[iso] = merged
    return result


def validate_prestashop_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Check a ``prestashop_db`` config and return it normalised, with every default filled in.

    Raises ``ValidationError`` naming the key at fault. Does not connect (``integration test`` does).
    """
    if not isinstance(cfg, dict):
        raise _fail("the configuration must be a JSON object.", code="shop_config_not_object")
    unknown = set(cfg) - KNOWN_KEYS
    if unknown:
        raise _fail(
            f"unknown key(s) {', '.join(sorted(unknown))}.",
            hint="Known keys: " + ", ".join(sorted(KNOWN_KEYS)),
            code="shop_config_unknown_keys",
            params={"unknown": sorted(unknown)},
        )
    merged = {**DEFAULTS, **{k: v for k, v in cfg.items() if v is not None or k == "languages"}}
    out: dict[str, Any] = {
        "host": _text(merged, "host"),
        "port": _int(merged, "port", 1, 65535),
        "database": _text(merged, "database"),
        "user": _text(merged, "user"),
    }
    password_env = merged.get("password_env")
    if password_env is not None:
        if not isinstance(password_env, str) or not _ENV_NAME.match(password_env):
            raise _fail(
                "'password_env' must be the name of an environment variable, e.g. REXBIT_SHOP_PASSWORD.",
                code="shop_password_env_invalid",
            )
        if cfg.get("password"):
            raise _fail("give either 'password' or 'password_env', not both.", code="shop_password_twice")
        out["password_env"] = password_env
    else:
        password = merged["password"]
        if not isinstance(password, str):
            raise _fail("'password' must be a text.", code="shop_password_not_text")
        out["password"] = password

    prefix = merged["prefix"]
    if not isinstance(prefix, str) or not PREFIX_PATTERN.match(prefix):
        raise _fail(
            f"'prefix' {prefix!r} is not a valid table prefix.",
            hint="Use up to 32 letters, digits or underscores, e.g. ps_.",
            code="shop_prefix_invalid",
            params={"prefix": str(prefix)},
        )
    out["prefix"] = prefix
    out["id_shop"] = _int(merged, "id_shop", 1, 2**31 - 1)

    languages = merged.get("languages")
    if languages is not None:
        if not isinstance(languages, list) or not languages:
            raise _fail(
                "'languages' must be a non-empty list of language ids (or omitted: all active).",
                code="shop_languages_empty",
            )
        ids = []
        for value in languages:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _fail(
                    f"'languages' must hold language ids (whole numbers ≥ 1), not {value!r}.",
                    code="shop_languages_not_ids",
                    params={"value": str(value)},
                )
            ids.append(value)
        languages = sorted(set(ids))
    out["languages"] = languages

    threshold = merged["min_stock_threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise _fail("'min_stock_threshold' must be a number ≥ 0.", code="shop_threshold_invalid")
    out["min_stock_threshold"] = int(threshold) if float(threshold).is_integer() else float(threshold)
    out["sync_only_changed"] = _bool(merged, "sync_only_changed")
    out["product_listing_enabled"] = _bool(merged, "product_listing_enabled")
    out["default_delivery_days"] = _int(merged, "default_delivery_days", 0, 3650)
    out["connect_timeout"] = _int(merged, "connect_timeout", 1, 600)
    out["texts"] = _texts(merged.get("texts"))
    out.update(_stock_settings(merged))
    return out


def _stock_settings(merged: dict[str, Any]) -> dict[str, Any]:
    """``stock_sync``, ``stock_warehouses``, ``stock_buffer``. That the warehouse codes exist is checked
    by the stock push (it reads our warehouses); here only their shape."""
    sync = merged["stock_sync"]
    if isinstance(sync, bool):
        sync = "on" if sync else "off"
    if not isinstance(sync, str) or sync.strip().lower() not in STOCK_SYNC_VALUES:
        raise _fail(
            f'\'stock_sync\' must be "off" or "on", not {sync!r}.',
            code="shop_stock_sync_invalid",
            params={"value": str(sync)},
        )
    warehouses = merged.get("stock_warehouses")
    if warehouses is not None:
        if isinstance(warehouses, str):
            warehouses = [w for w in (part.strip() for part in warehouses.split(",")) if w]
        if not isinstance(warehouses, list) or not warehouses:
            raise _fail(
                "'stock_warehouses' must be a non-empty list of warehouse codes (or omitted: the default "
                "warehouse).",
                code="shop_stock_warehouses_empty",
            )
        codes: list[str] = []
        for code in warehouses:
            if not isinstance(code, str) or not _WAREHOUSE_CODE.match(code.strip()):
                raise _fail(
                    f"'stock_warehouses' must hold warehouse codes, not {code!r}.",
                    code="shop_stock_warehouse_invalid",
                    params={"value": str(code)},
                )
            if code.strip() not in codes:
                codes.append(code.strip())
        warehouses = codes
    return {
        "stock_sync": sync.strip().lower(),
        "stock_warehouses": warehouses,
        "stock_buffer": _int(merged, "stock_buffer", 0, 1_000_000),
    }


def redacted_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The config safe to print, log or show: the password replaced (the env variable's name is kept)."""
    shown = dict(cfg)
    if shown.get("password"):
        shown["password"] = REDACTED
    return shown


def resolve_password(cfg: dict[str, Any]) -> str:
    """The password to connect with: given directly, or read from the environment variable named."""
    env = cfg.get("password_env")
    if env:
        value = os.environ.get(env)
        if value is None:
            raise ConfigurationError(
                f"The shop password is to be read from the environment variable {env}, which is not set.",
                hint=f"Set {env} in the environment of this process (or of the worker service).",
                code="shop_password_env_missing",
                params={"env": env},
            )
        return value
    return str(cfg.get("password") or "")
