"""``rexbit kpi`` as a manager or a script runs it: the same numbers as the dashboard, a PDF and CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.kpi import load_kpi_fixture

REXBIT = [str(Path(sys.executable).with_name("rexbit"))]


def run(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REXBIT, "--database-url", db_url, *args], capture_output=True, text=True, timeout=120
    )


def test_kpi_prints_the_period_figures_as_json_and_writes_the_report(db, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    load_kpi_fixture(db)
    refreshed = run(db_url, "kpi", "refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr
    assert json.loads(refreshed.stdout)["days"] == 7
    pdf, csv = tmp_path / "kpi.pdf", tmp_path / "kpi.csv"
    proc = run(
        db_url, "kpi", "--from=2026-11-09", "--to", "2026-11-22", "--json", f"--pdf={pdf}", f"--csv={csv}"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["current"]["orders"], data["current"]["gross"], data["current"]["average"]) == (
        8,
        "1560.00",
        "195.00",
    )
    assert (data["shipped"], data["late"], data["late_pct"]) == (6, 2, 33.3)
    assert (data["fulfilment_median_h"], data["fulfilment_p90_h"]) == (10.0, 19.75)
    assert data["previous_period"] == {"first": "2026-10-26", "last": "2026-11-08"}
    assert pdf.read_bytes().startswith(b"%PDF") and "Zamówienia" in csv.read_text(encoding="utf-8-sig")
    text = run(db_url, "kpi", "--from=2026-11-09", "--to=2026-11-22")
    assert "Late %" in text.stdout and "33.3" in text.stdout


def test_bad_periods_are_refused_with_one_line(db_url) -> None:  # type: ignore[no-untyped-def]
    for args, words in (
        (("--from=2026-11-09",), "Give both --from and --to"),
        (("--from=2026-11-09", "--to=2026-11-01"), "ends before it starts"),
        (("--from=yesterday", "--to=2026-11-01"), "must be a date"),
        (("--period=fortnight",), "Unknown period"),
    ):
        proc = run(db_url, "kpi", *args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert words in proc.stderr and "Traceback" not in proc.stderr
