"""Automation rules and webhook deliveries, each against a naive baseline in the same run.

1. **Fan-out**: a bulk status change of N orders (default 10,000) to ``paid`` — one transaction that
   updates the orders and emits one ``status_changed`` event per order — then ``process_events``
   runs 20 rules (each with 2–4 conditions; about half match each order) whose actions are tags,
   notes and a webhook to an endpoint. Timed end to end: from the change to the last action written.
   Baseline: the naive engine — per event, the order's facts read alone, each rule checked, each run
   inserted and each action done in its own transaction (on ``--baseline-orders`` orders, scaled).
2. **Deliveries**: D webhook deliveries (default 1,000) to a local receiver (``http.server`` in a
   separate process, 200 for everything) through ``deliver_due`` (16 in parallel, one transaction per
   batch of 200). Baseline: one delivery at a time (one kept-alive connection), a transaction each.

    REXBIT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python bench/automation.py [--orders 10000] [--deliveries 1000] [--baseline-orders 1000]

Exits 1 when a limit (10 s each) is missed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from sqlalchemy import text

LIMIT_S = 10.0


def admin_url() -> str:
    return os.environ.get("REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def _serve(port: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


RULES: list[dict[str, Any]] = []
for n in range(20):
    conditions: list[dict[str, Any]] = [{"field": "to_status", "op": "eq", "value": "paid"}]
    if n % 2 == 0:
        conditions.append({"field": "total_gross", "op": "gte", "value": str(100 + 40 * n)})
    if n % 3 == 0:
        conditions.append({"field": "is_company", "op": "is_true"})
    if n % 4 == 1:
        conditions.append({"field": "country", "op": "in", "value": ["PL", "DE"]})
    if n % 5 == 2:
        conditions.append({"field": "sku", "op": "contains", "value": f"B-{n:04d}"})
    action: dict[str, Any] = (
        {"type": "add_note", "text": f"reguła {n}"} if n % 3 == 1 else {"type": "set_tag", "tag": f"r{n}"}
    )
    actions = [action]
    if n == 7:
        actions.append({"type": "call_webhook", "endpoint": "bench"})
    RULES.append({"name": f"Reguła {n:02d}", "event": "status_changed", "priority": n,
                  "conditions": conditions, "actions": actions})  # fmt: skip


def _orders(db: Any, n: int) -> None:
    """N orders in ``awaiting_payment`` with 2 items and an address each (set-based, for the setup)."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (sku, name, unit) SELECT 'B-' || lpad(g::text, 4, '0'), 'Towar ' || g, "
                "'szt.' FROM generate_series(0, 49) g"
            )
        )
        conn.execute(
            text(
                "INSERT INTO orders (number, status, payment_status, source, total_gross, total_net) "
                "SELECT 'B/' || g, 'awaiting_payment', 'pending', "
                "CASE WHEN g % 3 = 0 THEN 'prestashop' ELSE 'manual' END, 50 + (g % 900), 40 + (g % 700) "
                "FROM generate_series(1, :n) g"
            ),
            {"n": n},
        )
        conn.execute(
            text(
                "INSERT INTO order_items (order_id, name, sku, quantity, price_net, price_gross, vat_rate) "
                "SELECT o.id, 'Towar', 'B-' || lpad(((o.id + k) % 50)::text, 4, '0'), 1, 10, 12.3, 23 "
                "FROM orders o, generate_series(0, 1) k"
            )
        )
        conn.execute(
            text(
                "INSERT INTO order_addresses (order_id, type, name, company, country) "
                "SELECT o.id, 'customer', 'Klient', CASE WHEN o.id % 2 = 0 THEN 'Firma' END, "
                "CASE WHEN o.id % 4 = 0 THEN 'DE' ELSE 'PL' END FROM orders o"
            )
        )


def _bulk_paid(db: Any, ids: list[int]) -> None:
    """The bulk status change: orders to ``paid``, one ``status_changed`` event each, one transaction."""
    from rexbit_desktop.services.automation.events import emit

    with db.uow() as uow:
        s = uow.session
        s.execute(text("UPDATE orders SET status = 'paid' WHERE id = ANY(:ids)"), {"ids": ids})
        for order_id in ids:
            emit(s, "status_changed", order_id, {"from": "awaiting_payment", "to": "paid"})
        uow.commit()


def _naive(db: Any, ids: list[int]) -> None:
    """Per event: facts alone, rules checked one by one, each run and action in its own transaction."""
    from rexbit_desktop.domain.automation import Event, matching_rules
    from rexbit_desktop.services.automation import engine
    from rexbit_desktop.services.automation.rules import load_facts, load_rules

    now = datetime.now(UTC)
    with db.uow() as uow:
        events = uow.session.execute(
            text("SELECT id, type, order_id, depth, data FROM automation_events WHERE order_id = ANY(:ids)"),
            {"ids": ids},
        ).all()
    for r in events:
        ev = Event(r.id, r.type, r.order_id, r.depth, dict(r.data))
        with db.uow() as uow:
            rules = [x for x in load_rules(uow.session, enabled_only=True) if x.builtin is None]
            snap = load_facts(uow.session, [ev.order_id])[ev.order_id]
        for rule in matching_rules(rules, ev, snap.facts, now):
            with db.uow() as uow:
                uow.session.execute(
                    text("INSERT INTO automation_runs (event_id, rule_id, order_id) VALUES (:e, :r, :o)"),
                    {"e": ev.id, "r": rule.id, "o": ev.order_id},
                )
                uow.commit()
            run = engine._Run(0, ev, snap.facts)
            for action in rule.actions:
                engine._run_action(db, rule, action, [run])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--deliveries", type=int, default=1_000)
    parser.add_argument("--baseline-orders", type=int, default=1_000)
    args = parser.parse_args()

    from rexbit_desktop.bootstrap import bootstrap
    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.automation import engine, rules, webhooks

    bootstrap()

    port = multiprocessing.Value("i", 0)
    receiver = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port.value}/hooks"

    name = f"rexbit_bench_automation_{uuid.uuid4().hex[:8]}"
    admin = admin_url()
    with psycopg.connect(conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    ok = True
    try:
        db = open_database(with_database(admin, name))
        actor = Actor.system()
        load = os.getloadavg()[0]
        _orders(db, args.orders + args.baseline_orders)
        for rule in RULES:
            rules.save_rule(db.uow(), actor, rule)
        webhooks.add_endpoint(db.uow(), actor, name="bench", url=url, event_types=[], allow_private=True)
        with db.uow() as uow:
            ids = list(uow.session.scalars(text("SELECT id FROM orders ORDER BY id")))
        main_ids, base_ids = ids[: args.orders], ids[args.orders :]

        # 1. fan-out
        started = time.perf_counter()
        cpu = time.process_time()
        _bulk_paid(db, main_ids)
        emitted = time.perf_counter() - started
        result = engine.process_events(db)
        fanout = time.perf_counter() - started
        fan_cpu = time.process_time() - cpu
        with db.uow() as uow:
            runs = uow.session.scalar(text("SELECT count(*) FROM automation_runs"))
            audits = uow.session.scalar(
                text("SELECT count(*) FROM order_audit_logs WHERE action = 'automation'")
            )
        assert result.events == args.orders and runs == result.runs and audits == result.actions, (
            result,
            runs,
        )

        started = time.perf_counter()
        _bulk_paid(db, base_ids)
        with db.uow() as uow:  # the naive engine reads the events itself; mark them handled for the fast one
            uow.session.execute(
                text("UPDATE automation_events SET processed_at = now() WHERE order_id = ANY(:i)"),
                {"i": base_ids},
            )
            uow.commit()
        _naive(db, base_ids)
        naive = (time.perf_counter() - started) * args.orders / max(len(base_ids), 1)
        print(
            f"fan-out: {args.orders:,} orders → paid, 20 rules: {fanout:.2f} s end to end "
            f"(change + events {emitted:.2f} s; {result.runs:,} runs, {result.actions:,} actions, "
            f"{result.deliveries:,} webhook deliveries queued; client CPU {fan_cpu:.2f} s) "
            f"— naive engine {naive:.1f} s (measured on {len(base_ids):,} orders, scaled) "
            f"[limit {LIMIT_S:.0f} s, load {load:.1f}]"
        )
        ok &= fanout <= LIMIT_S

        # 2. deliveries: D waiting deliveries (those the rule queued, topped up through the rule action)
        with db.uow() as uow:
            uow.session.execute(text("DELETE FROM webhook_deliveries"))
            uow.commit()
        webhooks.enqueue_for_orders(db, "bench", main_ids[: args.deliveries], "orders.updated")
        started = time.perf_counter()
        sent = webhooks.deliver_due(db)
        fast = time.perf_counter() - started
        assert sent.delivered == args.deliveries, sent

        import httpx

        from rexbit_desktop.domain import webhooks as wh

        with db.uow() as uow:
            uow.session.execute(text("UPDATE webhook_deliveries SET status = 'pending', attempts = 0"))
            uow.commit()
            rows = uow.session.execute(
                text(
                    "SELECT d.id, d.msg_id, d.body, e.url, e.secrets FROM webhook_deliveries d "
                    "JOIN webhook_endpoints e ON e.id = d.endpoint_id ORDER BY d.id"
                )
            ).all()
        started = time.perf_counter()
        client = httpx.Client(trust_env=False)
        for r in rows:
            body = r.body.encode()
            answer = client.post(
                r.url, content=body, headers=wh.headers(list(r.secrets), r.msg_id, int(time.time()), body)
            )
            with db.uow() as uow:
                uow.session.execute(
                    text(
                        "UPDATE webhook_deliveries SET status = 'delivered', attempts = 1, last_status_code = :c WHERE id = :i"
                    ),
                    {"c": answer.status_code, "i": r.id},
                )
                uow.commit()
        slow = time.perf_counter() - started
        client.close()
        print(
            f"deliveries: {args.deliveries:,} to a local receiver: {fast:.2f} s "
            f"({args.deliveries / fast:.0f}/s) — one at a time, a transaction each: {slow:.2f} s "
            f"({slow / fast:.1f}×) [limit {LIMIT_S:.0f} s]"
        )
        ok &= fast <= LIMIT_S
        db.dispose()
    finally:
        with psycopg.connect(conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        receiver.terminate()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
