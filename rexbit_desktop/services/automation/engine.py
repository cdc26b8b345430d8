"""Running automation rules for recorded events (``automation:process_events`` in a worker).

One pass: take a batch of waiting events (``FOR UPDATE SKIP LOCKED``, so workers share the work), read
the facts of their orders in one query, decide in ``domain.automation`` which rules fire, claim each
(event, rule, order) in ``automation_runs`` (a unique key: a run happens at most once, whoever else
processes the same event), queue the webhook deliveries, mark the events handled — one transaction.
Then the claimed runs are carried out rule by rule, each action for all the rule's orders at once
where it can be done with one statement (note, tag, warehouse, webhook), order by order through the
order services otherwise (status, reserve, WZ, print). Every action's result is written to
``order_audit_logs``. Events the actions cause are picked up by the next round of the same pass, one
level deeper; at ``MAX_DEPTH`` the chain stops with one audit row saying so.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.automation import (
    MAX_DEPTH,
    Action,
    ActionType,
    Event,
    OrderFacts,
    Rule,
    compile_rules,
    matching_compiled,
)
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.automation import webhooks
from rexbit_desktop.services.automation.events import automation_depth, kick_after_commit
from rexbit_desktop.services.automation.rules import OrderSnapshot, load_facts, load_rules, mail_available

log = logging.getLogger(__name__)

ACTOR = Actor.job("automation")
AUDIT_ACTION = "automation"
LOOP_ACTION = "automation_loop_stopped"


@dataclass
class ProcessResult:
    events: int = 0
    runs: int = 0
    actions: int = 0
    failed: int = 0
    loops_stopped: int = 0
    deliveries: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Run:
    run_id: int
    event: Event
    facts: OrderFacts
    status: str = "claimed"


@dataclass
class _Outcome:
    ok: bool
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def process_events(
    db: Database, *, batch: int = 2000, now: datetime | None = None, max_rounds: int = 1000
) -> ProcessResult:
    """Handle every waiting event (and the events their rules cause); returns what was done."""
    result = ProcessResult()
    token = kick_after_commit.set(False)  # this loop handles the events its own actions cause
    try:
        for _ in range(max_rounds):
            claimed = _claim(db, batch, now or datetime.now(UTC), result)
            if claimed is None:
                break
            _carry_out(db, claimed, result)
    finally:
        kick_after_commit.reset(token)
    return result


_CLAIM = text(
    "SELECT id, type, order_id, depth, data FROM automation_events WHERE processed_at IS NULL "
    "ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"
)


def _claim(
    db: Database, batch: int, now: datetime, result: ProcessResult
) -> list[tuple[Rule, list[_Run]]] | None:
    with db.uow() as uow:
        s = uow.session
        rows = s.execute(_CLAIM, {"n": batch}).all()
        if not rows:
            return None
        events = [Event(r.id, r.type, r.order_id, r.depth, dict(r.data or {})) for r in rows]
        rules = compile_rules(load_rules(s, enabled_only=True))
        snaps = load_facts(s, {e.order_id for e in events})
        result.events += len(events)
        result.deliveries += webhooks.enqueue_for_events(s, events, snaps, now)
        planned: list[tuple[Event, Rule]] = []
        loop_audits: list[dict[str, Any]] = []
        for ev in events:
            snap = snaps.get(ev.order_id)
            hits = matching_compiled(rules, ev, snap.facts if snap else None, now)
            if not hits:
                continue
            if ev.depth >= MAX_DEPTH:
                loop_audits.append(
                    {
                        "order_id": ev.order_id,
                        "details": {
                            "event": ev.type,
                            "event_id": ev.id,
                            "depth": ev.depth,
                            "rules": [r.name for r in hits],
                            "message": f"Automation stopped: {MAX_DEPTH} rules in a chain (a loop?).",
                        },
                    }
                )
                continue
            planned.extend((ev, r) for r in hits)
        claimed: dict[int, tuple[Rule, list[_Run]]] = {}
        if planned:
            by_key = {(ev.id, rule.id): (ev, rule) for ev, rule in planned}
            rows_back = s.execute(
                text(
                    "INSERT INTO automation_runs (event_id, rule_id, order_id) "
                    "SELECT * FROM unnest(CAST(:e AS bigint[]), CAST(:r AS bigint[]), CAST(:o AS bigint[])) "
                    "ON CONFLICT (event_id, rule_id, order_id) DO NOTHING RETURNING id, event_id, rule_id"
                ),
                {
                    "e": [ev.id for ev, _ in planned],
                    "r": [rule.id for _, rule in planned],
                    "o": [ev.order_id for ev, _ in planned],
                },
            ).all()
            for run_id, event_id, rule_id in rows_back:
                ev, rule = by_key[(event_id, rule_id)]
                snap = snaps[ev.order_id]
                claimed.setdefault(rule_id, (rule, []))[1].append(_Run(run_id, ev, snap.facts))
        if loop_audits:
            _audit(s, [(a["order_id"], LOOP_ACTION, a["details"]) for a in loop_audits])
            result.loops_stopped += len(loop_audits)
        s.execute(
            text("UPDATE automation_events SET processed_at = now() WHERE id = ANY(:ids)"),
            {"ids": [e.id for e in events]},
        )
        uow.commit()
    ordered = sorted(claimed.values(), key=lambda item: (item[0].priority, item[0].id or 0))
    for _rule, runs in ordered:
        runs.sort(key=lambda r: r.event.id)
    return ordered


def _audit(session: Session, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
    """Audit rows with COPY (a batch of a 10,000-order pass writes ~100,000 of them)."""
    if not rows:
        return
    import json

    raw = session.connection().connection.driver_connection
    with (
        raw.cursor() as cur,  # type: ignore[union-attr]
        cur.copy("COPY order_audit_logs (order_id, actor, action, details) FROM STDIN") as copy,
    ):
        for order_id, action, details in rows:
            copy.write_row((order_id, ACTOR.login, action, json.dumps(details, default=str)))


def _carry_out(db: Database, claimed: list[tuple[Rule, list[_Run]]], result: ProcessResult) -> None:
    audits: list[tuple[int, str, dict[str, Any]]] = []
    all_runs: list[_Run] = []
    for rule, runs in claimed:
        alive = list(runs)
        all_runs.extend(runs)
        for index, action in enumerate(rule.actions):
            if not alive:
                break
            outcomes = _run_action(db, rule, action, alive)
            result.actions += len(alive)
            still: list[_Run] = []
            for run, outcome in zip(alive, outcomes, strict=True):
                # Kept small (a pass over 10,000 orders writes ~100,000 of these); the run links to the
                # rule and the event (automation_runs).
                details: dict[str, Any] = {
                    "rule": rule.name,
                    "action": action.label(),
                    "action_type": action.type,
                    "ok": outcome.ok,
                    "message": outcome.message,
                    "run_id": run.run_id,
                    **outcome.extra,
                }
                if not outcome.ok:
                    run.status = "failed"
                    result.failed += 1
                    later = [a.label() for a in rule.actions[index + 1 :]]
                    if rule.stop_on_failure and later:
                        details["stopped"] = True
                        details["skipped"] = later
                        audits.append((run.facts.order_id, AUDIT_ACTION, details))
                        continue
                audits.append((run.facts.order_id, AUDIT_ACTION, details))
                still.append(run)
            alive = still
        result.runs += len(runs)
    # The results of the whole batch in one transaction: the audit rows, and the failed runs marked.
    with db.uow() as uow:
        _audit(uow.session, audits)
        failed = [r.run_id for r in all_runs if r.status == "failed"]
        if failed:
            uow.session.execute(
                text(
                    "UPDATE automation_runs SET status = 'failed', finished_at = now() WHERE id = ANY(:ids)"
                ),
                {"ids": failed},
            )
        uow.commit()


# ------------------------------------------------------------------ actions


def _message(exc: BaseException) -> str:
    return str(exc.message if isinstance(exc, RexbitError) else exc) or type(exc).__name__


def _each(runs: list[_Run], fn: Callable[[_Run], _Outcome]) -> list[_Outcome]:
    """An action order by order, each in its own transaction, one level deeper for the events it causes."""
    outcomes = []
    for run in runs:
        token = automation_depth.set(run.event.depth + 1)
        try:
            outcomes.append(fn(run))
        except RexbitError as exc:
            outcomes.append(_Outcome(False, _message(exc)))
        except Exception as exc:  # a bug or an outage must not stop the other orders' runs
            log.exception("automation action failed for order %s", run.facts.number)
            outcomes.append(_Outcome(False, _message(exc)))
        finally:
            automation_depth.reset(token)
    return outcomes


def _batch(runs: list[_Run], fn: Callable[[list[int]], _Outcome]) -> list[_Outcome]:
    try:
        outcome = fn([r.facts.order_id for r in runs])
    except RexbitError as exc:
        outcome = _Outcome(False, _message(exc))
    return [outcome] * len(runs)


def _run_action(db: Database, rule: Rule, action: Action, runs: list[_Run]) -> list[_Outcome]:
    from rexbit_desktop.services.orders import orders as order_services
    from rexbit_desktop.services.orders.workflow import OrderWorkflowService

    kind = ActionType(action.type)
    p = action.params
    if kind is ActionType.SET_STATUS:
        workflow = OrderWorkflowService()

        def set_status(run: _Run) -> _Outcome:
            result = workflow.transition(
                db.uow(), ACTOR, run.facts.number, p["status"], comment=f"Automat: {rule.name}"
            )
            return _Outcome(True, f"{result.from_status} → {result.to_status}")

        return _each(runs, set_status)
    if kind is ActionType.RESERVE:

        def reserve(run: _Run) -> _Outcome:
            res = order_services.reserve_order(db.uow(), ACTOR, run.facts.number)
            missing = {line.sku: str(line.missing) for line in res.lines if line.missing}
            if missing:
                return _Outcome(
                    False,
                    "Not everything is in stock: "
                    + ", ".join(f"{sku} missing {qty}" for sku, qty in missing.items()),
                    {"missing": missing},
                )
            return _Outcome(True, "reserved")

        return _each(runs, reserve)
    if kind is ActionType.ISSUE_WZ:

        def issue(run: _Run) -> _Outcome:
            numbers = order_services.issue_warehouse_documents(db.uow(), ACTOR, run.facts.number)
            return _Outcome(True, ", ".join(numbers) or "nothing left to issue")

        return _each(runs, issue)
    if kind is ActionType.ADD_NOTE:
        return _batch(runs, lambda ids: _add_notes(db, ids, str(p["text"])))
    if kind is ActionType.SET_TAG:
        return _batch(runs, lambda ids: _set_tag(db, ids, str(p["tag"]).strip()))
    if kind is ActionType.ASSIGN_WAREHOUSE:
        return _batch(runs, lambda ids: _assign_warehouse(db, ids, str(p["warehouse"]).strip()))
    if kind is ActionType.CALL_WEBHOOK:
        return _batch(
            runs,
            lambda ids: _Outcome(
                True,
                "queued "
                + str(
                    webhooks.enqueue_for_orders(
                        db,
                        str(p["endpoint"]),
                        ids,
                        str(p.get("webhook_type") or "orders.updated"),
                        {"rule": rule.name},
                    )
                ),
            ),
        )
    if kind is ActionType.PRINT_DOCUMENTS:
        return _each(runs, lambda run: _print(db, run, p))
    if kind is ActionType.SEND_EMAIL:
        if not mail_available():
            return [
                _Outcome(False, "E-mail templates cannot be sent: this rexbit has no mail module.")
            ] * len(runs)
        from rexbit_desktop.services.messages.outbox import send_order_mail

        def send(run: _Run) -> _Outcome:
            # The run's id names the request: a retried run stores one message, not two.
            message = send_order_mail(
                db.uow(), ACTOR, run.facts.number, str(p["template"]), request_id=f"automation-{run.run_id}"
            )
            return _Outcome(True, f"e-mail '{p['template']}' queued ({message.state})")

        return _each(runs, send)
    return [_Outcome(False, f"'{action.type}' cannot run as a rule's action.")] * len(runs)


def _add_notes(db: Database, ids: list[int], body: str) -> _Outcome:
    with db.uow() as uow:
        uow.session.execute(
            text(
                "INSERT INTO order_notes (order_id, author, body) "
                "SELECT unnest(CAST(:ids AS bigint[])), :author, :body"
            ),
            {"ids": ids, "author": "Automat", "body": body},
        )
        uow.commit()
    return _Outcome(True, "note added")


def _set_tag(db: Database, ids: list[int], tag: str) -> _Outcome:
    with db.uow() as uow:
        uow.session.execute(
            text(
                "INSERT INTO order_tags (order_id, tag, created_by) "
                "SELECT unnest(CAST(:ids AS bigint[])), :tag, :by ON CONFLICT DO NOTHING"
            ),
            {"ids": ids, "tag": tag[:60], "by": ACTOR.login},
        )
        uow.commit()
    return _Outcome(True, f"tag {tag}")


def _assign_warehouse(db: Database, ids: list[int], code: str) -> _Outcome:
    with db.uow() as uow:
        warehouse = uow.session.scalar(text("SELECT id FROM warehouses WHERE code = :c"), {"c": code})
        if warehouse is None:
            return _Outcome(False, f"There is no warehouse '{code}'.")
        uow.session.execute(
            text("UPDATE orders SET warehouse_id = :w, updated_at = now() WHERE id = ANY(:ids)"),
            {"w": warehouse, "ids": ids},
        )
        uow.commit()
    return _Outcome(True, f"warehouse {code}")


def _print(db: Database, run: _Run, params: dict[str, Any]) -> _Outcome:
    """The order's documents merged into one PDF, saved in the rule's folder and, when the rule names a
    printer and the system has ``lp`` (CUPS), sent to that printer."""
    from pypdf import PdfWriter

    from rexbit_desktop.services.orders.pdfs import render_order_pdf

    folder = Path(str(params.get("folder") or "")).expanduser()
    if not str(params.get("folder") or "").strip():
        return _Outcome(False, "The print action needs a folder to save the PDF in.")
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in run.facts.number)
    target = folder / f"{safe}.pdf"
    with tempfile.TemporaryDirectory(prefix="rexbit-print-") as tmp:
        writer = PdfWriter()
        for kind in params.get("types") or []:
            for path in render_order_pdf(
                db.uow(), ACTOR, run.facts.number, kind=kind, out=Path(tmp) / f"{kind}.pdf"
            ):
                writer.append(str(path))
        with target.open("wb") as fh:
            writer.write(fh)
    printer = str(params.get("printer") or "").strip()
    if printer:
        lp = shutil.which("lp")
        if lp is None:
            return _Outcome(False, f"Saved {target}; not printed: this system has no 'lp' (CUPS).")
        proc = subprocess.run([lp, "-d", printer, str(target)], capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            return _Outcome(False, f"Saved {target}; the printer refused it: {proc.stderr.strip()[:200]}")
        return _Outcome(True, f"printed on {printer} ({target})")
    return _Outcome(True, f"saved {target}")


def run_in_status_events(db: Database, *, now: datetime | None = None) -> int:
    """The daily pass: an ``in_status`` event for each order and enabled 'in status' rule it matches;
    once per rule and stay in a status (the event's dedupe key). Returns how many events were new."""
    from rexbit_desktop.domain.automation import EventType, facts_match
    from rexbit_desktop.services.automation.events import emit, store_pending

    now = now or datetime.now(UTC)
    emitted = 0
    with db.uow() as uow:
        s = uow.session
        rules = [
            r
            for r in load_rules(s, enabled_only=True)
            if r.builtin is None and r.event == EventType.IN_STATUS
        ]
        if not rules:
            return 0
        last = 0
        while True:
            ids = list(
                s.scalars(
                    text(
                        "SELECT id FROM orders WHERE id > :last AND status NOT IN "
                        "('completed', 'cancelled', 'returned') ORDER BY id LIMIT 2000"
                    ),
                    {"last": last},
                )
            )
            if not ids:
                break
            last = ids[-1]
            snaps: dict[int, OrderSnapshot] = load_facts(s, ids)
            for snap in snaps.values():
                f = snap.facts
                since = f.status_since.isoformat() if f.status_since else ""
                for rule in rules:
                    if facts_match(rule, f, now):
                        # One event per rule and stay: a 3-day and a 7-day rule each fire once.
                        emit(
                            s,
                            EventType.IN_STATUS,
                            f.order_id,
                            {"status": f.status, "days": f.days_in_status(now), "rule_id": rule.id},
                            dedupe_key=f"in_status:{rule.id}:{f.status}:{since}",
                        )
        emitted = store_pending(s)  # those not fired in this stay before (the dedupe key)
        uow.commit()
    return emitted
