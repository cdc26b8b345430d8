"""``rexbit rules`` and ``rexbit webhooks`` as scripts run them (real processes, real PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from test_orders_cli import run

from tests.support.orders import add_products, create, setup_warehouse


@pytest.mark.slow
def test_rules_from_the_command_line(db, db_url, system_actor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_products(db, "CLI-1")
    setup_warehouse(db, system_actor)
    big = create(db, system_actor, ("CLI-1", 5))  # 615.00
    create(db, system_actor, ("CLI-1", 1))  # 123.00
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(
        json.dumps(
            {
                "name": "Duże",
                "event": "status_changed",
                "conditions": [{"field": "total_gross", "op": "gte", "value": "500"}],
                "actions": [{"type": "set_tag", "tag": "duze"}],
            }
        ),
        encoding="utf-8",
    )
    added = json.loads(run(db_url, "rules", "add", f"--file={rule_file}", "--json").stdout)
    listed = json.loads(run(db_url, "rules", "list", "--json").stdout)
    assert [r["name"] for r in listed if r["builtin"] is None] == ["Duże"]
    assert len([r for r in listed if r["builtin"]]) == 3
    tested = json.loads(run(db_url, "rules", "test", str(added["id"]), "--json").stdout)
    assert (tested["matched"], tested["orders"]) == (1, [big.number])
    assert " off " in run(db_url, "rules", "disable", str(added["id"])).stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "event": "nope", "actions": []}), encoding="utf-8")
    refused = run(db_url, "rules", "add", f"--file={bad}", ok=False)
    assert refused.returncode != 0 and "Unknown event 'nope'" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.slow
def test_webhooks_from_the_command_line(db_url, tmp_path, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hooks").respond_with_data("ok")
    secret_file = tmp_path / "sklep.secret"
    url = httpserver.url_for("/hooks")
    refused = run(
        db_url, "webhooks", "add", "--name=sklep", f"--url={url}", f"--secret-file={secret_file}", ok=False
    )
    assert "private or local" in refused.stderr and not secret_file.exists()
    added = run(
        db_url,
        "webhooks",
        "add",
        "--name=sklep",
        f"--url={url}",
        f"--secret-file={secret_file}",
        "--allow-private",
    )
    secret = secret_file.read_text(encoding="utf-8").strip()
    assert secret.startswith("whsec_") and secret not in added.stdout + added.stderr
    assert (secret_file.stat().st_mode & 0o777) == 0o600
    listed = run(db_url, "webhooks", "list", "--json")
    assert secret not in listed.stdout and json.loads(listed.stdout)[0]["name"] == "sklep"
    assert run(db_url, "webhooks", "test", "sklep").stdout.startswith("delivered: 200")
    [request, _response] = httpserver.log[0]
    assert Webhook(secret).verify(request.get_data(), dict(request.headers))["type"] == "webhook.test"
    shown = json.loads(run(db_url, "webhooks", "deliveries", "--json").stdout)
    assert shown[0]["status"] == "delivered" and shown[0]["history"][0]["status_code"] == 200
    assert secret not in json.dumps(shown)
