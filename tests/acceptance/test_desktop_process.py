"""The ``rexbit-desktop`` process as a desktop session treats it: a real process (offscreen Qt) that a
logout or a service manager ends with SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes; each test takes more than a few seconds


def _env(config: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if config is not None:
        env["XDG_CONFIG_HOME"] = str(config)  # where QSettings keeps the window's layout
    return env


class _App:
    """The app's process; its output is read by a thread, so that no wait here can hang."""

    def __init__(self, args: list[str], config: Path | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rexbit_desktop.desktop", *args],
            env=_env(config), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(marker in s for s in self.seen):
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                line = None
            if line is None:
                self.process.kill()
                raise AssertionError(f"no '{marker}' from the app:\n" + "".join(self.seen))
            self.seen.append(line)

    def terminate(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the app did not close:\n" + "".join(self.seen)) from None
        self.wait_for(f"signal {signum.name}: closing rexbit-desktop", timeout=5)
        assert code == 0, "".join(self.seen)
        assert not any("Traceback" in s for s in self.seen), "".join(self.seen)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_terminated_app_closes_cleanly(db_url: str, signum: signal.Signals, tmp_path: Path) -> None:
    """Without a handler SIGTERM killed the app on the spot (exit -15): the local worker and the tasks it
    ran were cut off, and an embedded server stayed up because ``atexit`` never ran. Closed this way, the
    window still keeps its layout for the next start."""
    added = subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", f"--database-url={db_url}", "user", "add",
         "--login=anna", "--role=operator", "--password=sekret-123"],
        env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    app = _App([f"--database-url={db_url}", "--user=anna", "--password=sekret-123"], config=tmp_path)
    app.wait_for("anna logged in")
    app.terminate(signum)
    layout = (tmp_path / "rexbit" / "rexbit-desktop.conf").read_text(encoding="utf-8")
    assert "window\\geometry=" in layout or "window/geometry=" in layout, layout


def test_an_app_terminated_at_its_login_dialog_closes_too(db_url: str) -> None:
    """The dialog runs its own event loop: QApplication.quit() left it open (the process hung)."""
    app = _App([f"--database-url={db_url}"])
    app.wait_for("the login dialog is open")
    app.terminate(signal.SIGTERM)
