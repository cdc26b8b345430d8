"""Where a feed comes from: a local path, ``file://`` or ``http(s)://`` — always with a size limit.

A local file is measured (stat) before it is opened; a download is streamed to a temporary file with a
timeout and stops at the limit, so a huge or endless response is never held in memory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from rexbit_desktop.adapters.feeds.errors import FeedTooLarge, FeedUnreachable

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_TIMEOUT_S = 60.0
_BLOCK = 1024 * 1024


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
            f"Unsupported feed location '{location}'.",
            hint="Use a local path, file://…, http://… or https://….",
        )
    return Path(location).expanduser()


@contextmanager
def open_feed_file(
    location: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Iterator[Path]:
    """Yields a local file holding the feed (the file itself, or a downloaded temporary copy)."""
    path = local_path(location)
    if path is not None:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise FeedUnreachable(
                f"The feed file {path} does not exist.", hint="Check the profile's source_location."
            ) from None
        except OSError as exc:
            raise FeedUnreachable(f"Cannot read the feed file {path}: {exc.strerror or exc}.") from None
        if not path.is_file():
            raise FeedUnreachable(f"The feed location {path} is not a file.")
        if size > max_bytes:
            raise FeedTooLarge(
                f"The feed file {path} has {_mb(size)}, over the limit of {_mb(max_bytes)}.",
                hint="Raise options.max_bytes in the import profile if the file is right.",
            )
        if not os.access(path, os.R_OK):
            raise FeedUnreachable(f"The feed file {path} is not readable (permissions).")
        yield path
        return
    with _download(location, max_bytes=max_bytes, timeout_s=timeout_s) as downloaded:
        yield downloaded


@contextmanager
def _download(url: str, *, max_bytes: int, timeout_s: float) -> Iterator[Path]:
    request = urllib.request.Request(url, headers={"User-Agent": "rexbit-desktop feed import"})
    fd, name = tempfile.mkstemp(prefix="rexbit-feed-", suffix=".download")
    target = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(request, timeout=timeout_s)
            except urllib.error.HTTPError as exc:
                raise FeedUnreachable(
                    f"The feed server answered {exc.code} {exc.reason} for {url}."
                ) from None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise FeedUnreachable(
                    f"Cannot fetch the feed {url}: {reason}.", hint="Check the address and the network."
                ) from None
            with response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FeedTooLarge(
                        f"The feed {url} has {_mb(int(declared))}, over the limit of {_mb(max_bytes)}.",
                        hint="Raise options.max_bytes in the import profile if the file is right.",
                    )
                received = 0
                try:
                    while block := response.read(_BLOCK):
                        received += len(block)
                        if received > max_bytes:
                            raise FeedTooLarge(
                                f"The feed {url} is over the limit of {_mb(max_bytes)}; download stopped.",
                                hint="Raise options.max_bytes in the import profile if the file is right.",
                            )
                        out.write(block)
                except (TimeoutError, OSError) as exc:
                    raise FeedUnreachable(f"The download of {url} broke off: {exc}.") from None
        yield target
    finally:
        target.unlink(missing_ok=True)


def copy_to(location: str, destination: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Copies a feed (for tests and tools)."""
    with open_feed_file(location, max_bytes=max_bytes) as path:
        shutil.copyfile(path, destination)
