"""Benchmark: 1,000 e-mails through the outbox to a local SMTP server.

    .venv/bin/python bench/mail_outbox.py [--admin-url URL] [--emails 1000] [--concurrency 1] [--attach]

On a fresh scratch database ``rexbit_bench_mail_<random>`` (default server: REXBIT_TEST_DATABASE_URL, else
the local one) with ``--emails`` orders, one e-mail per order through the real path:

* enqueue: ``send_bulk_mail`` (what the orders list's bulk action calls) renders the template per order,
  stores each message with its Message-ID and defers its ``mail:send_message`` job;
* delivery: one ``WorkerGroup`` (what ``rexbit queue work`` runs) drains the queue; each job marks the
  message ``sending``, hands it to the SMTP server (aiosmtpd on 127.0.0.1, in this process) and records
  the answer.

The naive baseline, in the same run on another scratch database: the same jobs, but each message opens
its own SMTP connection (connect, EHLO, QUIT) instead of reusing the worker's open one.
``--attach`` uses the ``order_shipped`` template (the confirmation PDF rendered per e-mail).

Target (issue 16): 1,000 e-mails enqueued and delivered in ≤ 20 s. Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from aiosmtpd.controller import Controller
from machine import steal_watch
from sqlalchemy import text

from rexbit_desktop.adapters.mail import smtp as smtp_module
from rexbit_desktop.db.session import Database, open_database
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.jobs.loop import run_loop
from rexbit_desktop.jobs.worker import WorkerGroup, WorkerSettings
from rexbit_desktop.services.messages.accounts import set_mail_account
from rexbit_desktop.services.messages.outbox import send_bulk_mail

TARGET_SECONDS = 20.0


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


class Counter:
    """aiosmtpd handler counting messages and connections into shared memory."""

    def __init__(self, count: Any, connections: Any) -> None:
        self.count = count
        self.connections = connections

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.connections.get_lock():
            self.connections.value += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        return "250 2.0.0 Ok"


def _smtp_server(port: int, count: Any, connections: Any, stop: Any) -> None:
    """The SMTP server in a process of its own (as a real one would be: not sharing the worker's GIL)."""
    controller = Controller(Counter(count, connections), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()


class SmtpProcess:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.count = multiprocessing.Value("i", 0)
        self.connections = multiprocessing.Value("i", 0)
        self.stop = multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=_smtp_server, args=(self.port, self.count, self.connections, self.stop), daemon=True
        )

    def __enter__(self) -> SmtpProcess:
        self.process.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the SMTP server did not start") from None
                time.sleep(0.1)

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.process.join(10)


class OneConnectionPerMessage(smtp_module.SmtpPool):
    """The naive way: a fresh connection for every message, closed before the next."""

    def session(self, key: str, cfg: dict[str, Any]) -> smtp_module.SmtpSession:
        sessions: dict[str, smtp_module.SmtpSession] = self._local.__dict__.setdefault("sessions", {})
        old = sessions.pop(key, None)
        if old is not None:
            old.close()
        fresh = smtp_module.SmtpSession(cfg).connect()
        sessions[key] = fresh
        return fresh


def _seed_orders(db: Database, n: int) -> list[str]:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "WITH o AS (INSERT INTO orders (number, status, payment_status, currency, total_net, total_gross,"
                " total_paid, customer_name, customer_email, delivery_method)"
                " SELECT 'BENCH/' || lpad(g::text, 6, '0'), 'paid', 'paid', 'PLN', 100, 123, 123,"
                " 'Klient ' || g, 'klient' || g || '@example.pl', 'Kurier InPost' FROM generate_series(1, :n) g"
                " RETURNING id, customer_name, customer_email),"
                " a AS (INSERT INTO order_addresses (order_id, type, name, street, postcode, city, country, email)"
                " SELECT id, 'customer', customer_name, 'ul. Długa 1', '00-001', 'Warszawa', 'PL', customer_email FROM o)"
                " INSERT INTO order_items (order_id, name, sku, quantity, price_net, price_gross, vat_rate)"
                " SELECT id, 'Produkt testowy', 'HX-1001', 1, 100, 123, 23 FROM o"
            ),
            {"n": n},
        )
        return list(conn.execute(text("SELECT number FROM orders ORDER BY id")).scalars())


def run(
    url: str, emails: int, concurrency: int, template: str, naive: bool
) -> tuple[float, float, float, int, float]:
    """(enqueue seconds, delivery seconds, total, SMTP connections, worker CPU ms per e-mail)"""
    with SmtpProcess() as server:
        return _run(url, emails, concurrency, template, naive, server)


def _run(
    url: str, emails: int, concurrency: int, template: str, naive: bool, server: SmtpProcess
) -> tuple[float, float, float, int, float]:
    port = server.port
    db = open_database(url)
    saved_pool = smtp_module.POOL
    try:
        actor = Actor.system()
        set_mail_account(
            db.uow(), actor, "bench",
            {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none", "from_address": "sklep@example.pl"},
        )  # fmt: skip
        numbers = _seed_orders(db, emails)
        started = time.perf_counter()
        result = send_bulk_mail(db.uow(), actor, numbers, template)
        enqueued = time.perf_counter()
        if result.errors:
            raise SystemExit(f"enqueue errors: {list(result.errors.items())[:3]}")
        import rexbit_desktop.services.messages.delivery as delivery

        pool = OneConnectionPerMessage() if naive else smtp_module.SmtpPool()
        delivery.POOL = pool
        group = WorkerGroup(
            db, [WorkerSettings(queues=("mail",), stop_when_empty=True, sleep=1, concurrency=concurrency)]
        )
        cpu = time.process_time()
        run_loop(group.run())
        done = time.perf_counter()
        cpu_ms = (time.process_time() - cpu) * 1000 / emails
        with db.engine.connect() as conn:
            sent = conn.execute(text("SELECT count(*) FROM mail_messages WHERE state = 'sent'")).scalar_one()
        if sent != emails or server.count.value != emails:
            raise SystemExit(f"{sent} sent in the outbox, {server.count.value} at the server, of {emails}")
        return enqueued - started, done - enqueued, done - started, server.connections.value, cpu_ms
    finally:
        import rexbit_desktop.services.messages.delivery as delivery

        delivery.POOL = saved_pool
        db.dispose()


def _scratch(admin_url: str) -> str:
    name = f"rexbit_bench_mail_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="the worker's --concurrency (I/O-bound jobs)"
    )
    parser.add_argument("--attach", action="store_true", help="order_shipped with the confirmation PDF")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    template = "order_shipped" if args.attach else "payment_received"
    results = {}
    for label, naive in (("outbox", False), ("baseline: a connection per message", True)):
        if naive and args.no_baseline:
            continue
        name = _scratch(args.admin_url)
        try:
            with steal_watch() as stolen:
                results[label] = run(
                    _with_database(args.admin_url, name), args.emails, args.concurrency, template, naive
                )
        finally:
            _drop(args.admin_url, name)
        enq, deliver, total, connections, cpu_ms = results[label]
        print(
            f"{label}: {args.emails} e-mails ({template}, concurrency {args.concurrency}) enqueued in {enq:.2f} s"
            f" ({enq * 1000 / args.emails:.1f} ms each), delivered in {deliver:.2f} s"
            f" ({args.emails / deliver:.0f}/s, worker CPU {cpu_ms:.1f} ms per e-mail), total {total:.2f} s,"
            f" {connections} SMTP connection(s);"
            f" load average {os.getloadavg()[0]:.1f}, steal {stolen['steal_pct']:.0f} %"
        )
    total = results["outbox"][2]
    ok = total <= TARGET_SECONDS
    print(
        f"target: {args.emails} e-mails through the outbox in <= {TARGET_SECONDS:.0f} s -> {total:.2f} s {'OK' if ok else 'MISSED'}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
