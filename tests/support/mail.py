"""A real SMTP server for the mail tests: aiosmtpd's Controller on 127.0.0.1 (a free port), recording
every message it accepts; its answers to DATA can be scripted (451 twice, then 250; 550; hold)."""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class RecordingHandler:
    """Accepts mail and keeps it; ``answers`` (popped per DATA) replaces the 250 with e.g. '451 …'.
    With ``hold`` set, an accepted message is recorded first and the answer waits until it is released
    (a client killed meanwhile never learns that the server took the message)."""

    received: list[Received] = field(default_factory=list)
    answers: deque[str] = field(default_factory=deque)
    refused: list[str] = field(default_factory=list)
    hold: threading.Event | None = None
    got_one: threading.Event = field(default_factory=threading.Event)
    hold_rcpt: threading.Event | None = None
    """Set: RCPT TO waits until it is set (a client killed meanwhile never got to DATA)."""
    at_rcpt: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        envelope.rcpt_tos.append(address)
        self.at_rcpt.set()
        if self.hold_rcpt is not None:
            import asyncio

            while not self.hold_rcpt.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answers:
            answer = self.answers.popleft()
            if not answer.startswith("250"):
                self.refused.append(answer)
                return answer
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        self.got_one.set()
        if self.hold is not None:
            import asyncio

            while not self.hold.is_set():
                await asyncio.sleep(0.05)
        return "250 2.0.0 Ok: queued as TEST"


class SmtpServer:
    """``login``: the server offers AUTH (plain-text, no TLS: a local test server) and takes only this
    login and password."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.login = login
        options: dict[str, Any] = {}
        if login is not None:
            from aiosmtpd.smtp import AuthResult

            def authenticator(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                given = (data.login.decode(), data.password.decode()) if hasattr(data, "login") else None
                return AuthResult(success=given == login, handled=False)

            options = {"authenticator": authenticator, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        for event in (self.handler.hold, self.handler.hold_rcpt):
            if event is not None:
                event.set()
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def account(self, **overrides: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "security": "none",
            "from_address": "sklep@example.pl",
            "from_name": "Sklep Testowy",
            "reply_to": "biuro@example.pl",
            "retry_delays": [0, 0, 0],
            "timeout": 10,
        }
        cfg.update(overrides)
        return cfg


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()
