"""Where the database URL comes from, how it is checked, and how it is shown (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rexbit_desktop import config
from rexbit_desktop.domain.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("REXBIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("REXBIT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("REXBIT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "config"


def write_config(directory: Path, content: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_order_option_environment_file_embedded(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    assert config.resolve_database(None) == config.DatabaseTarget(None, "embedded")
    write_config(clean_env, 'database_url = "postgres://file@h/f"\n')
    assert config.resolve_database(None) == config.DatabaseTarget(
        "postgresql+psycopg://file@h/f", "config file"
    )
    monkeypatch.setenv("REXBIT_DATABASE_URL", "postgresql://env@h/e")
    assert config.resolve_database(None) == config.DatabaseTarget(
        "postgresql+psycopg://env@h/e", "environment"
    )
    assert config.resolve_database("postgresql+psycopg://opt@h/o").source == "option"


def test_empty_values_fall_through(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    monkeypatch.setenv("REXBIT_DATABASE_URL", "")
    write_config(clean_env, 'database_url = "  "\n# nothing else\n')
    assert config.resolve_database(None).embedded


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        (" postgresql://u@h/db ", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg:///db?host=/tmp/sock", "postgresql+psycopg:///db?host=/tmp/sock"),
    ],
)
def test_accepted_urls(url: str, expected: str) -> None:
    assert config.normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/shop", "scheme 'mysql'"),
        ("localhost:5432", "Unsupported database URL"),
        ("postgresql+psycopg://u:p@h:port/db", "malformed"),
    ],
)
def test_refused_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        config.normalise_url(url)
    assert info.value.exit_code == 2 and info.value.hint


def test_errors_say_where_the_url_came_from(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    path = write_config(clean_env, 'database_url = "sqlite:///x.db"\n')
    with pytest.raises(ConfigurationError, match=f"from database_url in {path}"):
        config.resolve_database(None)
    monkeypatch.setenv("REXBIT_DATABASE_URL", "oracle://x")
    with pytest.raises(ConfigurationError, match="from REXBIT_DATABASE_URL"):
        config.resolve_database(None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('database_url = "x', "not valid TOML"),
        ("database_url = 5432\n", "must be a text in quotes"),
        ("[database]\nurl = 5\n", None),  # unknown keys are ignored
    ],
)
def test_config_file_contents(clean_env: Path, content: str, message: str | None) -> None:
    write_config(clean_env, content)
    if message is None:
        assert config.resolve_database(None).embedded
        return
    with pytest.raises(ConfigurationError, match=message):
        config.resolve_database(None)


def test_passwords_are_never_shown() -> None:
    assert (
        config.redact_url("postgresql+psycopg://u:s3cret@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    )
    assert config.redact_url("postgresql+psycopg://u:p@ss@h/db") == "postgresql+psycopg://u:***@h/db"
    assert config.redact_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.redact_url("postgresql+psycopg:///db?host=/tmp") == "postgresql+psycopg:///db?host=/tmp"


def test_data_dir_is_created_or_refused_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert config.data_dir() == tmp_path / "data" and (tmp_path / "data").is_dir()
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("REXBIT_DATA_DIR", str(tmp_path / "file" / "data"))
    with pytest.raises(ConfigurationError, match="Cannot create the data directory"):
        config.data_dir()


def test_a_database_is_shown_as_where_it_really_is() -> None:
    """A Unix-socket connection is a server on this computer, not ``localhost:5432`` (nor ``None:None``)."""
    from rexbit_desktop.db.session import Database, make_engine

    def shown(url: str) -> tuple[str | None, str]:
        db = Database(url=url, engine=make_engine(url), embedded=False, source="option")
        return db.socket_dir, db.display

    assert shown("postgresql+psycopg://u:pw@db.example.lan/rexbit") == (
        None,
        "PostgreSQL db.example.lan:5432/rexbit",
    )
    assert shown("postgresql+psycopg://u@10.0.0.5:6432/shop") == (None, "PostgreSQL 10.0.0.5:6432/shop")
    assert shown("postgresql+psycopg://postgres:@/rexbit?host=/tmp/rexbit-ab12") == (
        "/tmp/rexbit-ab12",
        "PostgreSQL socket /tmp/rexbit-ab12/rexbit",
    )
    assert shown("postgresql+psycopg://postgres@/rexbit") == ("", "PostgreSQL socket (default)/rexbit")


def test_a_config_file_with_a_password_must_be_private(clean_env: Path) -> None:
    """Others must not read a database password: 0644 with a password is refused (exit 2, with the
    chmod to run); 0600, or no password in the URL, is fine."""
    path = write_config(clean_env, 'database_url = "postgresql+psycopg://rexbit:s3cret@db.lan/rexbit"\n')
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="other users of this computer can read it") as info:
        config.resolve_database(None)
    assert info.value.exit_code == 2
    assert f"chmod 600 {path}" in (info.value.hint or "")
    assert "s3cret" not in str(info.value)
    path.chmod(0o640)
    with pytest.raises(ConfigurationError):
        config.resolve_database(None)
    path.chmod(0o600)
    assert config.resolve_database(None).source == "config file"
    write_config(clean_env, 'database_url = "postgresql+psycopg://rexbit@db.lan/rexbit?password=s3cret"\n')
    path.chmod(0o644)
    with pytest.raises(ConfigurationError):
        config.resolve_database(None)
    write_config(clean_env, 'database_url = "postgresql+psycopg://rexbit@db.lan/rexbit"\n')
    path.chmod(0o644)
    assert config.resolve_database(None).source == "config file", "no password: nothing to hide"
