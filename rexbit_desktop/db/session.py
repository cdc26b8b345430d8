"""Engine, sessions and the unit of work; opening a database checks its schema.

Build the engine in one place (``open_database``), never at import time.

Schema upgrades: the embedded server and an empty database are migrated by whoever opens them first. A
server database at an older revision is refused (``SchemaMismatch``, exit 2) until someone runs
``rexbit db upgrade``: on a PostgreSQL server shared by several workstations, the first one with a
newer rexbit must not migrate the schema under the others. A database at a revision newer than this
rexbit knows is refused too, before anything is written.
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
from rexbit_desktop.db.locks import SCHEMA_UPGRADE
from rexbit_desktop.domain.errors import DatabaseUnavailable, ForeignDatabase, SchemaMismatch

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK = SCHEMA_UPGRADE.key  # one process migrates a database at a time (db/locks.py)
REXBIT_REVISION = re.compile(r"^\d{4}_\w+$")  # our revision ids: 0001_procrastinate, 0012_…


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
    def socket_dir(self) -> str | None:
        """The Unix-socket directory of a local connection (``?host=/dir`` or no host at all: libpq's
        default socket), or None for a TCP connection."""
        u = self.engine.url
        host = u.query.get("host") or u.host
        if isinstance(host, tuple):
            host = host[0] if host else None
        if not host:
            return ""  # libpq's default socket directory
        return host if host.startswith("/") else None

    @property
    def address(self) -> str:
        """Where the server is, for people: ``host:port/database`` or ``socket DIR/database``."""
        u = self.engine.url
        socket_dir = self.socket_dir
        if socket_dir is None:
            return f"{u.host}:{u.port or 5432}/{u.database}"
        return f"socket {socket_dir or '(default)'}/{u.database}"

    @property
    def display(self) -> str:
        if self.embedded:
            return "embedded PostgreSQL"
        return f"PostgreSQL {self.address}"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(explicit_url: str | None = None, *, upgrade: bool = True) -> Database:
    """Resolve, connect and check the application database; with ``upgrade`` (the default) bring the
    schema to this rexbit's head where that is automatic, or refuse.

    Automatic: the embedded server (one workstation), and an empty database (the first start creates the
    schema in one transaction, so a crash leaves it empty). A server database at an older revision raises
    ``SchemaMismatch`` naming ``rexbit db upgrade``; one at a newer revision raises it too. Other problems
    raise ``DatabaseUnavailable`` / ``ForeignDatabase``. All exit with code 2. ``upgrade=False`` checks
    the connection and the owner only (``db status``, ``db upgrade``).
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
                prepare_schema(engine, embedded=target.embedded)
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


def prepare_schema(engine: Engine, *, embedded: bool) -> None:
    """The schema at head, or ``SchemaMismatch``: see ``open_database``."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if embedded:
        upgrade_schema(engine)
        return
    if current is None and not _application_tables(engine):
        create_schema(engine)
        return
    raise schema_mismatch(current, head)


def schema_mismatch(current: str | None, head: str) -> SchemaMismatch:
    if current is not None and current not in _known_revisions():
        return SchemaMismatch(
            f"The database schema is at {current}, newer than this rexbit knows (it needs {head}).",
            hint="Upgrade rexbit on this computer to the version the other workstations use; nothing was "
            "changed in the database.",
            current=current,
            needed=head,
        )
    return SchemaMismatch(
        f"The database schema is at {current or 'an unfinished first upgrade'}, this rexbit needs {head}: "
        "run `rexbit db upgrade`.",
        hint="Upgrades of a shared database are an explicit step: run it once, from one computer, when "
        "no one is working (it migrates in steps and says what it did).",
        current=current or "",
        needed=head,
    )


def _application_tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names()) - {"alembic_version"}


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
    if unknown and all(REXBIT_REVISION.match(r) for r in unknown):
        raise schema_mismatch(sorted(unknown)[0], head_revision())
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


@dataclass
class UpgradeReport:
    """What an upgrade did: the revision before and after, each migration applied (id, title), and
    notes the migrations left (e.g. an optional index that could not be built)."""

    before: str | None
    after: str | None
    applied: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def upgrade_schema(engine: Engine, revision: str = "head") -> UpgradeReport:
    """Migrate to ``revision``, each migration in its own transaction, under the advisory lock (another
    process upgrading at the same moment waits, then finds nothing left to do)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        conn.commit()  # the lock is the session's; alembic begins a transaction per migration
        try:
            return _run_upgrade(conn, revision, per_migration=True)
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()


def create_schema(engine: Engine) -> UpgradeReport:
    """An empty database to head in one transaction (a crash leaves it empty), under the advisory lock;
    several workstations starting at once create it once."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        return _run_upgrade(conn, "head", per_migration=False)


def _run_upgrade(conn, revision: str, *, per_migration: bool) -> UpgradeReport:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    before = MigrationContext.configure(conn).get_current_revision()
    if per_migration:
        conn.commit()  # alembic must find the connection outside a transaction to begin its own
    report = UpgradeReport(before=before, after=before)
    if revision == "head" and before == head_revision():
        return report

    def applied(*, ctx, step, heads, run_args):  # type: ignore[no-untyped-def]
        if step.is_upgrade:
            script = step.up_revision
            title = (script.doc or "").strip().splitlines()[0] if script is not None and script.doc else ""
            report.applied.append((step.up_revision_id, title))

    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    cfg.attributes["transaction_per_migration"] = per_migration
    cfg.attributes["on_version_apply"] = applied
    cfg.attributes["notes"] = report.notes
    command.upgrade(cfg, revision)
    if per_migration:
        conn.commit()
    report.after = MigrationContext.configure(conn).get_current_revision()
    if per_migration:
        conn.commit()
    return report


def downgrade_schema(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
