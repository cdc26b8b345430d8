"""The ``rexbit`` command as scripts use it: db upgrade against a server, first-start upgrade, users and
who acts (``--user`` / ``REXBIT_USER`` / the system account). Real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rexbit_desktop.db.session import head_revision


def rexbit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    base["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.slow
def test_db_upgrade_against_a_server_on_an_empty_database(empty_db_url: str) -> None:
    head = head_revision()
    status = json.loads(ok(rexbit("--database-url", empty_db_url, "db", "status", "--json")))
    assert status["revision"] is None and status["embedded"] is False
    assert f"empty -> {head}" in ok(rexbit(f"--database-url={empty_db_url}", "db", "upgrade"))
    again = ok(rexbit("db", "upgrade", env={"REXBIT_DATABASE_URL": empty_db_url}))
    assert f"{head} -> {head}" in again, "a second upgrade changes nothing"
    # After the command, as operators write it in crontabs and units.
    after = json.loads(ok(rexbit("db", "status", "--json", "--database-url", empty_db_url)))
    assert after["revision"] == head and after["embedded"] is False


@pytest.mark.slow
def test_first_command_upgrades_an_empty_database(empty_db_url: str) -> None:
    # Any command that opens the database creates the schema on first start.
    listed = json.loads(ok(rexbit("--database-url", empty_db_url, "user", "list", "--json")))
    assert [u["login"] for u in listed] == ["system"], "the built-in account exists after the first command"
    status = json.loads(ok(rexbit("--database-url", empty_db_url, "db", "status", "--json")))
    assert status["revision"] == head_revision()


def rexbit_all(*runs: tuple[list[str], dict[str, str] | None]) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands at once: each pays about a second of Python start-up."""
    base = {k: v for k, v in os.environ.items() if k not in ("REXBIT_DATABASE_URL", "REXBIT_USER")}
    base["COLUMNS"] = "200"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rexbit_desktop.cli", *args],
            env={**base, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, env in runs
    ]
    results = []
    for proc, (args, _) in zip(procs, runs, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


@pytest.mark.slow
def test_users_and_who_acts(db_url: str) -> None:
    url = ["--database-url", db_url]
    added_out, *others = rexbit_all(
        ([*url, "user", "add", "--login=anna", "--role=operator", "--name=Anna Wiśniewska",
          "--password=tajne-hasło", "--json"], None),
        ([*url, "user", "add", "--login", "kierownik", "--role", "manager"], None),
        ([*url, "user", "add", "--login=piotr", "--role=operator"], None),
    )  # fmt: skip
    added = json.loads(ok(added_out))
    assert added["login"] == "anna" and added["role"] == "operator"
    for result in others:
        ok(result)

    # (Bad roles and short passwords: tests/integration/test_users_service.py.)
    by_operator, by_manager, unknown, password, deactivate = rexbit_all(
        ([*url, "--user=anna", "user", "add", "--login=x", "--role=admin"], None),
        ([*url, "user", "add", "--login=x", "--role=admin"], {"REXBIT_USER": "kierownik"}),
        ([*url, "--user", "duch", "user", "list"], None),
        ([*url, "user", "password", "--login=kierownik"], {"REXBIT_NEW_USER_PASSWORD": "nowe-hasło-1"}),
        ([*url, "user", "deactivate", "--login=piotr"], None),
    )
    for result in (by_operator, by_manager, unknown):
        assert "Traceback" not in result.stderr and result.stderr.count("error:") == 1, result.stderr
    # Only admins add users: exit 3 with who was refused.
    assert by_operator.returncode == 3 and "'anna'" in by_operator.stderr and "may not" in by_operator.stderr
    assert by_manager.returncode == 3 and "'kierownik'" in by_manager.stderr
    assert unknown.returncode == 1 and "There is no user 'duch'" in unknown.stderr
    assert "password of kierownik set" in ok(password)
    assert "piotr deactivated" in ok(deactivate)

    listed_out, deactivated = rexbit_all(
        ([*url, "user", "list", "--json"], None), ([*url, "--user=piotr", "user", "list"], None)
    )
    listed = {u["login"]: u for u in json.loads(ok(listed_out))}
    assert set(listed) == {"system", "anna", "kierownik", "piotr"}, "refused commands added nobody"
    assert listed["piotr"]["active"] is False and listed["anna"]["active"] is True
    assert listed["kierownik"]["role"] == "manager"
    assert deactivated.returncode == 3 and "deactivated" in deactivated.stderr
