"""Migration 0001 freezes procrastinate's schema; the installed procrastinate must be the version it
froze (pinned in pyproject.toml). A different version's schema fails here, before a worker meets
tables it does not expect."""

from __future__ import annotations

from importlib import metadata, resources

from rexbit_desktop.db.session import MIGRATIONS_DIR

FROZEN = MIGRATIONS_DIR / "procrastinate_schema_3_10_0.sql"


def test_installed_procrastinate_schema_is_the_frozen_one() -> None:
    installed = resources.files("procrastinate").joinpath("sql", "schema.sql").read_text(encoding="utf-8")
    frozen = FROZEN.read_text(encoding="utf-8")
    version = metadata.version("procrastinate")
    assert installed == frozen, (
        f"procrastinate {version}'s schema differs from the one migration 0001 froze ({FROZEN.name}): "
        "pin procrastinate back, or add a migration with its schema changes and freeze the new schema"
    )


def test_the_pin_names_the_frozen_version() -> None:
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"procrastinate==3.10.0"' in pyproject
    assert FROZEN.name == "procrastinate_schema_3_10_0.sql"
