"""Reliability and security of imports and jobs (issue 18) on a real PostgreSQL, with real in-process
workers and real HTTP servers on 127.0.0.1.

The feed servers follow RFC 9110 (a plain ``200`` with a body; ``401`` with ``WWW-Authenticate`` when the
credentials are wrong) and RFC 7617 (HTTP basic auth: ``Authorization: Basic base64(user:password)``).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services import integrations
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.ops import queue as q

HEADER = "Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka\r\n"
FEED = (HEADER + "R-001;;P;5;1,00;23;;szt.\r\nR-002;;P;7;2,00;23;;szt.\r\n").encode("cp1250")
MAPPINGS = {"sku": "Indeks", "stock_quantity": "Stan", "purchase_price": "Cena netto"}


@pytest.fixture(autouse=True)
def _diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")


class _FeedHandler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Authorization")))
        if srv.basic is not None:
            expected = "Basic " + base64.b64encode(srv.basic.encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="feed"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if srv.bearer is not None and self.headers.get("Authorization") != f"Bearer {srv.bearer}":
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/secret"):
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"SECRET")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=windows-1250")
        if srv.body is not None:
            # Streamed without Content-Length (HTTP/1.0 style: the body ends when the connection closes).
            self.end_headers()
            try:
                for start in range(0, len(srv.body), 65536):
                    self.wfile.write(srv.body[start : start + 65536])
            except OSError:
                pass  # the client stopped reading: what the size limit does
            return
        if srv.trickle_s:
            # 1 byte per second (no Content-Length), for at most trickle_s seconds, then the whole feed.
            self.end_headers()
            started = time.monotonic()
            try:
                for byte in FEED:
                    if time.monotonic() - started > srv.trickle_s:
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(1.0)
            except OSError:
                pass  # the client gave up: what the test wants
            return
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)


@pytest.fixture
def feed_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    server.daemon_threads = True
    server.requests = []  # type: ignore[attr-defined]
    server.basic = None  # type: ignore[attr-defined]
    server.bearer = None  # type: ignore[attr-defined]
    server.trickle_s = 0  # type: ignore[attr-defined]
    server.body = None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _products(db: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO products (sku, name) VALUES ('R-001', 'P1'), ('R-002', 'P2')"))


def _supplier(db: Any, actor: Any, location: str, **options: Any) -> int:
    integration = integrations.create_integration(db.uow(), actor, type="supplier_feed", name="Hurtownia")
    integrations.create_import_profile(
        db.uow(),
        actor,
        integration_id=integration.id,
        name="stany",
        source_location=location,
        format="csv",
        options=options,
        mappings=MAPPINGS,
    )
    return integration.id


# ---------------------------------------------------------------- 4: credentials in feed URLs


def test_basic_auth_from_the_url_works_and_the_password_is_never_shown(
    db: Any, system_actor: Any, feed_server: Any
) -> None:
    _products(db)
    feed_server.basic = "kowal:tajne haslo"
    port = feed_server.server_address[1]
    integration_id = _supplier(
        db, system_actor, f"http://kowal:tajne%20haslo@127.0.0.1:{port}/feed.csv?token=T0K3N"
    )
    (run,) = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert run.status == "succeeded" and run.matched == 2, run.message
    path, auth = feed_server.requests[-1]
    assert (
        auth == "Basic " + base64.b64encode(b"kowal:tajne haslo").decode() and path == "/feed.csv?token=T0K3N"
    )

    (profile,) = integrations.list_import_profiles(db.uow(), system_actor, integration_id=integration_id)
    shown = integrations.masked_profile(profile)
    assert shown.source_location == f"http://kowal:***@127.0.0.1:{port}/feed.csv?token=***"

    # A wrong password: the run fails, its message names the server's answer, never the secrets.
    feed_server.basic = "kowal:inne"
    (run,) = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert run.status == "failed" and "401" in (run.message or ""), run.message
    assert "tajne" not in (run.message or "") and "T0K3N" not in (run.message or "")


def test_a_bearer_token_goes_in_http_headers(db: Any, system_actor: Any, feed_server: Any) -> None:
    _products(db)
    feed_server.bearer = "s3cr3t"
    port = feed_server.server_address[1]
    integration_id = _supplier(
        db, system_actor, f"http://127.0.0.1:{port}/feed.csv", http_headers={"Authorization": "Bearer s3cr3t"}
    )
    (run,) = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert run.status == "succeeded", run.message
    (profile,) = integrations.list_import_profiles(db.uow(), system_actor, integration_id=integration_id)
    assert integrations.masked_profile(profile).options["http_headers"] == {"Authorization": "***"}


# ---------------------------------------------------------------- 5: a deadline per download


def test_a_server_sending_one_byte_a_second_fails_the_run_at_the_deadline(
    db: Any, system_actor: Any, feed_server: Any
) -> None:
    _products(db)
    feed_server.trickle_s = 12  # the old per-read timeout let this run for the whole 12 s, then read it
    port = feed_server.server_address[1]
    integration_id = _supplier(db, system_actor, f"http://127.0.0.1:{port}/slow.csv", timeout_s=2)
    started = time.monotonic()
    (run,) = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert run.status == "failed", run
    assert "did not finish within timeout_s = 2 s" in (run.message or ""), run.message
    assert time.monotonic() - started < 11  # stopped at its deadline, not when the server gave up


# ---------------------------------------------------------------- what held: keep it held


def test_a_download_without_length_stops_at_the_size_limit(
    db: Any, system_actor: Any, feed_server: Any
) -> None:
    _products(db)
    feed_server.body = FEED + b"R-003;;P;1;1,00;23;;szt.\r\n" * 200_000  # about 5 MB, no Content-Length
    port = feed_server.server_address[1]
    integration_id = _supplier(db, system_actor, f"http://127.0.0.1:{port}/big.csv", max_bytes=1_000_000)
    (run,) = imports.import_now(db.uow, system_actor, integration_id=integration_id)
    assert run.status == "failed" and "over the limit of 1.0 MB; download stopped" in (run.message or ""), run
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM integration_product_links")).scalar_one() == 0


def test_an_xml_feed_with_an_external_entity_is_refused_and_fetches_nothing(
    db: Any, system_actor: Any, feed_server: Any
) -> None:
    port = feed_server.server_address[1]
    feed_server.body = (
        f'<?xml version="1.0"?><!DOCTYPE offers [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/secret">]>'
        '<offers><o id="A">&x;</o></offers>'
    ).encode()
    integration = integrations.create_integration(db.uow(), system_actor, type="supplier_feed", name="XXE")
    integrations.create_import_profile(
        db.uow(),
        system_actor,
        integration_id=integration.id,
        name="xml",
        source_location=f"http://127.0.0.1:{port}/feed.xml",
        format="xml",
        options={"record": "o"},
        mappings={"sku": "@id", "stock_quantity": "."},
    )
    (run,) = imports.import_now(db.uow, system_actor, integration_id=integration.id)
    assert run.status == "failed", run
    assert [p for p, _ in feed_server.requests] == ["/feed.xml"]  # the entity's URL was never asked for


# ---------------------------------------------------------------- 8: failed imports fail their job, back-off


def _work(db: Any, **kw: Any) -> None:
    run_workers(db, [WorkerSettings(sleep=0.1, stop_when_empty=True, **kw)])


def _job(db: Any, job_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT status, attempts, scheduled_at FROM procrastinate_jobs WHERE id = :id"),
                {"id": job_id},
            )
            .mappings()
            .one()
        )


def test_a_failed_queued_import_fails_its_job_once_with_what_failed(
    db: Any, system_actor: Any, tmp_path: Path
) -> None:
    integration_id = _supplier(db, system_actor, str(tmp_path / "missing.csv"))
    (run,) = imports.create_import_runs(db.uow(), system_actor, integration_id=integration_id)
    job = defer_job(db, "imports:execute_integration_import", integration_id=integration_id, run_id=run.id)
    _work(db, tries=3)
    assert imports.get_run(db.uow(), run.id).status == "failed"
    assert _job(db, job)["status"] == "failed" and _job(db, job)["attempts"] == 1  # not read 3 times
    [failed] = q.list_failed_jobs(db.uow(), system_actor, queue="import")
    assert failed.id == job
    assert failed.error.startswith(f"ImportRunFailed: Import run {run.id} failed: The feed file"), (
        failed.error
    )
    assert "does not exist" in failed.error


def test_a_failed_jobs_error_keeps_its_first_line(db: Any, system_actor: Any) -> None:
    job = defer_job(db, "diagnostics:fail", message="Cannot connect to shop 3\nCheck 'host' and 'port'.")
    _work(db)
    [failed] = q.list_failed_jobs(db.uow(), system_actor)
    assert failed.id == job and failed.error == "RuntimeError: Cannot connect to shop 3"


def test_retries_back_off_per_queue(db: Any) -> None:
    from rexbit_desktop.jobs.worker import parse_backoff

    backoff = parse_backoff("default=30,90;*=1")
    assert backoff == (("default", (30.0, 90.0)), ("", (1.0,)))
    job = defer_job(db, "diagnostics:fail")
    before = datetime.now(UTC)
    _work(db, tries=3, backoff=backoff)
    row = _job(db, job)
    # Failed once; the retry waits 30 s (a --stop-when-empty worker does not wait for it).
    assert (row["status"], row["attempts"]) == ("todo", 1)
    assert 25 <= (row["scheduled_at"] - before).total_seconds() <= 40, row


# ---------------------------------------------------------------- 2: a retried reader finishes the protocol


def test_a_retried_reader_whose_reading_had_ended_applies_the_run(
    db: Any, system_actor: Any, tmp_path: Path
) -> None:
    """The reader applies when every chunk was staged before its reading ended; killed right then, its
    retried job used to find the run 'running' and refuse to start it ("only a queued run can start"),
    leaving the run running with nothing applied."""
    from rexbit_desktop.services.feeds.imports import run_queued_import

    _products(db)
    feed = tmp_path / "feed.csv"
    feed.write_bytes(FEED)
    integration_id = _supplier(db, system_actor, str(feed), chunk_rows=1)
    (run,) = imports.create_import_runs(db.uow(), system_actor, integration_id=integration_id)
    # What the killed reader did: read the feed, each chunk staged (by chunk jobs) as soon as it was read.
    chunks = imports.read_feed(db.uow, run.id, lambda n, rows: imports.stage_chunk(db.uow, run.id, n, rows))
    assert chunks == 2 and imports.reading_finished(db.uow, run.id)
    assert imports.get_run(db.uow(), run.id).status == "running"

    result = run_queued_import(db, run.id)  # the retried reader job
    assert result["status"] == "succeeded", result
    done = imports.get_run(db.uow(), run.id)
    assert (done.status, done.rows_read, done.matched) == ("succeeded", 2, 2)
