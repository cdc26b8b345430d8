"""Where a feed comes from: a local path, ``file://`` or ``http(s)://`` — always with a size limit.

A local file is measured (stat) before it is opened; a download is streamed to a temporary file and stops
at the size limit or at its deadline (``timeout_s`` for the whole download, however slowly the server
sends), so a huge, endless or trickling response is never held in memory nor waited for forever.

Credentials: ``https://user:password@host/…`` is sent as HTTP basic auth (never as part of the host
name); ``http_headers`` (e.g. ``{"Authorization": "Bearer …"}``) are sent as given. Every message masks
them (``domain/secrets.py``).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse, urlunparse

from rexbit_desktop.adapters.feeds.errors import FeedTooLarge, FeedUnreachable
from rexbit_desktop.domain.secrets import mask_url

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_TIMEOUT_S = 300.0
_BLOCK = 256 * 1024


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def local_path(location: str) -> Path | None:
    """The local path of a location, or None for a URL."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("http", "https"):
        return None
    if parsed.scheme and len(parsed.scheme) > 1:
        raise FeedUnreachable(
            f"Unsupported feed location '{mask_url(location)}'.",
            hint="Use a local path, file://…, http://… or https://….",
            code="feed_location_unsupported",
            params={"location": mask_url(location)},
        )
    return Path(location).expanduser()


@contextmanager
def open_feed_file(
    location: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    headers: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """Yields a local file holding the feed (the file itself, or a downloaded temporary copy).

    ``timeout_s``: the deadline of the whole download (connecting, waiting, every byte)."""
    path = local_path(location)
    if path is not None:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise FeedUnreachable(
                f"The feed file {path} does not exist.",
                hint="Check the profile's source_location.",
                code="feed_missing",
                params={"path": str(path)},
            ) from None
        except OSError as exc:
            raise FeedUnreachable(
                f"Cannot read the feed file {path}: {exc.strerror or exc}.",
                code="cannot_read",
                params={"path": str(path)},
            ) from None
        if not path.is_file():
            raise FeedUnreachable(
                f"The feed location {path} is not a file.", code="feed_not_a_file", params={"path": str(path)}
            )
        if size > max_bytes:
            raise FeedTooLarge(
                f"The feed file {path} has {_mb(size)}, over the limit of {_mb(max_bytes)}.",
                hint="Raise options.max_bytes in the import profile if the file is right.",
                code="feed_too_large",
                params={"feed": str(path), "limit": _mb(max_bytes)},
            )
        if not os.access(path, os.R_OK):
            raise FeedUnreachable(
                f"The feed file {path} is not readable (permissions).",
                code="feed_not_readable",
                params={"path": str(path)},
            )
        yield path
        return
    with _download(location, max_bytes=max_bytes, timeout_s=timeout_s, headers=headers) as downloaded:
        yield downloaded


def http_request(url: str, headers: Mapping[str, str] | None = None) -> urllib.request.Request:
    """The request for a feed URL: ``user:password@`` moves into an ``Authorization: Basic`` header."""
    parsed = urlparse(url)
    sent = {"User-Agent": "rexbit-desktop feed import"}
    if parsed.username is not None or parsed.password is not None:
        user = unquote(parsed.username or "")
        password = unquote(parsed.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        sent["Authorization"] = f"Basic {token}"
        host = parsed.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = host + (f":{parsed.port}" if parsed.port else "")
        url = urlunparse(parsed._replace(netloc=netloc))
    for key, value in (headers or {}).items():
        sent[str(key)] = str(value)
    return urllib.request.Request(url, headers=sent)


def _socket_of(response: Any) -> socket.socket | None:
    """The response's socket (to give each read only the time left); None if urllib hides it."""
    raw = getattr(getattr(response, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


@contextmanager
def _download(
    url: str, *, max_bytes: int, timeout_s: float, headers: Mapping[str, str] | None = None
) -> Iterator[Path]:
    shown = mask_url(url)
    deadline = time.monotonic() + timeout_s
    late = FeedUnreachable(
        f"The download of {shown} did not finish within timeout_s = {timeout_s:g} s; stopped.",
        hint="The server sends too slowly or not at all; raise options.timeout_s if the feed is that slow.",
    )
    request = http_request(url, headers)
    fd, name = tempfile.mkstemp(prefix="rexbit-feed-", suffix=".download")
    target = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(request, timeout=timeout_s)
            except urllib.error.HTTPError as exc:
                hint = "Check the user and password (or http_headers)." if exc.code in (401, 403) else None
                raise FeedUnreachable(
                    f"The feed server answered {exc.code} {exc.reason} for {shown}.",
                    hint=hint,
                    code="feed_http_error",
                    params={"status": exc.code, "url": shown, "login": exc.code in (401, 403)},
                ) from None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if time.monotonic() >= deadline:
                    raise late from None
                reason = getattr(exc, "reason", exc)
                raise FeedUnreachable(
                    f"Cannot fetch the feed {shown}: {reason}.",
                    hint="Check the address and the network.",
                    code="feed_fetch_failed",
                    params={"url": shown},
                ) from None
            with response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FeedTooLarge(
                        f"The feed {shown} has {_mb(int(declared))}, over the limit of {_mb(max_bytes)}.",
                        hint="Raise options.max_bytes in the import profile if the file is right.",
                        code="feed_too_large",
                        params={"feed": shown, "limit": _mb(max_bytes)},
                    )
                received = 0
                sock = _socket_of(response)
                try:
                    while True:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise late
                        if sock is not None:
                            sock.settimeout(min(left, timeout_s))
                        # read1: what one receive brings, so a trickle cannot hold a read past the deadline
                        block = response.read1(_BLOCK)
                        if not block:
                            break
                        received += len(block)
                        if received > max_bytes:
                            raise FeedTooLarge(
                                f"The feed {shown} is over the limit of {_mb(max_bytes)}; download stopped.",
                                hint="Raise options.max_bytes in the import profile if the file is right.",
                                code="feed_too_large",
                                params={"feed": shown, "limit": _mb(max_bytes)},
                            )
                        out.write(block)
                except (TimeoutError, OSError) as exc:
                    if time.monotonic() >= deadline - 0.05:
                        raise late from None
                    raise FeedUnreachable(
                        f"The download of {shown} broke off: {exc}.",
                        code="feed_fetch_failed",
                        params={"url": shown},
                    ) from None
        yield target
    finally:
        target.unlink(missing_ok=True)


def copy_to(location: str, destination: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Copies a feed (for tests and tools)."""
    with open_feed_file(location, max_bytes=max_bytes) as path:
        shutil.copyfile(path, destination)
