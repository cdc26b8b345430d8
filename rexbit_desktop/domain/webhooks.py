"""Outbound webhooks after the Standard Webhooks specification (pure Python).

https://www.standardwebhooks.com/ — each request carries ``webhook-id`` (the message id, the same on
every retry), ``webhook-timestamp`` (seconds since the epoch, of this attempt) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, one per secret, separated by spaces, so a receiver
keeps verifying while the secret is rotated. Secrets are ``whsec_`` + base64 of 24–64 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import random
import secrets as _secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from rexbit_desktop.domain.errors import ValidationError

SECRET_PREFIX = "whsec_"
RETRY_WINDOW = timedelta(days=1)
"""A delivery is retried for up to a day after it was created."""
BASE_DELAY = 5.0
"""Seconds before the first retry; doubled for each attempt after it (with jitter), at most MAX_DELAY."""
MAX_DELAY = 3 * 3600.0
REQUEST_TIMEOUT = 10.0


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the base64 part decoded)."""
    text = secret.strip()
    if not text.startswith(SECRET_PREFIX):
        raise ValidationError(
            "A webhook secret starts with 'whsec_'.",
            hint="Leave it empty to get a new one.",
            code="secret_prefix",
        )
    try:
        key = base64.b64decode(text[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise ValidationError(
            "The webhook secret after 'whsec_' is not base64.", code="secret_not_base64"
        ) from None
    if not 24 <= len(key) <= 64:
        raise ValidationError("A webhook secret holds 24 to 64 bytes.", code="secret_length")
    return key


def sign(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one ``v1,<signature>`` per secret, space separated."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    parts = []
    for secret in secrets:
        digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
        parts.append("v1," + base64.b64encode(digest).decode())
    return " ".join(parts)


def headers(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "rexbit-webhooks/1",
    }


def payload(type_: str, at: datetime, data: dict[str, Any]) -> bytes:
    """``{"type", "timestamp", "data"}`` as compact JSON, the exact bytes that are signed and sent."""
    body = {"type": type_, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


# ------------------------------------------------------------------ answers and retries


class Outcome:
    DELIVERED = "delivered"
    RETRY = "retry"
    DISABLE = "disable"
    FAILED = "failed"


def outcome_of(status_code: int | None) -> str:
    """What an answer means: 2xx delivered; 410 Gone disables the endpoint; 408, 429, 5xx and no
    answer (timeout, refused connection) are retried; any other 4xx is a permanent failure."""
    if status_code is None:
        return Outcome.RETRY
    if 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code == 410:
        return Outcome.DISABLE
    if status_code in (408, 429) or status_code >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def next_attempt(
    attempts: int,
    created_at: datetime,
    now: datetime,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
    base: float = BASE_DELAY,
) -> datetime | None:
    """When to try again after ``attempts`` failed tries (None: the day is over, give up).

    Exponential backoff with full jitter between half and the whole delay; a ``Retry-After`` answer is
    honoured as the earliest moment (never earlier than the receiver asked)."""
    delay = min(base * (2 ** max(attempts - 1, 0)), MAX_DELAY)
    delay = delay * (0.5 + 0.5 * (rng or random).random())
    if retry_after is not None:
        delay = max(delay, retry_after) if retry_after > 0 else 0.0
    at = now + timedelta(seconds=delay)
    if at > created_at + RETRY_WINDOW:
        return None
    return at


# ------------------------------------------------------------------ targets (SSRF)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def parse_url(url: str) -> Target:
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"'{text}' is not a web address.",
            hint="A webhook URL looks like https://example.com/hooks/rexbit.",
            code="url_invalid",
            params={"url": text},
        )
    if parts.username or parts.password:
        raise ValidationError(
            "Put no user name or password in the webhook URL; the signature authenticates.",
            code="url_credentials",
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(
            f"The port in '{text}' is not a number.", code="url_port_invalid", params={"url": text}
        ) from None
    return Target(parts.scheme, parts.hostname, port)


def private_address(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: not the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_addresses(host: str, addresses: list[str], *, allow_private: bool) -> None:
    """Refuse a target whose host resolves to a private or loopback address (SSRF), unless allowed."""
    if not addresses:
        raise ValidationError(
            f"The host '{host}' of the webhook URL cannot be resolved.",
            code="url_unresolved",
            params={"host": host},
        )
    if allow_private:
        return
    bad = [a for a in addresses if private_address(a)]
    if bad:
        raise ValidationError(
            f"The webhook URL points to a private or local address ({host} → {bad[0]}).",
            code="url_private",
            params={"host": host, "address": bad[0]},
        )
