"""Sending over SMTP (``smtplib``) with the answers sorted the way the outbox needs them.

``SmtpSession.send`` splits the SMTP transaction: the envelope (MAIL FROM, RCPT TO) first, then the
caller's ``before_data`` hook (the outbox records "sending" there), then DATA. A failure before DATA
means the server has not taken the message (safe to try again); a connection lost during or after DATA
means nobody knows (``UncertainDelivery``).
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rexbit_desktop.adapters.mail.config import resolve_password
from rexbit_desktop.domain.errors import RexbitError


class MailDeliveryError(RexbitError):
    """The mail server did not take the message."""

    temporary = False

    def __init__(
        self,
        message: str,
        *,
        smtp_code: int | None = None,
        reply: str | None = None,
        hint: str | None = None,
        code: str | None = None,
        params: dict[str, object] | None = None,
    ):
        # ``params["problem"]`` (login, tls, unreachable, no_starttls, refused) lets the GUI say it in
        # Polish; ``smtp_code`` is the server's reply code (550, 421 …), ``code`` the desk's error code.
        super().__init__(message, hint=hint, code=code, params=params)
        self.smtp_code = smtp_code
        self.reply = reply


class TemporaryMailError(MailDeliveryError):
    """A 4xx answer or a connection problem before the message was handed over: try again later."""

    temporary = True


class PermanentMailError(MailDeliveryError):
    """A 5xx answer: the server refuses the message for good."""


class UncertainDelivery(MailDeliveryError):
    """The connection broke while the message was being handed over: it may or may not have been taken."""


@dataclass(frozen=True)
class SmtpReply:
    code: int
    text: str


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def refused(code: int, reply: bytes | str, what: str) -> MailDeliveryError:
    text = _text(reply).strip()
    message = f"The mail server answered {code} {text} ({what})."
    params: dict[str, object] = {"problem": "refused", "reply": f"{code} {text}"}
    if 400 <= code < 500:
        return TemporaryMailError(message, smtp_code=code, reply=f"{code} {text}", params=params)
    return PermanentMailError(message, smtp_code=code, reply=f"{code} {text}", params=params)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """``SMTP.login``, except that a non-ASCII login or password (smtplib encodes them as ASCII) goes as
    AUTH PLAIN in UTF-8 (RFC 4616)."""
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", "PLAIN " + token)
    if code == 334:  # a server that wants the credentials after an empty challenge
        code, reply = smtp.docmd(token)
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


def _where(cfg: dict[str, Any]) -> str:
    return f"{cfg['smtp_host']}:{cfg['smtp_port']}"


IDLE_CHECK_AFTER = 5.0


class SmtpSession:
    """One connection to the account's SMTP server: connect + log in once, send many messages."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.smtp: smtplib.SMTP | None = None
        self.last_used = 0.0

    def connect(self) -> SmtpSession:
        cfg = self.cfg
        host, port, timeout = cfg["smtp_host"], cfg["smtp_port"], cfg["timeout"]
        context = ssl.create_default_context()
        try:
            if cfg["security"] == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            try:
                smtp.ehlo()
                if cfg["security"] == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise PermanentMailError(
                            f"The mail server {_where(cfg)} does not offer STARTTLS.",
                            hint="Choose security 'ssl' (port 465) or, on a trusted network only, 'none'.",
                            params={"problem": "no_starttls", "where": _where(cfg)},
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if cfg.get("login"):
                    _login(smtp, cfg["login"], resolve_password(cfg))
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            text = f"{exc.smtp_code} {_text(exc.smtp_error).strip()}"
            kind = TemporaryMailError if 400 <= exc.smtp_code < 500 else PermanentMailError
            raise kind(
                f"The mail server {_where(cfg)} refused the login '{cfg['login']}': {text}.",
                smtp_code=exc.smtp_code,
                reply=text,
                hint="Check the login and password of the mail account.",
                params={"problem": "login", "where": _where(cfg), "login": cfg["login"], "reply": text},
            ) from None
        except ssl.SSLError as exc:
            raise TemporaryMailError(
                f"TLS with the mail server {_where(cfg)} failed: {exc.reason or exc}.",
                hint="Check the port and the security setting (STARTTLS: 587, SSL: 465).",
                params={"problem": "tls", "where": _where(cfg), "reason": str(exc.reason or exc)},
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise refused(exc.smtp_code, exc.smtp_error, f"greeting of {_where(cfg)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            reason = (
                exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            )
            if isinstance(exc, socket.timeout):
                reason = "no answer in time"
            raise TemporaryMailError(
                f"Cannot reach the mail server {_where(cfg)}: {reason}.",
                hint="Check the host name and port, and that this computer may connect to it.",
                params={"problem": "unreachable", "where": _where(cfg), "reason": reason},
            ) from None
        self.smtp = smtp
        return self

    def alive(self) -> bool:
        """Open and answering; a connection used in the last few seconds is taken as alive (a NOOP
        per message would cost a round trip; a send on a connection that died is retried anyway)."""
        if self.smtp is None:
            return False
        if time.monotonic() - self.last_used < IDLE_CHECK_AFTER:
            return True
        try:
            return self.smtp.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    def send(
        self,
        from_addr: str,
        to_addrs: Sequence[str],
        data: bytes,
        *,
        before_data: Callable[[], None] = lambda: None,
    ) -> SmtpReply:
        smtp = self.smtp
        assert smtp is not None, "connect() first"
        try:
            code, reply = smtp.mail(from_addr)
            if code != 250:
                self._reset()
                raise refused(code, reply, "MAIL FROM")
            for rcpt in to_addrs:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    self._reset()
                    raise refused(code, reply, f"recipient {rcpt}")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise TemporaryMailError(
                f"The connection to {_where(self.cfg)} broke before sending: {exc}."
            ) from None
        before_data()
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354): nothing was handed over
            self._reset()
            raise refused(exc.smtp_code, exc.smtp_error, "DATA") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise UncertainDelivery(
                f"The connection to {_where(self.cfg)} broke while the message was sent: {exc}."
            ) from None
        self.last_used = time.monotonic()
        if code != 250:
            raise refused(code, reply, "message")
        return SmtpReply(code, _text(reply))

    def _reset(self) -> None:
        try:
            assert self.smtp is not None
            self.smtp.rset()
        except (OSError, smtplib.SMTPException, AssertionError):
            self.close()

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class SmtpPool:
    """Open connections kept per thread and account, so a worker sending many messages logs in once."""

    def __init__(self) -> None:
        self._local = threading.local()

    def session(self, key: str, cfg: dict[str, Any]) -> SmtpSession:
        sessions: dict[str, SmtpSession] = self._local.__dict__.setdefault("sessions", {})
        current = sessions.get(key)
        if current is not None and current.cfg == cfg and current.alive():
            return current
        if current is not None:
            current.close()
            del sessions[key]
        fresh = SmtpSession(cfg).connect()
        sessions[key] = fresh
        return fresh

    def discard(self, key: str) -> None:
        sessions: dict[str, SmtpSession] = self._local.__dict__.setdefault("sessions", {})
        current = sessions.pop(key, None)
        if current is not None:
            current.close()


POOL = SmtpPool()
