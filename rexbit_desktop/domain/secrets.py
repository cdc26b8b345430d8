"""Secrets in text that people see: URLs with ``user:password@`` or ``?password=…``/``?token=…``.

``mask_secrets`` is applied to whatever is displayed or logged (a feed location in ``integration list``,
a run's message, a failed job's error, a database URL in a connection error); ``mask_url`` to one URL;
``restore_secrets`` puts the secrets back into an edited masked URL (the profile editor).
"""

from __future__ import annotations

import re

MASK = "***"

# Query parameters and userinfo parts that hold a secret (compared case-insensitively, "-" as "_").
SECRET_PARAMETERS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "token",
        "access_token",
        "auth_token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "signature",
        "sig",
        "auth",
        "authorization",
        "hash",
    }
)

# scheme://user:password@host — the password is whatever lies between the first ':' after '//' and
# the last '@' before the host part ends.
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@?#]*):(?P<pw>[^\s/?#]*)@")
_QUERY_PARAM = re.compile(
    r"(?P<head>[?&;](?P<name>[A-Za-z0-9_.\-]+)=)(?P<value>[^&#\s'\"]*?)(?=[.,;:)]?(?:[&#\s'\"]|$))"
)


def _is_secret_name(name: str) -> bool:
    return name.lower().replace("-", "_") in SECRET_PARAMETERS


def mask_secrets(text: str | None) -> str:
    """``text`` with every URL password and secret query value replaced by ``***``."""
    if not text:
        return text or ""
    if "@" in text:
        text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@" if m["pw"] else m[0], text)
    if "=" in text:
        text = _QUERY_PARAM.sub(
            lambda m: m["head"] + MASK if _is_secret_name(m["name"]) and m["value"] else m[0], text
        )
    return text


def mask_url(url: str | None) -> str:
    return mask_secrets(url)


def restore_secrets(edited: str, original: str | None) -> str:
    """An edited copy of ``mask_secrets(original)`` back to a real URL: each secret still shown as ``***``
    (the password after ``user:``, a secret query value of the same name) takes the original's value,
    so a form shows a URL masked and saves it unchanged; a secret typed anew is kept as typed."""
    if MASK not in edited or not original:
        return edited
    found = _USERINFO.search(original)
    old_password = found["pw"] if found else None
    if old_password:
        edited = _USERINFO.sub(
            lambda m: f"{m['head']}:{old_password}@" if m["pw"] == MASK else m[0], edited, count=1
        )
    old_values = {m["name"].lower(): m["value"] for m in _QUERY_PARAM.finditer(original) if m["value"]}
    return _QUERY_PARAM.sub(
        lambda m: (
            m["head"] + old_values[m["name"].lower()]
            if m["value"] == MASK and m["name"].lower() in old_values
            else m[0]
        ),
        edited,
    )


def has_secrets(text: str | None) -> bool:
    return bool(text) and mask_secrets(text) != text


__all__ = ["MASK", "SECRET_PARAMETERS", "has_secrets", "mask_secrets", "mask_url", "restore_secrets"]
