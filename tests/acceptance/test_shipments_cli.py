"""``rexbit shipments`` as operators and scripts run it (real processes, a local ShipX server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.carriers import ORG, TOKEN, ShipXServer, no_wz, ready_order

REXBIT = [str(Path(sys.executable).with_name("rexbit"))]


def run(
    db_url: str, *args: str, ok: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*REXBIT, "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_shipments_from_the_command_line(db, db_url, system_actor, tmp_path):  # type: ignore[no-untyped-def]
    with ShipXServer() as shipx:
        shipx.state.confirm_after_polls = 1
        env = {"REXBIT_INPOST_TOKEN": TOKEN}
        config = {
            "base_url": shipx.url,
            "organization_id": ORG,
            "token_env": "REXBIT_INPOST_TOKEN",
            "poll_interval": 0.05,
        }
        run(
            db_url, "shipments", "carrier-set", "inpost", "--service=inpost", f"--config={json.dumps(config)}"
        )
        no_wz(db, system_actor)
        number = ready_order(db, system_actor)

        created = json.loads(
            run(
                db_url, "shipments", "create", number, "--carrier=inpost", "--size=A", "--json", env=env
            ).stdout
        )
        assert created["status"] == "confirmed" and created["order_moved"] == "shipped"
        assert created["tracking_number"] == next(iter(shipx.state.shipments.values()))["tracking"]
        again = run(db_url, "shipments", "create", number, "--size=A", env=env)
        assert "confirmed" in again.stdout and len(shipx.state.posts) == 1

        out = tmp_path / "label.pdf"
        run(db_url, "shipments", "label", number, f"--out={out}", env=env)
        assert out.read_bytes().startswith(b"%PDF")

        tracked = json.loads(run(db_url, "shipments", "track", "--all-open", "--json", env=env).stdout)
        assert tracked["delivered"] == 1 and tracked["completed"] == [number]

        shown = run(db_url, "shipments", "carriers", "--json").stdout
        assert json.loads(shown)[0]["config"]["token_env"] == "REXBIT_INPOST_TOKEN" and TOKEN not in shown

        # Without the variable: a clear message, the token's name but never a value.
        other = ready_order(db, system_actor)
        missing = run(
            db_url, "shipments", "create", other, "--size=A", ok=False, env={"REXBIT_INPOST_TOKEN": ""}
        )
        assert missing.returncode != 0 and "REXBIT_INPOST_TOKEN is not set" in missing.stderr
        assert "Traceback" not in missing.stderr

        shipx.state.reject_with = "validation_failed_target_point.json"
        refused = run(db_url, "shipments", "create", other, "--size=A", ok=False, env=env)
        assert "InPost refused the shipment: target parcel locker is missing." in refused.stderr
        assert TOKEN not in refused.stderr + refused.stdout
