"""A real IMAP server for the mail tests: Debian's dovecot (``dovecot-imapd``) started with its own
configuration in a temporary directory, on a free port of 127.0.0.1, with one test user (plain-text
login, no TLS — a local test server only). Skipped loudly when dovecot is not installed; under CI=true
a missing dovecot fails the run (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.mail import free_port
from tests.support.wait import wait_for

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "sklep", "imap-secret-ł"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class ImapServer:
    port: int
    user: str
    password: str
    root: Path

    def account(self, **overrides: object) -> dict[str, object]:
        cfg: dict[str, object] = {
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_security": "none",
            "imap_login": self.user,
            "imap_password": self.password,
            "imap_folder": "INBOX",
        }
        cfg.update(overrides)
        return cfg

    def append(self, raw: bytes) -> None:
        """Put a message into the INBOX over IMAP (APPEND), as a mail server's delivery would."""
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            imap.authenticate("PLAIN", lambda _: f"\0{self.user}\0{self.password}".encode())
            status, data = imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", data
        finally:
            imap.logout()

    def flags(self) -> list[bytes]:
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            imap.authenticate("PLAIN", lambda _: f"\0{self.user}\0{self.password}".encode())
            imap.select("INBOX", readonly=True)
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [d for d in data if isinstance(d, bytes)]
        finally:
            imap.logout()


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs dovecot-imapd)")
    print(f"\n*** SKIPPING IMAP TESTS: {reason} — apt-get install dovecot-imapd ***\n", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    if not Path(DOVECOT).exists() or not Path("/usr/lib/dovecot/imap").exists():
        _skip_or_fail("dovecot-imapd is not installed")
    root = Path(tempfile.mkdtemp(prefix="rexbit-imap-"))
    os.chmod(root, 0o755)
    # dovecot never gives mail access to root: the mailbox belongs to an unprivileged user.
    owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    port = free_port()
    login_user = "dovenull" if os.geteuid() == 0 else owner.pw_name
    internal_user = "dovecot" if os.geteuid() == 0 else owner.pw_name
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root, port=port, uid=owner.pw_uid, gid=owner.pw_gid, login_user=login_user,
            internal_user=internal_user,
        ),
        encoding="utf-8",
    )  # fmt: skip
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        import socket

        def listening() -> bool:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not start: {out}\n{log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return False
            return True

        wait_for(listening, timeout=15, what="dovecot to open its port")
        yield ImapServer(port, USER, PASSWORD, root)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)
