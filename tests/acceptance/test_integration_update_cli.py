"""`rexbit integration update`: rename, merge config (the password stays), disable; bad input refused."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services import integrations


def _rexbit(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_update_from_the_command_line(db, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop = integrations.create_integration(
        db.uow(),
        Actor.system(),
        type="prestashop_db",
        name="Sklep",
        config={"host": "127.0.0.1", "database": "sklep", "user": "u", "password": "tajne-haslo"},
    )
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"prefix": "shop_", "min_stock_threshold": 5}), encoding="utf-8")
    done = _rexbit(
        db_url,
        "integration",
        "update",
        f"--integration={shop.id}",
        "--config",
        str(change),
        "--name=Sklep główny",
        "--disable",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["name"], shown["enabled"], shown["config"]["prefix"]) == ("Sklep główny", False, "shop_")
    assert "tajne-haslo" not in done.stdout
    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT config FROM integrations WHERE id = %s", (shop.id,)).scalar_one()
    assert raw["password"] == "tajne-haslo" and raw["min_stock_threshold"] == 5

    change.write_text(json.dumps({"prefix": "zły; prefiks"}), encoding="utf-8")
    refused = _rexbit(db_url, "integration", "update", f"--integration={shop.id}", "--config", str(change))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "prefix" in refused.stderr.lower()
    missing = _rexbit(db_url, "integration", "update", "--integration=999", "--enable")
    assert missing.returncode == 1 and "no integration 999" in missing.stderr
