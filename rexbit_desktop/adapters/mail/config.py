"""A mail account's configuration: one flat JSON object, validated with defaults.

The passwords are never shown: display ``redacted_config``. ``password_env`` / ``imap_password_env`` name
environment variables read when the account is used (the value is never stored, printed or logged).
"""

from __future__ import annotations

import os
import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

from rexbit_desktop.domain.errors import ConfigurationError, ValidationError

SECURITY = ("starttls", "ssl", "none")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
REDACTED = "***"

DEFAULTS: dict[str, Any] = {
    "security": "starttls",
    "login": None,
    "password": "",
    "from_name": "",
    "reply_to": None,
    "timeout": 20,
    # Seconds before the 2nd, 3rd … attempt after a temporary (4xx) answer; its length + 1 = the attempts.
    "retry_delays": [60, 300, 1800, 7200],
    "imap_host": None,
    "imap_port": None,
    "imap_security": "ssl",
    "imap_login": None,
    "imap_password": "",
    "imap_folder": "INBOX",
    # A link the templates may give the customer ({number} is the order number), e.g. a shop page.
    "documents_url": "",
}
KNOWN_KEYS = frozenset(
    {"smtp_host", "smtp_port", "from_address", "password_env", "imap_password_env", *DEFAULTS}
)
SECRET_KEYS = ("password", "imap_password")


def _fail(
    message: str, hint: str | None = None, *, key: str = "", problem: str = "invalid"
) -> ValidationError:
    """``key`` + ``problem`` (required, port, address, env_name, invalid) let the GUI name the field."""
    return ValidationError(
        f"Mail account: {message}",
        hint=hint,
        code="mail_account_invalid",
        params={"key": key, "problem": problem},
    )


def _text(cfg: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = cfg.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(f"'{key}' is required.", key=key, problem="required")
        return None
    if not isinstance(value, str):
        raise _fail(f"'{key}' must be a text.")
    return value.strip()


def _port(cfg: dict[str, Any], key: str, default: int) -> int:
    value = cfg.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _fail(f"'{key}' must be a port number.", key=key, problem="port")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _fail(f"'{key}' must be a port number, not '{value}'.", key=key, problem="port") from None
    if not 1 <= number <= 65535:
        raise _fail(f"'{key}' must be between 1 and 65535, not {number}.", key=key, problem="port")
    return number


def _security(cfg: dict[str, Any], key: str) -> str:
    value = str(cfg.get(key) or "").strip().lower()
    if value not in SECURITY:
        raise _fail(f"'{key}' must be one of {', '.join(SECURITY)}, not '{cfg.get(key)}'.")
    return value


def _address(cfg: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = _text(cfg, key, required=required)
    if value is not None and not _ADDRESS.match(value):
        raise _fail(f"'{key}' is not an e-mail address: '{value}'.", key=key, problem="address")
    return value


def _secret(cfg: dict[str, Any], out: dict[str, Any], key: str, env_key: str) -> None:
    env = cfg.get(env_key)
    if env is not None and env != "":
        if not isinstance(env, str) or not _ENV_NAME.match(env):
            raise _fail(
                f"'{env_key}' must be the name of an environment variable, e.g. REXBIT_SMTP_PASSWORD.",
                key=env_key,
                problem="env_name",
            )
        if cfg.get(key):
            raise _fail(f"give either '{key}' or '{env_key}', not both.")
        out[env_key] = env
        return
    value = cfg.get(key) or ""
    if not isinstance(value, str):
        raise _fail(f"'{key}' must be a text.")
    out[key] = value


def validate_mail_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Check an account's config and return it normalised with every default filled in. Does not connect."""
    if not isinstance(cfg, dict):
        raise _fail("the configuration must be a JSON object.")
    unknown = set(cfg) - KNOWN_KEYS
    if unknown:
        raise _fail(
            f"unknown key(s) {', '.join(sorted(unknown))}.",
            hint="Known keys: " + ", ".join(sorted(KNOWN_KEYS)),
        )
    merged = {**DEFAULTS, **{k: v for k, v in cfg.items() if v is not None}}
    out: dict[str, Any] = {"smtp_host": _text(merged, "smtp_host", required=True)}
    out["security"] = _security(merged, "security")
    out["smtp_port"] = _port(merged, "smtp_port", {"starttls": 587, "ssl": 465, "none": 25}[out["security"]])
    out["login"] = _text(merged, "login")
    _secret(merged, out, "password", "password_env")
    out["from_address"] = _address(merged, "from_address", required=True)
    from_name = _text(merged, "from_name") or ""
    try:
        Address(display_name=from_name, addr_spec=out["from_address"])
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise _fail(f"'from_name' / 'from_address' do not make a sender: {exc}", key="from_name") from None
    out["from_name"] = from_name
    out["reply_to"] = _address(merged, "reply_to")
    timeout = merged.get("timeout")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 1 <= timeout <= 600:
        raise _fail("'timeout' must be a number of seconds between 1 and 600.")
    out["timeout"] = timeout
    delays = merged.get("retry_delays")
    if (
        not isinstance(delays, list)
        or len(delays) > 20
        or any(isinstance(d, bool) or not isinstance(d, int | float) or not 0 <= d <= 86400 for d in delays)
    ):
        raise _fail("'retry_delays' must be a list of up to 20 numbers of seconds (0–86400).")
    out["retry_delays"] = list(delays)
    out["imap_host"] = _text(merged, "imap_host")
    out["imap_security"] = _security(merged, "imap_security")
    out["imap_port"] = _port(merged, "imap_port", 993 if out["imap_security"] == "ssl" else 143)
    out["imap_login"] = _text(merged, "imap_login")
    _secret(merged, out, "imap_password", "imap_password_env")
    out["imap_folder"] = _text(merged, "imap_folder") or "INBOX"
    documents_url = _text(merged, "documents_url") or ""
    out["documents_url"] = documents_url
    return out


def redacted_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The config safe to print, log or show: the passwords replaced (an env variable's name is kept)."""
    shown = dict(cfg)
    for key in SECRET_KEYS:
        if shown.get(key):
            shown[key] = REDACTED
    return shown


def resolve_password(cfg: dict[str, Any], *, imap: bool = False) -> str:
    """The password to log in with; IMAP falls back to the SMTP password when it has none of its own."""
    key, env_key = ("imap_password", "imap_password_env") if imap else ("password", "password_env")
    env = cfg.get(env_key)
    if env:
        value = os.environ.get(env)
        if value is None:
            raise ConfigurationError(
                f"The mail password's environment variable {env} is not set.",
                hint=f"Set {env} for the process that sends or fetches mail (the worker).",
                code="mail_password_env_missing",
                params={"env": env},
            )
        return value
    value = cfg.get(key) or ""
    if imap and not value:
        return resolve_password(cfg)
    return str(value)


def imap_login(cfg: dict[str, Any]) -> str | None:
    return cfg.get("imap_login") or cfg.get("login")


def sender(cfg: dict[str, Any]) -> str:
    """The From header: "Name <address>"."""
    return str(Address(display_name=cfg.get("from_name") or "", addr_spec=cfg["from_address"]))
