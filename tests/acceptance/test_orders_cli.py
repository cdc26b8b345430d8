"""The orders and stock commands as operators and scripts run them (real processes, real PostgreSQL)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.orders import add_products, order_payload

REXBIT = [str(Path(sys.executable).with_name("rexbit"))]


def run(db_url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*REXBIT, "--database-url", db_url, *args], capture_output=True, text=True, timeout=120
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
def test_operator_day_from_the_command_line(db, db_url, tmp_path):
    add_products(db, "HX-1001", "HX-1002")
    run(db_url, "warehouse", "add", "--code=MAG", "--name=Magazyn główny", "--default")
    receipt = run(db_url, "stock", "receive", "--sku", "HX-1001", "--warehouse=MAG", "--qty=5")
    assert "PZ/" in receipt.stdout

    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(order_payload(("HX-1001", 3), ("HX-1002", 1))), encoding="utf-8")
    created = json.loads(run(db_url, "orders", "create", f"--file={order_file}", "--json").stdout)
    number = created["number"]
    assert number.startswith("ZAM/") and created["total_gross"] == "492.00"

    reserve = run(db_url, "orders", "transition", number, "--to=awaiting_fulfillment", "--comment=go")
    assert "SHORT 1" in reserve.stdout and "partially reserved" in reserve.stdout
    shown = json.loads(run(db_url, "stock", "show", "--sku=HX-1001", "--json").stdout)
    assert (shown["levels"][0]["on_hand"], shown["levels"][0]["reserved"]) == ("5.000", "3.000")

    refused = run(db_url, "orders", "transition", number, "--to=shipped", ok=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "cannot go to 'shipped'" in refused.stderr and "picking" in refused.stderr

    run(db_url, "stock", "receive", "--sku=HX-1002", "--warehouse=MAG", "--qty=2")
    reserved = json.loads(run(db_url, "orders", "reserve", number, "--json").stdout)
    assert reserved["complete"] is True

    run(db_url, "orders", "transition", number, "--to", "picking")
    issued = run(db_url, "orders", "transition", number, "--to=ready_for_shipment")
    assert "issued WZ/" in issued.stdout
    run(db_url, "orders", "ship", number, "--carrier=inpost", "--tracking=620000000000")
    detail = json.loads(run(db_url, "orders", "show", number, "--json").stdout)
    assert detail["status"] == "shipped"
    assert [d["type"] for d in detail["documents"]] == ["reservation", "issue_wz"]
    assert detail["shipments"][0]["tracking_url"].endswith("620000000000")
    assert [h["to_status"] for h in detail["history"]][-1] == "shipped"

    listed = json.loads(run(db_url, "orders", "list", "--status=shipped", "--json").stdout)
    assert [o["number"] for o in listed] == [number]

    if shutil.which("pdftotext"):
        pdf = tmp_path / "wz.pdf"
        run(db_url, "orders", "pdf", number, "--type=wz", f"--out={pdf}")
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Wydanie zewnętrzne" in text and "Zażółć Gęślą Jaźń" in text

    expired = json.loads(run(db_url, "orders", "release-expired-reservations", "--json").stdout)
    assert expired["released_reservations"] == 0


@pytest.mark.slow
def test_bad_input_gives_a_message_and_an_exit_code(db_url, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [{"sku": "X", "quantity": "1", "price_gross": "12.5.0"}]}', encoding="utf-8")
    proc = run(db_url, "orders", "create", f"--file={bad}", ok=False)
    assert proc.returncode == 1 and "not a number" in proc.stderr and "Traceback" not in proc.stderr
    proc = run(db_url, "orders", "settings", "set", "automation.issue_wz_on", "packed", ok=False)
    assert proc.returncode == 1 and "picking, ready_for_shipment or never" in proc.stderr
    proc = run(db_url, "--user=nobody", "orders", "list", ok=False)
    assert proc.returncode == 1 and "no user 'nobody'" in proc.stderr
    proc = run(db_url, "orders", "show", "ZAM/0/0", ok=False)
    assert proc.returncode == 1 and "no order" in proc.stderr
    run(db_url, "orders", "settings", "set", "automation.issue_wz_on", "picking")
    shown = json.loads(run(db_url, "orders", "settings", "show", "--json").stdout)
    assert shown["automation"]["issue_wz_on"] == "picking"


def test_transition_to_shipped_records_the_carrier(db, db_url, system_actor):
    """`orders transition --to=shipped` follows the one shipping rule: no carrier, no shipment."""
    from rexbit_desktop.services.orders.workflow import transition_order
    from rexbit_desktop.services.stock import stock
    from tests.support.orders import create, setup_warehouse

    setup_warehouse(db, system_actor)
    add_products(db, "HX-2001")
    stock.receive_stock(db.uow(), system_actor, sku="HX-2001", warehouse="MAG", qty=2)
    number = create(db, system_actor, ("HX-2001", 1)).number
    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        transition_order(db.uow(), system_actor, number, status)

    refused = run(db_url, "orders", "transition", number, "--to=shipped", ok=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "--carrier" in refused.stderr
    run(db_url, "orders", "transition", number, "--to=shipped", "--carrier=pickup")
    detail = json.loads(run(db_url, "orders", "show", number, "--json").stdout)
    assert detail["status"] == "shipped"
    assert [(s["carrier"], s["tracking_number"]) for s in detail["shipments"]] == [("pickup", None)]
