"""Shared fixtures: a real PostgreSQL (template database per session, a clone per test) and a real
MariaDB shop loaded from tests/fixtures/prestashop (the project carries its own copy). Qt runs offscreen."""

from __future__ import annotations

import os
import re
import secrets
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psycopg

# Real SMTP (aiosmtpd) and IMAP (dovecot) servers for the mail tests: fixtures ``smtp``, ``imap_server``.
pytest_plugins = ["tests.support.mail", "tests.support.imap"]

REPO = Path(__file__).resolve().parent.parent
PRESTASHOP_FIXTURES = REPO / "tests" / "fixtures" / "prestashop"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session", autouse=True)
def _wired() -> None:
    """The test process starts like the app: listeners wired, the local worker provided."""
    from rexbit_desktop.bootstrap import bootstrap

    bootstrap()


# ---------------------------------------------------------------- PostgreSQL


def _admin_url() -> str:
    url = os.environ.get("REXBIT_TEST_DATABASE_URL")
    if url:
        from rexbit_desktop.config import normalise_url

        return normalise_url(url)
    # No server configured: the embedded one, in a cache dir reused across runs.
    import platformdirs

    from rexbit_desktop.db.embedded import start_embedded

    data = Path(platformdirs.user_cache_dir("rexbit-desktop")) / "test-embedded"
    data.mkdir(parents=True, exist_ok=True)
    return start_embedded(data)


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + (("?" + query) if query else "")


def embedded_base_dir(tmp_path: Path) -> Iterator[Path]:
    """Where a test puts embedded servers' data directories. As root the server runs as 'pgserver',
    which reaches the directory through an ACL entry on its parents; pytest's own tmp root
    (/tmp/pytest-of-root) is chmod-ed back to 0700 by every pytest run that starts meanwhile, which
    would cut a running server off its files. So as root: a fresh private directory under /tmp."""
    if os.name == "posix" and os.geteuid() == 0:
        import shutil
        import tempfile

        base = Path(tempfile.mkdtemp(prefix="rexbit-test-"))
        try:
            yield base
        finally:
            shutil.rmtree(base, ignore_errors=True)
    else:
        yield tmp_path


@pytest.fixture
def embedded_dir(tmp_path: Path) -> Iterator[Path]:
    yield from embedded_base_dir(tmp_path)


@pytest.fixture(scope="module")
def embedded_dir_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from embedded_base_dir(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> Iterator[str]:
    """A database migrated to head once per session; tests clone it (CREATE DATABASE … TEMPLATE)."""
    from rexbit_desktop.db.session import make_engine, upgrade_schema

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"rexbit_tpl_{worker}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_conninfo(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(_with_database(pg_admin_url, name))
    upgrade_schema(engine)
    engine.dispose()
    yield name
    with psycopg.connect(_conninfo(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database (no schema) and its URL."""
    name = f"rexbit_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(pg_admin_url, name)
    with psycopg.connect(_conninfo(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    """A fresh database at the newest schema, cloned from the session template."""
    name = f"rexbit_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    url = _with_database(pg_admin_url, name)
    yield url
    try:
        _check_offer_columns(url)
    finally:
        with psycopg.connect(_conninfo(pg_admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_offer_columns(url: str) -> None:
    """After every test on a database: each offer's typed columns agree with its JSON (migration 0009 —
    the feed import writes them from parsed values, the ORM and SQL writers through the rule's functions)."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        if conn.execute("SELECT to_regprocedure('rexbit_offer_stock(jsonb)')").fetchone() == (None,):
            return  # not at the newest schema
        wrong = conn.execute(
            "SELECT external_id, supplier_availability::text, offer_stock, offer_delivery_days"
            " FROM integration_product_links WHERE supplier_availability IS NOT NULL"
            " AND (offer_stock IS DISTINCT FROM rexbit_offer_stock(supplier_availability)"
            "      OR offer_delivery_days IS DISTINCT FROM rexbit_offer_delivery_days(supplier_availability))"
            " LIMIT 5"
        ).fetchall()
    assert not wrong, f"offer columns disagree with the offer's JSON: {wrong}"


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    """An opened ``Database`` on a fresh, migrated database."""
    from rexbit_desktop.db.session import open_database

    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def system_actor(db):  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.users import actor_for_login

    return actor_for_login(db.uow(), None)


# ---------------------------------------------------------------- MariaDB (PrestaShop)


@dataclass
class Shop:
    """A fresh PrestaShop database on MariaDB with a random table prefix."""

    host: str
    port: int
    user: str
    password: str
    database: str
    prefix: str

    def connect(self, **kwargs):  # type: ignore[no-untyped-def]
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            charset="utf8mb4",
            autocommit=True,
            **kwargs,
        )

    def config(self, **overrides: object) -> dict[str, object]:
        """An integration config (issue 5's flat JSON) pointing at this shop."""
        cfg: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
            "prefix": self.prefix,
            "id_shop": 1,
        }
        cfg.update(overrides)
        return cfg

    def t(self, name: str) -> str:
        return f"`{self.prefix}{name}`"


def _mysql_params() -> dict[str, object]:
    from urllib.parse import unquote, urlparse

    url = os.environ.get("REXBIT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/")
    u = urlparse(url)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 3306,
        "user": unquote(u.username or "root"),
        "password": unquote(u.password or ""),
    }


def split_sql(script: str) -> list[str]:
    """Split a SQL file into statements (the fixtures have no ';' inside strings at line ends)."""
    script = re.sub(r"/\*.*?\*/", "", script, flags=re.S)
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().strip(";")]


def load_prestashop(conn, prefix: str) -> None:  # type: ignore[no-untyped-def]
    for fname in ("schema.sql", "base_data.sql"):
        text = (PRESTASHOP_FIXTURES / fname).read_text(encoding="utf-8")
        text = (
            text.replace("PREFIX_", prefix)
            .replace("ENGINE_TYPE", "InnoDB")
            .replace("COLLATION", "COLLATE=utf8mb4_unicode_ci")
        )
        with conn.cursor() as cur:
            for stmt in split_sql(text):
                cur.execute(stmt.rstrip(";"))


def _mysql_unreachable(params: dict[str, object]) -> str | None:
    """Why MariaDB does not answer, or None when it does."""
    import pymysql

    try:
        pymysql.connect(connect_timeout=3, **params).close()  # type: ignore[arg-type]
    except pymysql.Error as exc:
        return f"MariaDB not reachable at {params['host']}:{params['port']} ({exc}); PrestaShop tests need it"
    return None


def pytest_report_header(config: pytest.Config) -> list[str]:
    """One loud line at the top of the run saying which servers the tests use."""
    lines = [
        "PostgreSQL: REXBIT_TEST_DATABASE_URL"
        if os.environ.get("REXBIT_TEST_DATABASE_URL")
        else "PostgreSQL: the embedded server (REXBIT_TEST_DATABASE_URL not set)"
    ]
    if config.getoption("markexpr", "") and "not mysql" in config.getoption("markexpr", ""):
        return lines
    reason = _mysql_unreachable(_mysql_params())
    if reason is None:
        lines.append("MariaDB: answering, the PrestaShop tests run")
    elif IN_CI:
        lines.append(f"*** MariaDB: {reason}; CI=true, so every MariaDB test FAILS ***")
    else:
        lines.append(f"*** SKIPPING MariaDB TESTS: {reason} (see README, 'Run the tests') ***")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that needs MariaDB carries the ``mysql`` marker (runs before ``-m`` deselects), so
    ``-m "not mysql"`` never starts one by mistake."""
    for item in items:
        if "mysql_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mysql)


@pytest.fixture(scope="session")
def mysql_server() -> dict[str, object]:
    params = _mysql_params()
    msg = _mysql_unreachable(params)
    if msg is not None:
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing service fails the run)")
        print(f"\n*** SKIPPING MariaDB TESTS: {msg} ***\n", file=sys.stderr)
        pytest.skip(msg)
    return params


@pytest.fixture
def shop(mysql_server: dict[str, object]) -> Iterator[Shop]:
    import pymysql

    database = f"rexbit_shop_{uuid.uuid4().hex[:10]}"
    prefix = f"ps{secrets.token_hex(2)}_"
    conn = pymysql.connect(charset="utf8mb4", autocommit=True, **mysql_server)  # type: ignore[arg-type]
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.select_db(database)
    load_prestashop(conn, prefix)
    shop = Shop(database=database, prefix=prefix, **mysql_server)  # type: ignore[arg-type]
    try:
        yield shop
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        conn.close()
