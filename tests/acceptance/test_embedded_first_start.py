"""Two real processes starting the embedded server on a fresh data directory at the same moment (the
desktop app and `rexbit serve` on a workstation's first boot, two pytest workers): both get the
application database, every time. Before the fix one of them failed about 1 time in 3 with
``UniqueViolation … Key (datname)=(rexbit) already exists``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rexbit_desktop.db.embedded import running_postmaster

ROUNDS = 20

# Imports first (slow), then wait for the parent's "go" so that both processes call start_embedded at
# the same moment; then prove the application database answers.
STARTER = (
    "import sys\n"
    "from pathlib import Path\n"
    "import psycopg\n"
    "from rexbit_desktop.db.embedded import start_embedded\n"
    "from rexbit_desktop.domain.errors import DatabaseUnavailable\n"
    "print('loaded', flush=True)\n"
    "sys.stdin.readline()\n"
    "try:\n"
    "    url = start_embedded(Path(sys.argv[1]))\n"
    "except DatabaseUnavailable as exc:\n"
    "    print('error:', exc.message, flush=True)\n"
    "    sys.exit(2)\n"
    "with psycopg.connect(url.replace('+psycopg', '')) as conn:\n"
    "    print('ok', conn.execute('SELECT current_database()').fetchone()[0], flush=True)\n"
)


def _start(data: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "loaded", (line, proc.stderr.read() if proc.stderr else "")
    return proc


@pytest.mark.slow
@pytest.mark.timeout(900)  # 20 × (two interpreters, initdb, start, stop): 40–60 s, more on a busy machine
def test_two_processes_start_the_embedded_server_on_a_fresh_data_dir_at_once(embedded_dir: Path) -> None:
    failures: list[str] = []
    for round_ in range(ROUNDS):
        data = embedded_dir / f"d{round_}"
        data.mkdir()
        procs = [_start(data), _start(data)]
        for proc in procs:  # both wait on stdin: release them together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0 or out.strip() != "ok rexbit":
                log = data / "pgdata" / "log"
                tail = log.read_text(errors="replace")[-1500:] if log.exists() else "(no server log)"
                failures.append(
                    f"round {round_}: exit {proc.returncode}: {out.strip()} {err.strip()[-400:]}\n{tail}"
                )
        # The last process to leave stops the server.
        pid = running_postmaster((data / "pgdata").resolve())
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            failures.append(f"round {round_}: the server was left running")
    assert not failures, "\n".join(failures)
