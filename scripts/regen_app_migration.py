"""Regenerate migration 0002 (the application tables) from the models.

Until the first release, the application schema is one migration that we regenerate whenever a model
changes; after the first release, add new migrations instead. Needs a PostgreSQL server
(REXBIT_TEST_DATABASE_URL, default the local one).

    .venv/bin/python scripts/regen_app_migration.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from alembic import command
from sqlalchemy import create_engine

from rexbit_desktop.db.session import MIGRATIONS_DIR, _alembic_config

ADMIN = os.environ.get("REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TARGET = MIGRATIONS_DIR / "versions" / "0002_app_schema.py"


def main() -> None:
    name = f"rexbit_regen_{uuid.uuid4().hex[:8]}"
    admin_conninfo = ADMIN.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url)
    # Migrations after 0002 name it as their parent; alembic cannot load them while 0002 is regenerated.
    later = [p for p in (MIGRATIONS_DIR / "versions").glob("000[3-9]_*.py")]
    for path in later:
        path.rename(path.with_suffix(".py.regen"))
    try:
        if TARGET.exists():
            TARGET.unlink()
        with engine.begin() as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001_procrastinate")
            command.revision(cfg, message="application tables", autogenerate=True, rev_id="0002_app_schema")
        generated = next((MIGRATIONS_DIR / "versions").glob("0002_app_schema_*.py"))
        text = generated.read_text()
        text = re.sub(r"Create Date: .*", "Create Date: (regenerated from the models)", text)
        TARGET.write_text(text)
        generated.unlink()
    finally:
        for path in later:
            path.with_suffix(".py.regen").rename(path)
        engine.dispose()
        with psycopg.connect(admin_conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    subprocess.run([sys.executable, "-m", "ruff", "format", str(TARGET)], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "-q", str(TARGET)], check=False)
    print(f"wrote {Path(TARGET).relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
