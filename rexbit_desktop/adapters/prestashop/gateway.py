"""The PrestaShop MySQL/MariaDB gateway: connect, check the schema, read the catalog, write availability.

Every statement is a named query from ``queries.sql``; the only thing formatted into SQL is the table
prefix, and only after it matched ``PREFIX_PATTERN``. Writes are set-based: rows go to a temporary
staging table, then one ``UPDATE … JOIN`` per shop table, per batch, in one transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pymysql
import pymysql.cursors

from rexbit_desktop.adapters.prestashop.config import PREFIX_PATTERN, resolve_password
from rexbit_desktop.domain.errors import RexbitError

log = logging.getLogger(__name__)


class ShopDatabaseError(RexbitError):
    """The shop database refused or failed."""


class ShopUnreachable(ShopDatabaseError):
    """The shop database cannot be reached."""


class ShopConnectionLost(ShopDatabaseError):
    """The connection to the shop database was lost."""


class ShopSchemaError(ShopDatabaseError):
    """The shop database does not have the tables or columns the integration uses."""


# Tables and columns the integration reads or writes, without prefix. Checked by ``integration test``.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "product": ("id_product", "reference", "ean13"),
    "product_attribute": ("id_product_attribute", "id_product", "reference", "ean13"),
    "product_lang": ("id_product", "id_shop", "id_lang", "name", "available_now", "available_later"),
    "stock_available": (
        "id_stock_available",
        "id_product",
        "id_product_attribute",
        "id_shop",
        "id_shop_group",
        "out_of_stock",
    ),
    "shop": ("id_shop", "id_shop_group", "name", "active", "deleted"),
    "shop_group": ("id_shop_group", "name", "share_stock"),
    "lang": ("id_lang", "iso_code", "name", "active"),
    "lang_shop": ("id_lang", "id_shop"),
    "configuration": ("id_configuration", "id_shop_group", "id_shop", "name", "value"),
}
# Present from PrestaShop 8.1 (upgrade 8.1.0 creates it): combination texts. Written where it exists.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "product_attribute_lang": ("id_product_attribute", "id_lang", "available_now", "available_later"),
}
# Only to tell the version line apart when PS_VERSION_DB is missing: product.product_type came in 1.7.8.
VERSION_HINT_COLUMNS: dict[str, tuple[str, ...]] = {"product": ("product_type",)}

_QUERY_HEADER = re.compile(r"^-- ([a-z_]+) --$", re.M)


@cache
def load_named_queries(filename: str) -> dict[str, str]:
    """The named statements (``-- name --`` headers) of a SQL file of this package: name → SQL (with the
    ``{p}`` prefix placeholder)."""
    source = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    parts = _QUERY_HEADER.split(source)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = [ln for ln in body.strip().splitlines() if not ln.startswith("--")]
        queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


def check_prefix(prefix: str) -> str:
    if not PREFIX_PATTERN.match(prefix):
        raise ShopDatabaseError(
            f"'{prefix}' is not a valid table prefix.", hint="Letters, digits, underscores."
        )
    return prefix


@dataclass(frozen=True)
class SchemaCheck:
    """What the schema has, compared with what the integration uses."""

    missing_tables: tuple[str, ...]
    missing_columns: tuple[str, ...]  # "table.column"
    combination_text_columns: tuple[str, ...]  # of product_attribute_lang: available_now / available_later
    has_product_type: bool

    @property
    def ok(self) -> bool:
        return not self.missing_tables and not self.missing_columns

    @property
    def version_line(self) -> str:
        """The PrestaShop line the schema looks like (when PS_VERSION_DB does not say)."""
        if self.combination_text_columns:
            return "8.1 or newer (product_attribute_lang present)"
        if self.has_product_type:
            return "1.7.8 – 8.0 (no product_attribute_lang)"
        return "1.7.7 or older (no product.product_type)"


@dataclass(frozen=True)
class ShopLanguage:
    id_lang: int
    iso_code: str
    name: str
    active: bool


@dataclass(frozen=True)
class ShopInfo:
    id_shop: int
    name: str
    id_shop_group: int
    group_name: str
    share_stock: bool
    languages: tuple[ShopLanguage, ...]
    default_language_id: int | None
    ps_version: str | None

    @property
    def stock_key(self) -> tuple[int, int]:
        """(id_shop, id_shop_group) of this shop's stock_available rows."""
        return (0, self.id_shop_group) if self.share_stock else (self.id_shop, 0)


@dataclass(frozen=True)
class CatalogProduct:
    id_product: int
    reference: str | None
    ean13: str | None
    name: str | None
    combinations: int


@dataclass(frozen=True)
class CatalogCombination:
    id_product_attribute: int
    id_product: int
    reference: str | None
    ean13: str | None


@dataclass
class WriteBatch:
    """One batch of decisions: item rows ``(id_product, id_product_attribute, out_of_stock, id_text)``
    (attribute 0 = the product level) and the texts they point at ``(id_text, id_lang, available_now,
    available_later)``."""

    item_rows: list[tuple[int, int, int, int]] = field(default_factory=list)
    text_rows: list[tuple[int, int, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BatchOutcome:
    missing: frozenset[tuple[int, int]]  # (id_product, id_product_attribute) not in the shop
    stock_rows_changed: int
    text_rows_changed: int


BatchHook = Callable[[str, int, int], None]
"""Called with ("staged" | "committed", batch number, server connection id): lets a test break the
connection mid-run."""


def _describe(exc: BaseException) -> str:
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(exc) or exc.__class__.__name__


# Rows per staging INSERT: ~30 bytes each, well under the default max_allowed_packet (16 MB).
_STAGE_CHUNK = 50_000

_LOST_CODES = {2006, 2013, 2055, 1927, 4031}  # gone away, lost during query, lost (SSL), killed, timeout


def _is_lost(exc: BaseException) -> bool:
    code = exc.args[0] if getattr(exc, "args", None) else None
    return isinstance(exc, pymysql.err.InterfaceError) or code in _LOST_CODES


class _Connection(pymysql.connections.Connection):  # type: ignore[misc]
    """PyMySQL's connection, with the default TLS context of its "preferred" mode built once per process.

    Without SSL options PyMySQL tries TLS and falls back when the server has none, building a new default
    context (loading the system's CA certificates) on every connect: about 0.1 s, more than a whole
    incremental stock push writes. The context is the same every time, and a context may be shared.
    """

    _default_ctx: Any = None

    def _create_ssl_ctx(self, sslp: Any) -> Any:
        if sslp:
            return super()._create_ssl_ctx(sslp)  # type: ignore[misc]
        if _Connection._default_ctx is None:
            _Connection._default_ctx = super()._create_ssl_ctx(sslp)  # type: ignore[misc]
        return _Connection._default_ctx


class PrestaShopGateway:
    """An open connection to one shop's database. Use as a context manager or call ``close()``."""

    def __init__(self, conn: pymysql.connections.Connection, prefix: str, where: str) -> None:
        self._conn = conn
        self.prefix = check_prefix(prefix)
        self.where = where
        self._staging_ready = False

    # ------------------------------------------------------------ connection

    @classmethod
    def connect(cls, cfg: dict[str, Any]) -> PrestaShopGateway:
        where = f"{cfg['host']}:{cfg['port']}/{cfg['database']}"
        try:
            conn = _Connection(
                host=cfg["host"],
                port=int(cfg["port"]),
                user=cfg["user"],
                password=resolve_password(cfg),
                database=cfg["database"],
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=int(cfg.get("connect_timeout", 10)),
                read_timeout=600,
                write_timeout=600,
            )
        except pymysql.err.OperationalError as exc:
            code = exc.args[0] if exc.args else None
            if code == 1045:
                hint = "Check 'user' and 'password' (or password_env) in the integration's configuration."
            elif code == 1049:
                hint = "Check 'database' in the integration's configuration."
            else:
                hint = "Check 'host' and 'port', that the server runs and that it accepts remote connections."
            raise ShopUnreachable(
                f"Cannot connect to the shop database {where}: {_describe(exc)}",
                hint=hint,
                code="shop_unreachable",
                params={"where": where, "mysql_error": code},
            ) from exc
        except (OSError, pymysql.err.Error) as exc:
            raise ShopUnreachable(
                f"Cannot connect to the shop database {where}: {_describe(exc)}",
                hint="Check 'host' and 'port' in the integration's configuration.",
                code="shop_unreachable",
                params={"where": where},
            ) from exc
        return cls(conn, cfg["prefix"], where)

    def close(self) -> None:
        try:
            self._conn.close()
        except pymysql.err.Error:
            pass  # already closed or lost: nothing left to release

    def __enter__(self) -> PrestaShopGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, name: str) -> str:
        return load_named_queries("queries.sql")[name].replace("{p}", self.prefix)

    def _execute(self, name: str, params: Any = None) -> pymysql.cursors.Cursor:
        cur = self._conn.cursor()
        try:
            cur.execute(self.sql(name), params)
        except pymysql.err.Error as exc:
            cur.close()
            raise self._translate(exc, name) from exc
        return cur

    def _translate(self, exc: pymysql.err.Error, name: str) -> ShopDatabaseError:
        if _is_lost(exc):
            return ShopConnectionLost(
                f"The connection to the shop database {self.where} was lost ({_describe(exc)}).",
                hint="Nothing half-written stays behind: run the sync again to finish.",
            )
        code = exc.args[0] if exc.args else None
        if code in (1146, 1054):
            return ShopSchemaError(
                f"The shop database {self.where} does not match: {_describe(exc)}",
                hint="Run 'rexbit integration test' to see what is missing (wrong prefix?).",
            )
        return ShopDatabaseError(f"The shop database {self.where} failed in '{name}': {_describe(exc)}")

    def fetchall(self, name: str, params: Any = None) -> list[tuple[Any, ...]]:
        cur = self._execute(name, params)
        try:
            return list(cur.fetchall())
        finally:
            cur.close()

    def missing_privileges(self, *, combination_texts: bool) -> list[str]:
        """The privileges the sync and the order write-back need that this user lacks (``privileges.py``)."""
        from rexbit_desktop.adapters.prestashop.privileges import missing_privileges

        try:
            return missing_privileges(self._conn, self.prefix, combination_texts=combination_texts)
        except pymysql.err.Error as exc:
            raise self._translate(exc, "privileges") from exc

    def connection_id(self) -> int:
        return int(self.fetchall("connection_id")[0][0])

    # ------------------------------------------------------------ reading

    def server_version(self) -> str:
        return str(self.fetchall("server_version")[0][0])

    def check_schema(self) -> SchemaCheck:
        wanted = {**REQUIRED_COLUMNS}
        names = [self.prefix + t for t in {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS}]
        present: dict[str, set[str]] = {}
        for table, column in self.fetchall("schema_columns", {"tables": names}):
            present.setdefault(str(table)[len(self.prefix) :], set()).add(str(column).lower())
        missing_tables = tuple(sorted(t for t in wanted if t not in present))
        missing_columns = tuple(
            f"{t}.{c}" for t, cols in wanted.items() if t in present for c in cols if c not in present[t]
        )
        combo = present.get("product_attribute_lang", set())
        combination_text_columns = (
            tuple(c for c in ("available_now", "available_later") if c in combo)
            if {"id_product_attribute", "id_lang"} <= combo
            else ()
        )
        has_product_type = "product_type" in present.get("product", set())
        return SchemaCheck(missing_tables, missing_columns, combination_text_columns, has_product_type)

    def configuration_value(self, name: str) -> str | None:
        rows = self.fetchall("configuration_value", {"name": name})
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def shop_info(self, id_shop: int) -> ShopInfo:
        rows = self.fetchall("shop", {"id_shop": id_shop})
        if not rows:
            raise ShopSchemaError(
                f"The shop database {self.where} has no shop with id_shop={id_shop}.",
                hint="Set 'id_shop' in the integration's configuration to an existing shop.",
                code="shop_id_unknown",
                params={"where": self.where, "id_shop": id_shop},
            )
        sid, name, _active, gid, gname, share = rows[0]
        languages = tuple(
            ShopLanguage(int(i), str(iso).lower(), str(n), bool(a))
            for i, iso, n, a in self.fetchall("shop_languages", {"id_shop": id_shop})
        )
        default_lang = self.configuration_value("PS_LANG_DEFAULT")
        return ShopInfo(
            id_shop=int(sid),
            name=str(name),
            id_shop_group=int(gid),
            group_name=str(gname),
            share_stock=bool(share),
            languages=languages,
            default_language_id=int(default_lang) if default_lang and default_lang.isdigit() else None,
            ps_version=self.configuration_value("PS_VERSION_DB"),
        )

    def catalog_products(self, id_shop: int, id_lang: int) -> Iterator[CatalogProduct]:
        for row in self.fetchall("catalog_products", {"id_shop": id_shop, "id_lang": id_lang}):
            yield CatalogProduct(int(row[0]), row[1] or None, row[2] or None, row[3] or None, int(row[4]))

    def catalog_combinations(self) -> Iterator[CatalogCombination]:
        for row in self.fetchall("catalog_combinations"):
            yield CatalogCombination(int(row[0]), int(row[1]), row[2] or None, row[3] or None)

    # ------------------------------------------------------------ writing

    def _prepare_staging(self) -> None:
        if not self._staging_ready:
            for name in ("create_stage_item", "create_stage_text"):
                self._execute(name).close()
            self._staging_ready = True

    def write_batch(
        self,
        batch: WriteBatch,
        *,
        id_shop: int,
        stock_key: tuple[int, int],
        combination_text_columns: Sequence[str],
        batch_number: int = 0,
        hook: BatchHook | None = None,
        apply: bool = True,
    ) -> BatchOutcome:
        """Stage one batch and apply it in one transaction; on any failure nothing of it stays.

        ``apply=False`` (dry run) stages and finds what is missing in the shop, then rolls back.
        """
        self._prepare_staging()
        key = {"id_shop": stock_key[0], "id_shop_group": stock_key[1]}
        try:
            self._conn.begin()
            self._execute("clear_stage_item").close()
            self._execute("clear_stage_text").close()
            with self._conn.cursor() as cur:
                for start in range(0, len(batch.item_rows), _STAGE_CHUNK):
                    chunk = batch.item_rows[start : start + _STAGE_CHUNK]
                    values = ",".join(f"({int(a)},{int(b)},{int(c)},{int(d)})" for a, b, c, d in chunk)
                    cur.execute(self.sql("stage_items").replace("{values}", values))
                if batch.text_rows:
                    cur.executemany(self.sql("stage_text"), batch.text_rows)
            if hook:
                hook("staged", batch_number, self.connection_id())
            checked = self.fetchall("staged_missing_in_shop", key)
            missing = frozenset((int(a), int(b)) for a, b, gone in checked if gone)
            without_stock_row = len(checked) > len(missing)
            if not apply:
                self._conn.rollback()
                return BatchOutcome(missing, 0, 0)
            if missing:
                self._execute("drop_staged_missing").close()
            stock_changed = self._rowcount("update_stock_available", key)
            if without_stock_row:
                stock_changed += self._rowcount("insert_missing_stock_available", key)
            text_changed = self._rowcount("update_product_lang", {"id_shop": id_shop})
            if batch.text_rows and combination_text_columns:
                cols = set(combination_text_columns)
                name = (
                    "update_product_attribute_lang"
                    if cols == {"available_now", "available_later"}
                    else "update_product_attribute_lang_now"
                    if "available_now" in cols
                    else "update_product_attribute_lang_later"
                )
                text_changed += self._rowcount(name)
            self._conn.commit()
        except pymysql.err.Error as exc:
            self._safe_rollback()
            raise self._translate(exc, "write_batch") from exc
        except BaseException:
            self._safe_rollback()
            raise
        if hook:
            hook("committed", batch_number, self.connection_id())
        return BatchOutcome(missing, stock_changed, text_changed)

    def _rowcount(self, name: str, params: Any = None) -> int:
        cur = self._execute(name, params)
        try:
            return int(cur.rowcount)
        finally:
            cur.close()

    def _safe_rollback(self) -> None:
        try:
            self._conn.rollback()
        except pymysql.err.Error:
            pass  # the connection is gone: the server already rolled the transaction back
