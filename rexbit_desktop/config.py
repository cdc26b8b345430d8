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
    path = Path(os.environ.get("REXBIT_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    return Path(os.environ.get("REXBIT_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"


def read_config_file() -> dict[str, object]:
    path = config_file()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read the configuration file {path}: {exc}", hint="Fix or delete the file."
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
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith("postgresql+psycopg://"):
        raise ConfigurationError(
            f"Unsupported database URL '{_redact(url)}'.",
            hint="Use postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE (rexbit runs on PostgreSQL only).",
        )
    return url


def _redact(url: str) -> str:
    if "@" in url and ":" in url.split("@", 1)[0]:
        head, tail = url.split("@", 1)
        scheme_user = head.rsplit(":", 1)[0]
        return f"{scheme_user}:***@{tail}"
    return url


redact_url = _redact


def resolve_database(explicit: str | None = None) -> DatabaseTarget:
    if explicit:
        return DatabaseTarget(normalise_url(explicit), "option")
    env = os.environ.get("REXBIT_DATABASE_URL")
    if env:
        return DatabaseTarget(normalise_url(env), "environment")
    from_file = read_config_file().get("database_url")
    if isinstance(from_file, str) and from_file:
        return DatabaseTarget(normalise_url(from_file), "config file")
    return DatabaseTarget(None, "embedded")
