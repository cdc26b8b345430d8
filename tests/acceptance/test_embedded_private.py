"""The embedded server is reachable by its owner only, whatever the data directory's path: two real OS
users (throwaway, made with ``useradd``), a short and a 120-character data-dir path, the owner being a
normal user and root. The other user tries the socket with psycopg as the role ``postgres``, as itself
and as the owner; the owner's own connection proves the check can succeed. Needs root (to create the
users): skipped loudly otherwise, and a failure under ``CI=true``."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from rexbit_desktop.db.embedded import running_postmaster

IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.slow

HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from rexbit_desktop.db.embedded import start_embedded\n"
    "url = start_embedded(Path(sys.argv[1]))\n"
    "print('ready', url.split('?host=', 1)[1], flush=True)\n"
    "sys.stdin.read()\n"
)
CONNECT = (
    "import sys, psycopg\n"
    "try:\n"
    "    psycopg.connect(host=sys.argv[1], user=sys.argv[2], dbname='rexbit', connect_timeout=5).close()\n"
    "except psycopg.Error as exc:\n"
    "    print('refused:', str(exc).strip().splitlines()[-1][:200]); sys.exit(1)\n"
    "print('CONNECTED')\n"
)


def _tool(name: str) -> str:
    """``useradd``/``userdel``/``runuser`` live in ``/usr/sbin``, which a PATH may leave out."""
    return (
        shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])) or name
    )


def _as(user: str | None, args: list[str], **kwargs: object) -> list[str]:
    return [_tool("runuser"), "-u", user, "--", *args] if user else args


def _env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REXBIT_", "XDG_"))}
    env["HOME"] = home
    # The packages of this run, for an interpreter other than the suite's own (``_python_for``).
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), *(p for p in sys.path if p.endswith("site-packages"))]
    )
    return env


@pytest.fixture(scope="module")
def two_users() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0:
        msg = "needs root to create two throwaway OS users (useradd); run the suite as root to check this"
        if IN_CI:
            pytest.fail(msg + " (CI=true)")
        print(f"\n*** SKIPPING the two-user embedded-server test: {msg} ***\n", file=sys.stderr)
        pytest.skip(msg)
    tag = secrets.token_hex(3)
    users = (f"rxown{tag}", f"rxoth{tag}")
    for user in users:
        subprocess.run([_tool("useradd"), "--create-home", "--shell", "/bin/sh", user], check=True)
    try:
        yield users
    finally:
        for user in users:
            subprocess.run([_tool("userdel"), "--remove", user], capture_output=True)


@functools.cache
def _python_for(user: str) -> list[str]:
    """A Python that ``user`` may run, with this project's packages on its path.

    The suite's interpreter may live where other users cannot reach it (a pyenv build under a 0710
    ``/root``); the system interpreter of the same version then runs the same packages (same ABI),
    found through ``PYTHONPATH`` (see ``_env``)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [sys.executable, sys._base_executable, f"/usr/bin/python{version}"]
    for candidate in candidates:
        probe = subprocess.run(
            _as(user, [candidate, "-c", "import rexbit_desktop.db.embedded, psycopg"]),
            env=_env("/"),
            capture_output=True,
        )
        if probe.returncode == 0:
            return [candidate]
    msg = (
        f"no Python interpreter with this project's packages can be run by the OS user {user} "
        f"(tried {', '.join(candidates)}): the checkout or its interpreter is not readable by other users"
    )
    print(f"\n*** SKIPPING the two-user embedded-server test: {msg} ***\n", file=sys.stderr)
    pytest.skip(msg)


def _data_dirs(base: Path) -> list[Path]:
    short = base / "d"
    long_ = base / ("a" * 60) / ("b" * 40)
    long_ = long_.parent / ("b" * (120 - len(str(long_.parent)) - 1))
    assert len(str(long_)) == 120
    return [short, long_]


def _hold(user: str | None, data: Path, home: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        _as(user, [*_python_for(user or "root"), "-c", HOLDER, str(data)]),
        env=_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        raise AssertionError(f"the owner's server did not start: {line!r} {proc.communicate()[1][-2000:]}")
    return proc, line.split()[1]


def _leave(proc: subprocess.Popen[str], data: Path) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0
    assert running_postmaster((data / "pgdata").resolve()) is None


def _connect(user: str | None, socket_dir: str, role: str, home: str) -> str:
    result = subprocess.run(
        _as(user, [*_python_for(user or "root"), "-c", CONNECT, socket_dir, role]),
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return (result.stdout + result.stderr).strip()


def _check(owner: str | None, other: str, socket_dir: str, pgdata: Path, homes: dict[str, str]) -> None:
    owner_home = homes.get(owner or "root", "/root")
    assert "CONNECTED" in _connect(owner, socket_dir, "postgres", owner_home), "the owner connects"
    for role in ("postgres", other, owner or "root"):
        answer = _connect(other, socket_dir, role, homes[other])
        assert "CONNECTED" not in answer and answer.startswith("refused:"), (role, answer)
    # Behind the private socket directory, authentication trusts nobody either (defence in depth).
    uri = f"postgresql://postgres@/rexbit?host={socket_dir}"
    if owner is None:
        with psycopg.connect(uri) as conn:
            rules = conn.execute("SELECT type, auth_method FROM pg_hba_file_rules").fetchall()
        assert rules == [("local", "peer")]
    socket_mode = os.stat(socket_dir).st_mode
    assert not socket_mode & 0o077, f"socket directory {socket_dir} is {oct(socket_mode)}"
    assert not os.stat(Path(socket_dir) / ".s.PGSQL.5432").st_mode & 0o077
    assert pgdata.stat().st_mode & 0o077 == 0


def test_a_normal_users_embedded_server_is_closed_to_another_user(two_users: tuple[str, str]) -> None:
    owner, other = two_users
    homes = {owner: f"/home/{owner}", other: f"/home/{other}"}
    home_mode = os.stat(homes[owner]).st_mode
    for data in _data_dirs(Path(homes[owner]) / "rexbit"):
        subprocess.run(_as(owner, ["mkdir", "-p", str(data)]), check=True)
        proc, socket_dir = _hold(owner, data, homes[owner])
        try:
            if len(str(data)) > 100:
                assert not socket_dir.startswith(str(data)), "a long path puts the socket elsewhere"
            _check(owner, other, socket_dir, data / "pgdata", homes)
        finally:
            _leave(proc, data)
    assert os.stat(homes[owner]).st_mode == home_mode, "the owner's home keeps its permissions"


def test_roots_embedded_server_is_closed_to_another_user_and_opens_no_parent(
    two_users: tuple[str, str],
) -> None:
    _, other = two_users
    homes = {other: f"/home/{other}", "root": "/root"}
    base = Path(tempfile.mkdtemp(prefix="rexbit-root-test-"))  # 0700, outside pytest's own tmp tree
    try:
        modes_before = {p: stat.S_IMODE(p.stat().st_mode) for p in (base, *base.parents)}
        for data in _data_dirs(base):
            data.mkdir(parents=True)
            proc, socket_dir = _hold(None, data, "/root")
            try:
                _check(None, other, socket_dir, data / "pgdata", homes)
                for parent in data.parents:
                    if parent in modes_before:
                        others_before = modes_before[parent] & 0o007
                        assert stat.S_IMODE(parent.stat().st_mode) & 0o007 == others_before, parent
                listing = subprocess.run(_as(other, ["ls", str(base)]), capture_output=True, text=True)
                assert listing.returncode != 0, "the other user still cannot enter root's folder"
            finally:
                _leave(proc, data)
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)
