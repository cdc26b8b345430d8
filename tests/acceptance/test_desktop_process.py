"""The ``rexbit-desktop`` process as a desktop session treats it: a real process (offscreen Qt) that a
logout or a service manager ends with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_terminated_app_closes_cleanly(db_url: str, signum: signal.Signals) -> None:
    """Without a handler SIGTERM killed the app on the spot (exit -15): the local worker and the tasks it
    ran were cut off, and an embedded server stayed up because ``atexit`` never ran."""
    added = subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={db_url}", "user", "add",
         "--login=anna", "--role=operator", "--password=sekret-123"],
        env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    app = subprocess.Popen(
        [sys.executable, "-m", "rexbit_desktop.ui.app", f"--database-url={db_url}", "--user=anna",
         "--password=sekret-123"],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert app.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in app.stdout:
        seen.append(line)
        if "anna logged in" in line or time.monotonic() > deadline:
            break
    assert any("anna logged in" in s for s in seen), "".join(seen)
    app.send_signal(signum)
    try:
        rest, _ = app.communicate(timeout=30)
    finally:
        app.kill()
    assert app.returncode == 0, "".join(seen) + rest
    assert f"signal {signum.name}: closing rexbit-desktop" in rest
    assert "Traceback" not in rest
