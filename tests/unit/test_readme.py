"""CI must run exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command() -> None:
    blocks = _bash_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    after_marker = ci.split("# README-TEST-COMMAND", 1)[1].strip().splitlines()[0]
    assert after_marker == test_command


def test_nothing_reads_outside_the_repository() -> None:
    """A clone alone runs the suite: tests, CI and the README name no path of the shared folder beside the clone (the PrestaShop
    fixtures live in tests/fixtures/prestashop/)."""
    paths = [REPO / "README.md", REPO / ".ci" / "run", REPO / "pyproject.toml"]
    paths += [p for p in (REPO / "tests").rglob("*") if p.is_file() and p.suffix in (".py", ".sql", ".md")]
    needles = ("../" + "shared", "shared/" + "fixtures")  # split, so this file does not find itself
    offenders = [
        str(p.relative_to(REPO))
        for p in paths
        if any(n in p.read_text(encoding="utf-8", errors="replace") for n in needles)
    ]
    assert offenders == []
    assert (REPO / "tests" / "fixtures" / "prestashop" / "schema.sql").is_file()
