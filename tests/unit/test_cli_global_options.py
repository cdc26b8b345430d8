"""``--database-url`` and ``--user`` are accepted after the command too (DESIGN: every command takes them)."""

from __future__ import annotations

import pytest

from rexbit_desktop.cli.main import hoist_global_options

URL = "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["queue", "work", f"--database-url={URL}"], [f"--database-url={URL}", "queue", "work"]),
        (
            ["queue", "work", "--database-url", URL, "--once"],
            ["--database-url", URL, "queue", "work", "--once"],
        ),
        (["--database-url", URL, "db", "status"], ["--database-url", URL, "db", "status"]),
        (
            ["orders", "cancel", "ZAM/1", "--user", "kierownik"],
            ["--user", "kierownik", "orders", "cancel", "ZAM/1"],
        ),
        (["--user", "admin", "user", "list"], ["--user", "admin", "user", "list"]),
        (["orders", "note", "--", "--user", "x"], ["orders", "note", "--", "--user", "x"]),
        (["-v", "demo"], ["-v", "demo"]),
        ([], []),
    ],
)
def test_global_options_move_in_front_of_the_command(given: list[str], expected: list[str]) -> None:
    assert hoist_global_options(given) == expected
