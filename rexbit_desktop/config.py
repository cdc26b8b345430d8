"""Where the database is and where local files live.

Resolution order for the database URL: explicit argument (``--database-url``), ``REXBIT_DATABASE_URL``,
``database_url`` in ``config.toml`` in the user's config dir, else the embedded PostgreSQL server in the
data dir (``REXBIT_DATA_DIR`` overrides the data dir).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from rexbit_desktop.domain.errors import ConfigurationError

APP_NAME = "rexbit-desktop"


def data_dir() -> Path:
    path = Path(os.environ.get("REXBIT_DATA_DIR") or platformdirs.user_data_dir(APP_NAME)).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot create the data directory {path}: {exc.strerror or exc}.",
            hint="Set REXBIT_DATA_DIR to a writable directory.",
        ) from exc
    return path


def config_dir() -> Path:
    return Path(os.environ.get("REXBIT_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME)).expanduser()


def config_file() -> Path:
    return config_dir() / "config.toml"


def read_config_file() -> dict[str, object]:
    path = config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigurationError(
            f"Cannot read the configuration file {path}: {reason}.",
            hint='Fix or delete the file (UTF-8 TOML, e.g. database_url = "postgresql+psycopg://…").',
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"The configuration file {path} is not valid TOML: {exc}.",
            hint='Fix or delete the file; it holds one line such as database_url = "postgresql+psycopg://…".',
        ) from exc


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database: either a URL of a server, or the embedded server."""

    url: str | None
    source: str  # "option" | "environment" | "config file" | "embedded"

    @property
    def embedded(self) -> bool:
        return self.url is None


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver; refuse anything else."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = url.strip()
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith("postgresql+psycopg://"):
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise ConfigurationError(
            f"Unsupported database URL scheme '{scheme}' (rexbit runs on PostgreSQL only).",
            hint="Use postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE.",
        )
    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(
            f"The database URL '{_redact(url)}' is malformed: {exc}.",
            hint="Use postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE (quote special characters in "
            "the password with %XX).",
        ) from exc
    return url


def _redact(url: str) -> str:
    """The URL with its password (``user:…@`` or ``?password=…``) replaced by ``***``, for messages and logs."""
    from rexbit_desktop.domain.secrets import mask_url

    return mask_url(url)


redact_url = _redact


def _normalise_from(url: str, origin: str) -> str:
    try:
        return normalise_url(url)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{exc.message} (from {origin})", hint=exc.hint) from exc


def resolve_database(explicit: str | None = None) -> DatabaseTarget:
    if explicit:
        return DatabaseTarget(normalise_url(explicit), "option")
    env = os.environ.get("REXBIT_DATABASE_URL")
    if env:
        return DatabaseTarget(_normalise_from(env, "REXBIT_DATABASE_URL"), "environment")
    from_file = read_config_file().get("database_url")
    if from_file is not None and not isinstance(from_file, str):
        raise ConfigurationError(
            f"database_url in {config_file()} must be a text in quotes.",
            hint='Write it as database_url = "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE".',
        )
    if from_file and from_file.strip():
        url = _normalise_from(from_file, f"database_url in {config_file()}")
        check_private(config_file(), url)
        return DatabaseTarget(url, "config file")
    return DatabaseTarget(None, "embedded")


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return bool(u.password) or "password" in u.query


def check_private(path: Path, url: str) -> None:
    """A config file holding a database password must be readable by its owner only (as ssh treats a
    private key): refuse one that other users can read, saying how to fix it."""
    if os.name != "posix" or not _has_password(url):
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        raise ConfigurationError(
            f"The configuration file {path} holds a database password and other users of this computer "
            f"can read it (permissions {oct(mode & 0o777)[2:]}).",
            hint=f"Make it private: chmod 600 {path}",
        )
