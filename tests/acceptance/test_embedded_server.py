"""The embedded PostgreSQL server on a workstation, with real processes: a second instance attaches,
``kill -9`` of apps, commands and the postmaster itself leaves a server that starts and stops again,
and the last process to leave stops it. One initdb for the whole module."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from rexbit_desktop.db.embedded import running_postmaster
from rexbit_desktop.db.locks import DEMO_FILL
from rexbit_desktop.db.session import head_revision
from tests.support.wait import wait_for
from tests.support.workers import wait_for_rescue_passes

pytestmark = pytest.mark.slow  # real processes; each test takes more than a few seconds

DEMO_LOCK = DEMO_FILL.key

# A long-lived app: opens the database (starting or attaching to the server) and holds it until its
# stdin is closed, then leaves normally (atexit runs, as when a window is closed).
HOLDER = (
    "import os, sys\n"
    "from rexbit_desktop.db.session import open_database\n"
    "db = open_database()\n"
    "with db.engine.connect() as c: c.exec_driver_sql('SELECT 1')\n"
    "print('ready', os.getpid(), flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.fixture(scope="module")
def data_dir(embedded_dir_module: Path) -> Iterator[Path]:
    root = embedded_dir_module
    data = root / "data"
    (root / "config").mkdir()
    yield data
    pgdata = data / "pgdata"
    pid = running_postmaster(pgdata.resolve())
    if pid is not None:  # a failed test must not leave a server behind
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["REXBIT_DATA_DIR"] = str(data_dir)
    env["REXBIT_CONFIG_DIR"] = str(data_dir.parent / "config")
    return env


@pytest.fixture(scope="module")
def initialised(env: dict[str, str], data_dir: Path) -> Path:
    result = rexbit(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout
    return (data_dir / "pgdata").resolve()


def rexbit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_holder(env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        raise AssertionError(f"holder did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def leave(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""


def kill_9(*procs: subprocess.Popen[str]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait(timeout=10)  # reap it: a zombie is not what a crashed workstation leaves


def handles(pgdata: Path) -> list[int]:
    return json.loads((pgdata / ".handle_pids.json").read_text() or "[]")


def gone(pid: int) -> bool:
    try:
        return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_stopped(pgdata: Path, pid: int) -> None:
    wait_for(lambda: gone(pid), timeout=15, what=f"the server {pid} to stop")
    assert running_postmaster(pgdata) is None
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def status_ok(env: dict[str, str]) -> dict[str, object]:
    result = rexbit(env, "db", "status", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    info = json.loads(result.stdout)
    assert info["embedded"] is True
    assert info["revision"] == info["head"]
    return info


def test_second_instance_attaches_and_the_last_one_stops_the_server(
    env: dict[str, str], initialised: Path
) -> None:
    first = start_holder(env)
    postmaster = running_postmaster(initialised)
    assert postmaster is not None
    second = start_holder(env)
    assert running_postmaster(initialised) == postmaster, "the second instance must attach, not restart"
    assert sorted(handles(initialised)) == sorted([first.pid, second.pid])

    leave(second)
    assert running_postmaster(initialised) == postmaster, "the first instance still holds the server"
    leave(first)
    wait_stopped(initialised, postmaster)
    assert handles(initialised) == []


def test_kill_9_of_both_apps_twice_in_a_row(env: dict[str, str], initialised: Path) -> None:
    for _round in range(2):
        first = start_holder(env)
        second = start_holder(env)
        postmaster = running_postmaster(initialised)
        assert postmaster is not None
        kill_9(first, second)
        # The server outlives its killed apps, and their pids stay in pgserver's list...
        assert running_postmaster(initialised) == postmaster
        assert set(handles(initialised)) == {first.pid, second.pid}

        # ...but the next command attaches, works, and, being the last live handle, stops it.
        status_ok(env)
        wait_stopped(initialised, postmaster)
        assert handles(initialised) == []


def test_kill_9_of_the_postmaster_and_of_the_app(env: dict[str, str], initialised: Path) -> None:
    app = start_holder(env)
    postmaster = running_postmaster(initialised)
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)
    wait_for(lambda: gone(postmaster), timeout=15, what="the killed postmaster to die")

    # A command finds postmaster.pid of a dead server, cleans up and starts a new one.
    status_ok(env)
    restarted = running_postmaster(initialised)
    assert restarted is not None and restarted != postmaster, "the app still holds the new server"

    # The app attached to the killed postmaster still stops the new one when it leaves last.
    leave(app)
    wait_stopped(initialised, restarted)

    # And with the app killed as well: nothing is left that blocks a start.
    app = start_holder(env)
    postmaster = running_postmaster(initialised)
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)
    kill_9(app)
    status_ok(env)
    assert running_postmaster(initialised) is None
    assert handles(initialised) == []


def test_stale_files_of_other_processes_do_not_block_a_start(env: dict[str, str], initialised: Path) -> None:
    # A postmaster.pid, a socket lock and a handle naming a live process that is not ours (the pid was
    # reused). As root it runs as the server's own user, so PostgreSQL itself would take it for alive.
    run_as = {"user": "pgserver"} if os.geteuid() == 0 else {}
    stranger = subprocess.Popen(["sleep", "60"], **run_as)  # type: ignore[call-overload]
    try:
        (initialised / "postmaster.pid").write_text(
            f"{stranger.pid}\n{initialised}\n1700000000\n5432\n{initialised}\n\n  0 0\nready\n"
        )
        (initialised / ".s.PGSQL.5432.lock").write_text(f"{stranger.pid}\n{initialised}\n1700000000\n5432\n")
        (initialised / ".handle_pids.json").write_text(json.dumps([stranger.pid, 999_999_999]))
        (initialised / ".rexbit_handles.json").write_text(json.dumps({str(stranger.pid): 1.0}))
        status_ok(env)
        assert running_postmaster(initialised) is None, "the command was the last handle"
        assert handles(initialised) == []

        # Only a socket lock left behind by a server killed while starting.
        (initialised / ".s.PGSQL.5432.lock").write_text(f"{stranger.pid}\n{initialised}\n1700000000\n5432\n")
        status_ok(env)
    finally:
        stranger.kill()
        stranger.wait()

    # A corrupt handle list (a write cut short by a crash) is reset, not a traceback.
    (initialised / ".handle_pids.json").write_text("[12, 3")
    status_ok(env)


def test_kill_9_of_a_command_in_the_middle_of_its_work(env: dict[str, str], initialised: Path) -> None:
    # `rexbit demo` writes everything in one transaction: killed half-way, it leaves nothing behind.
    demo = subprocess.Popen(
        [sys.executable, "-m", "rexbit_desktop.cli", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: demo.pid in handles(initialised), timeout=60, what="the command to attach to the server")
    # The demo holds its advisory lock for its whole transaction: seeing it means "in the middle".
    socket_dir = (initialised / "postmaster.pid").read_text().splitlines()[4]

    def demo_lock_held() -> bool:
        held = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
            (DEMO_LOCK,),
        ).fetchone()
        return demo.poll() is not None or bool(held and held[0])

    with psycopg.connect(f"postgresql://postgres@/rexbit?host={socket_dir}", autocommit=True) as conn:
        wait_for(demo_lock_held, timeout=60, interval=0.05, what="the demo to take its lock")
    assert demo.poll() is None, "the demo must still be running when it is killed"
    kill_9(demo)

    listed = rexbit(env, "user", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [u["login"] for u in json.loads(listed.stdout)] == ["system"], "the killed demo left no users"
    assert running_postmaster(initialised) is None
    assert handles(initialised) == []


def test_an_app_attached_to_a_killed_postmaster_leaves_without_a_traceback(
    env: dict[str, str], initialised: Path
) -> None:
    # pgserver signalled the dead postmaster at exit: "psutil.NoSuchProcess" printed as a traceback.
    app = start_holder(env)
    postmaster = running_postmaster(initialised)
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)
    wait_for(lambda: gone(postmaster), timeout=15, what="the killed postmaster to die")
    assert app.stdin is not None and app.stderr is not None
    app.stdin.close()
    assert app.wait(timeout=60) == 0
    stderr = app.stderr.read()
    assert "Traceback" not in stderr and "NoSuchProcess" not in stderr, stderr
    status_ok(env)  # and the next command starts the server again
    assert running_postmaster(initialised) is None


WORKER_ARGS = ["--queue=default", "--sleep=0.5", "--verbose", "--heartbeat=0.5", "--stalled-after=2"]


def test_a_worker_starts_its_killed_postmaster_again_without_flooding_its_log(
    env: dict[str, str], initialised: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as out:
        worker = subprocess.Popen(
            # --verbose: its stalled-job passes are logged (one each 1 s with --stalled-after=2).
            [sys.executable, "-m", "rexbit_desktop.cli", "queue", "work", *WORKER_ARGS],
            env={**env, "REXBIT_DIAGNOSTIC_TASKS": "1", "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def started() -> bool:
            assert worker.poll() is None, log_path.read_text()
            return "worker " in log_path.read_text()

        wait_for(started, timeout=60, what="the worker to start")
        postmaster = running_postmaster(initialised)
        assert postmaster is not None
        os.kill(postmaster, signal.SIGKILL)

        # Nobody else is attached: the worker itself starts the server again.
        restarted = wait_for(
            lambda: (pid := running_postmaster(initialised)) not in (None, postmaster) and pid,
            timeout=30,
            interval=0.2,
            what="the worker to start a new server",
        )

        # ...and goes on taking jobs.
        deferred = subprocess.run(
            [sys.executable, "-c", DEFER_NOOP],
            env={**env, "REXBIT_DIAGNOSTIC_TASKS": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert deferred.returncode == 0, deferred.stderr
        wait_for(
            lambda: "diagnostics:noop succeeded" in log_path.read_text(),
            timeout=30,
            interval=0.2,
            what="the noop job to succeed",
        )
        # What used to be two warnings every 2 s (the restart check and the statistics, each 2 s): five
        # stalled-job passes after the job span at least two of their rounds, all on the new server.
        wait_for_rescue_passes(log_path.read_text, passes=5)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
    text = log_path.read_text()
    assert code == 0, text
    rexbit_warnings = [ln for ln in text.splitlines() if "WARNING rexbit" in ln]
    assert len(rexbit_warnings) <= 8, "\n".join(rexbit_warnings)
    for what in ("check for 'queue restart'", "refresh the job table's statistics"):
        assert sum(what in ln for ln in rexbit_warnings) <= 1, "\n".join(rexbit_warnings)
    assert "NoSuchProcess" not in text
    # The worker was the last one attached: its exit stops the server it started.
    wait_stopped(initialised, restarted)


DEFER_NOOP = (
    "from rexbit_desktop.db.session import open_database\n"
    "from rexbit_desktop.queueing import defer_job\n"
    "defer_job(open_database(), 'diagnostics:noop')\n"
)
