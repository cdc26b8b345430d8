"""Engine, sessions and the unit of work; opening a database checks it and upgrades its schema.

Build the engine in one place (``open_database``), never at import time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rexbit_desktop import config
from rexbit_desktop.domain.errors import DatabaseUnavailable, ForeignDatabase

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, **kwargs: object) -> Engine:
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": "rexbit"},
        **kwargs,  # type: ignore[arg-type]
    )


class UnitOfWork:
    """A session scope: rolls back unless ``commit()`` was called (cosmicpython's rule)."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'with'")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


@dataclass
class Database:
    """An opened application database: its URL, engine and unit-of-work factory."""

    url: str
    engine: Engine
    embedded: bool
    source: str
    _session_factory: sessionmaker[Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._session_factory = sessionmaker(self.engine, expire_on_commit=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._session_factory)

    def session(self) -> Session:
        return self._session_factory()

    @property
    def psycopg_conninfo(self) -> str:
        """The URL as a libpq connection string (for procrastinate, COPY and LISTEN)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def display(self) -> str:
        if self.embedded:
            return "embedded PostgreSQL"
        u = self.engine.url
        return f"PostgreSQL {u.host or 'localhost'}:{u.port or 5432}/{u.database}"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(explicit_url: str | None = None, *, upgrade: bool = True) -> Database:
    """Resolve, connect, check and (by default) upgrade the application database.

    Raises ``DatabaseUnavailable`` / ``ForeignDatabase`` (exit code 2) with what to do.
    """
    target = config.resolve_database(explicit_url)
    if target.embedded:
        from rexbit_desktop.db.embedded import start_embedded

        url = start_embedded(config.data_dir())
    else:
        assert target.url is not None
        url = target.url
    engine = make_engine(url)
    try:
        check_connection(engine, url)
        check_ownership(engine)
        if upgrade:
            try:
                upgrade_schema(engine)
            except DBAPIError as exc:
                raise DatabaseUnavailable(
                    f"Cannot create or upgrade the schema in {config.redact_url(url)}: {_first_line(exc)}",
                    hint="Run 'rexbit db upgrade' as the database owner, or grant this user CREATE on "
                    "schema public.",
                ) from exc
    except BaseException:
        engine.dispose()
        raise
    return Database(url=url, engine=engine, embedded=target.embedded, source=target.source)


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


def check_connection(engine: Engine, url: str) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        reason = _first_line(exc)
        shown = config.redact_url(url)
        if "password authentication failed" in reason or "no password supplied" in reason:
            hint = "Check the user name and password in the database URL."
        elif re.search(r'database ".*" does not exist', reason):
            hint = "Create the database first (createdb) or fix its name in the URL."
        elif "does not exist" in reason:
            hint = "Check the user name in the database URL."
        else:
            hint = (
                "Check that the PostgreSQL server is running and reachable, and that host and port are right."
            )
        raise DatabaseUnavailable(f"Cannot connect to {shown}: {reason}", hint=hint) from exc


def check_ownership(engine: Engine) -> None:
    """Refuse a database that holds another application's tables (ours always has alembic_version)."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if not names:
            return
        if "alembic_version" not in names:
            raise ForeignDatabase(
                "This database holds tables of another application "
                f"({', '.join(sorted(names)[:5])}{'…' if len(names) > 5 else ''}).",
                hint="Point rexbit at an empty database or its own database.",
            )
        revisions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    known = _known_revisions()
    unknown = revisions - known
    if unknown:
        raise ForeignDatabase(
            f"The database schema version {', '.join(sorted(unknown))} is unknown to this rexbit version.",
            hint="It belongs to another application or to a newer rexbit: upgrade rexbit or use another database.",
        )


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Autogenerate ignores procrastinate's objects (migration 0001 owns them) and the optional
    ``ix_trgm_*`` search indexes (migration 0004 creates them only where pg_trgm exists)."""
    if type_ == "index" and name and name.startswith("ix_trgm_"):
        return False
    return not (name and name.startswith("procrastinate_"))


def include_name(name, type_, parent_names):  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name and name.startswith("procrastinate_"))


def _alembic_config(engine: Engine | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and current_revision(engine) == head_revision():
        return
    from alembic import command

    # An advisory lock: two workstations starting at once must not both run the migration.
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade_schema(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
