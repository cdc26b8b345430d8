"""Reading the account's IMAP folder (``imaplib``): new messages by UID, read-only (nothing is marked
seen, moved or deleted — mail that matches no order stays as it was)."""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from rexbit_desktop.adapters.mail.config import imap_login, resolve_password
from rexbit_desktop.domain.errors import RexbitError


class ImapError(RexbitError):
    """The IMAP folder cannot be read."""


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    raw: bytes


_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"UID (\d+)")


def _where(cfg: dict[str, Any]) -> str:
    return f"{cfg['imap_host']}:{cfg['imap_port']}"


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapFolder:
    """The account's reply folder, opened read-only."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        if not cfg.get("imap_host"):
            raise ImapError(
                "The mail account has no IMAP server for replies.",
                hint="Set imap_host (and imap_port, imap_folder) on the account.",
                params={"problem": "no_imap"},
            )
        self.cfg = cfg
        self.imap: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def __enter__(self) -> ImapFolder:
        cfg = self.cfg
        host, port, timeout = cfg["imap_host"], cfg["imap_port"], cfg["timeout"]
        context = ssl.create_default_context()
        try:
            if cfg["imap_security"] == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
            else:
                imap = imaplib.IMAP4(host, port, timeout=timeout)
                if cfg["imap_security"] == "starttls":
                    imap.starttls(ssl_context=context)
        except ssl.SSLError as exc:
            raise ImapError(
                f"TLS with the IMAP server {_where(cfg)} failed: {exc.reason or exc}.",
                hint="Check the port and the IMAP security setting (SSL: 993, STARTTLS: 143).",
                params={"problem": "tls", "where": _where(cfg), "reason": str(exc.reason or exc)},
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            reason = (
                "no answer in time"
                if isinstance(exc, socket.timeout)
                else (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
            )
            raise ImapError(
                f"Cannot reach the IMAP server {_where(cfg)}: {reason}.",
                hint="Check the IMAP host name and port.",
                params={"problem": "unreachable", "where": _where(cfg), "reason": reason},
            ) from None
        self.imap = imap
        try:
            login = imap_login(cfg)
            try:
                password = resolve_password(cfg, imap=True)
                if (login or "").isascii() and password.isascii():
                    imap.login(login or "", password)
                else:  # LOGIN is ASCII only in imaplib; AUTHENTICATE PLAIN carries UTF-8
                    imap.authenticate("PLAIN", lambda _: f"\0{login or ''}\0{password}".encode())
            except imaplib.IMAP4.error as exc:
                raise ImapError(
                    f"The IMAP server {_where(cfg)} refused the login '{login}': {_reason(exc)}.",
                    hint="Check the IMAP login and password of the mail account.",
                    params={"problem": "login", "where": _where(cfg), "login": login, "reply": _reason(exc)},
                ) from None
            status, data = imap.select(_quote(cfg["imap_folder"]), readonly=True)
            if status != "OK":
                raise ImapError(
                    f"The IMAP folder '{cfg['imap_folder']}' cannot be opened: {_reason(data)}.",
                    hint="Check imap_folder (usually INBOX).",
                    params={"problem": "folder", "folder": cfg["imap_folder"], "reason": _reason(data)},
                )
            _, resp = imap.response("UIDVALIDITY")
            self.uidvalidity = int(resp[0]) if resp and resp[0] else 0
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        imap, self.imap = self.imap, None
        if imap is None:
            return
        try:
            if imap.state == "SELECTED":
                imap.close()
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

    def uids_after(self, last_uid: int) -> list[int]:
        assert self.imap is not None
        status, data = self.imap.uid("SEARCH", f"UID {last_uid + 1}:*")
        if status != "OK":
            raise ImapError(f"IMAP search failed: {_reason(data)}.")
        uids = [int(u) for u in (data[0] or b"").split()]
        return sorted(u for u in uids if u > last_uid)  # "n:*" also names the last message when n > max

    def fetch(self, uids: list[int]) -> list[FetchedMail]:
        """Whole messages by UID; BODY.PEEK leaves the \\Seen flag as it was."""
        assert self.imap is not None
        result: list[FetchedMail] = []
        for start in range(0, len(uids), 100):
            batch = ",".join(str(u) for u in uids[start : start + 100])
            status, data = self.imap.uid("FETCH", batch, "(UID BODY.PEEK[])")
            if status != "OK":
                raise ImapError(f"IMAP fetch failed: {_reason(data)}.")
            for part in data:
                if isinstance(part, tuple) and len(part) == 2:
                    match = _UID.search(part[0])
                    if match:
                        result.append(FetchedMail(int(match.group(1)), part[1]))
        return result


def _reason(value: Any) -> str:
    if isinstance(value, imaplib.IMAP4.error):
        value = value.args[0] if value.args else str(value)
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes)) or str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()
