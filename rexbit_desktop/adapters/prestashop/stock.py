"""Our stock → the shop's ``stock_available.quantity``, and the shop's own books after a state push.

Statements are the named queries of ``stock.sql``. The connection, the prefix check and the error
translation are the gateway's: this module works on an open ``PrestaShopGateway``.

The stock push, per batch, in one MariaDB transaction (read committed): stage what rexbit would give each
item (free stock − buffer) and the shop's open orders rexbit has taken in; leave out packs, items gone from
the shop and product-level rows of products with combinations; lock every stock row of the batch's
products; then one ``UPDATE`` computes and writes ``quantity = base − units of the shop's open orders not
taken in`` (never below 0) and ``physical_quantity = quantity + reserved_quantity``; then the
product-level rows of products with combinations become the sum of their combinations. A checkout that
took units off before our lock is seen by the UPDATE (its order is committed); one after our lock waits
and takes its units off what we wrote. No unit is sold twice.

What PrestaShop's code does, read in its sources (not assumed):

* ``OrderHistory::changeIdOrderState`` sets ``orders.valid`` from the new state's ``logable``.
* ``StockManager::updatePhysicalProductQuantity`` (``src/Adapter/StockManager.php``, 8.x/9.x) recomputes
  ``reserved_quantity`` = Σ(product_quantity − product_quantity_refunded) over the shop's orders whose
  current state is not ``shipped`` and which are ``valid`` or in neither ``PS_OS_ERROR`` nor
  ``PS_OS_CANCELED``, packs counted for their items (``pack``) too; then ``physical_quantity`` =
  ``quantity + reserved_quantity``.
* At checkout ``quantity`` is taken off for orders not created in the error or cancelled state, and
  given back when an order moves into one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pymysql

from rexbit_desktop.adapters.prestashop.gateway import (
    PrestaShopGateway,
    ShopDatabaseError,
    load_named_queries,
)
from rexbit_desktop.adapters.prestashop.orders import ShopOrders

_STAGE_CHUNK = 50_000

# PrestaShop's pack_stock_type: 0 = the pack's own stock only, 1 = its items only, 2 = both,
# 3 = the shop default (PS_PACK_STOCK_TYPE).
PACK_STOCK_TYPES = {0: "pack only", 1: "items only", 2: "pack and items", 3: "shop default"}

# The pack parts of stock.sql, with and without the pack table (older test fixtures lack it).
_PACK_PARTS = {
    True: {
        "pack_of_item": (
            "LEFT JOIN (SELECT DISTINCT id_product_pack FROM `{p}pack`) k ON k.id_product_pack = s.id_product"
        ),
        "pack_items_join": (
            "LEFT JOIN (`{p}pack` k JOIN `{p}product` pk ON pk.id_product = k.id_product_pack"
            " AND (CASE WHEN pk.pack_stock_type = 3 THEN %(default_pack_stock_type)s"
            " ELSE pk.pack_stock_type END) IN (1, 2)) ON k.id_product_pack = od.product_id"
        ),
        "pack_union": (
            "UNION ALL SELECT k.id_product_item, k.id_product_attribute_item,"
            " (od.product_quantity - od.product_quantity_refunded) * k.quantity"
            " FROM `{p}orders` o JOIN `{p}order_state` os ON os.id_order_state = o.current_state"
            " JOIN `{p}order_detail` od ON od.id_order = o.id_order"
            " JOIN `{p}pack` k ON k.id_product_pack = od.product_id"
            " WHERE o.id_shop IN %(order_shops)s AND os.shipped = 0"
            " AND (o.valid = 1 OR o.current_state NOT IN (%(error_state)s, %(canceled_state)s))"
        ),
        "pack_items": (
            "UNION SELECT k.id_product_item FROM `{p}pack` k JOIN `{p}order_detail` d2"
            " ON d2.product_id = k.id_product_pack WHERE d2.id_order = %(id_order)s"
        ),
    },
    False: {
        "pack_of_item": "LEFT JOIN (SELECT NULL AS id_product_pack) k ON FALSE",
        "pack_items_join": (
            "LEFT JOIN (SELECT NULL AS id_product_pack, NULL AS id_product_item,"
            " NULL AS id_product_attribute_item, NULL AS quantity) k ON FALSE"
        ),
        "pack_union": "",
        "pack_items": "",
    },
}


@dataclass(frozen=True)
class StockContext:
    """What a stock push needs to know about the shop, read once per run."""

    id_shop: int
    stock_key: tuple[int, int]  # (id_shop, id_shop_group) of the stock rows
    order_shops: tuple[int, ...]  # shops whose orders take from those rows
    error_state: int
    canceled_state: int
    default_pack_stock_type: int
    has_pack_table: bool


@dataclass(frozen=True)
class SkippedItem:
    id_product: int
    id_product_attribute: int
    reason: str  # "gone" | "pack" | "parent"
    detail: str


@dataclass
class StockBatchOutcome:
    written: int = 0  # item rows written (changed, or every row with full)
    parents_written: int = 0  # product-level rows of products with combinations
    rows_created: int = 0
    skipped: list[SkippedItem] = field(default_factory=list)
    values: dict[tuple[int, int], int] = field(default_factory=dict)  # with read_back: quantity written

    @property
    def packs(self) -> int:
        return sum(1 for s in self.skipped if s.reason == "pack")

    @property
    def missing(self) -> int:
        return sum(1 for s in self.skipped if s.reason == "gone")


@dataclass(frozen=True)
class ShopStockRow:
    id_product: int
    id_product_attribute: int
    quantity: int
    reserved_quantity: int
    physical_quantity: int


@dataclass(frozen=True)
class StateFlags:
    id_order_state: int
    logable: bool
    invoice: bool
    delivery: bool
    shipped: bool


def _ints(rows: Iterable[Sequence[int]]) -> str:
    return ",".join("(" + ",".join(str(int(v)) for v in row) + ")" for row in rows)


class ShopStock:
    """The stock tables of a shop, through an open gateway (which stays the owner of the connection)."""

    def __init__(self, gateway: PrestaShopGateway) -> None:
        self.gateway = gateway
        self._conn = gateway._conn  # one connection per gateway; this adapter borrows it
        self._staging_ready = False
        self._has_pack: bool | None = None

    def sql(self, name: str, *, has_pack: bool | None = None) -> str:
        text = load_named_queries("stock.sql")[name]
        parts = _PACK_PARTS[self.has_pack_table() if has_pack is None else has_pack]
        for key, part in parts.items():
            text = text.replace("{" + key + "}", part)
        return text.replace("{p}", self.gateway.prefix)

    def _fetch(self, name: str, params: Any = None, *, values: str | None = None) -> list[tuple[Any, ...]]:
        sql = self.sql(name)
        if values is not None:
            sql = sql.replace("{values}", values)
        try:
            with self._conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        except pymysql.err.Error as exc:
            raise self.gateway._translate(exc, name) from exc

    def _run(self, name: str, params: Any = None, *, values: str | None = None) -> int:
        sql = self.sql(name)
        if values is not None:
            sql = sql.replace("{values}", values)
        with self._conn.cursor() as cur:
            cur.execute(sql, params)
            return int(cur.rowcount)

    # ------------------------------------------------------------ reading

    def has_pack_table(self) -> bool:
        if self._has_pack is None:
            rows = self.gateway.fetchall("schema_columns", {"tables": [self.gateway.prefix + "pack"]})
            self._has_pack = {str(c).lower() for _, c in rows} >= {
                "id_product_pack",
                "id_product_item",
                "id_product_attribute_item",
                "quantity",
            }
        return self._has_pack

    def context(self, id_shop: int, id_shop_group: int, share_stock: bool) -> StockContext:
        states = ShopOrders(self.gateway).state_configuration(
            id_shop, ("PS_OS_ERROR", "PS_OS_CANCELED", "PS_PACK_STOCK_TYPE")
        )
        if share_stock:
            shops = tuple(int(r[0]) for r in self._fetch("group_shops", {"id_shop_group": id_shop_group}))
        else:
            shops = (id_shop,)
        return StockContext(
            id_shop=id_shop,
            stock_key=(0, id_shop_group) if share_stock else (id_shop, 0),
            order_shops=shops or (id_shop,),
            error_state=states.get("PS_OS_ERROR", 8),
            canceled_state=states.get("PS_OS_CANCELED", 6),
            default_pack_stock_type=states.get("PS_PACK_STOCK_TYPE", 0),
            has_pack_table=self.has_pack_table(),
        )

    def _params(self, ctx: StockContext, **extra: Any) -> dict[str, Any]:
        return {
            "id_shop": ctx.stock_key[0],
            "id_shop_group": ctx.stock_key[1],
            "order_shops": list(ctx.order_shops),
            "error_state": ctx.error_state,
            "canceled_state": ctx.canceled_state,
            "default_pack_stock_type": ctx.default_pack_stock_type,
            **extra,
        }

    def open_order_ids(self, ctx: StockContext) -> list[int]:
        """The shop's open orders by its reserved rule (the candidates for "not taken in yet")."""
        return [int(r[0]) for r in self._fetch("open_order_ids", self._params(ctx))]

    def item_quantities(self, ctx: StockContext, products: Sequence[int]) -> list[ShopStockRow]:
        if not products:
            return []
        rows = self._fetch("item_quantities", self._params(ctx, products=list(products)))
        return [ShopStockRow(*(int(v) for v in r)) for r in rows]

    def state_flags(self) -> dict[int, StateFlags]:
        return {
            int(r[0]): StateFlags(int(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), bool(r[4]))
            for r in self._fetch("order_state_flags")
        }

    # ------------------------------------------------------------ the stock push

    def _prepare_staging(self) -> None:
        if not self._staging_ready:
            for name in (
                "create_stock_stage",
                "create_stock_products",
                "create_stock_imported",
                "create_stock_pending",
            ):
                self._run(name)
            self._staging_ready = True

    def write_batch(
        self,
        ctx: StockContext,
        items: Sequence[tuple[int, int, int]],
        imported_open_orders: Iterable[int],
        *,
        full: bool = False,
        apply: bool = True,
        before_write: Any = None,
        read_back: bool = False,
    ) -> StockBatchOutcome:
        """Write one batch of ``(id_product, id_product_attribute, base)`` in one transaction.

        ``imported_open_orders``: the shop's open orders rexbit has taken in (their units are in our
        reservations, so they are not taken off again). ``apply=False`` (dry run) does everything and
        rolls back: ``written`` is what would be written. ``before_write`` (tests) is called once the rows
        are locked, before the UPDATE. ``read_back``: the item quantities as written, read in the
        transaction (with ``apply=False``: what a push would write, for the product detail).
        """
        outcome = StockBatchOutcome()
        if not items:
            return outcome
        params = self._params(ctx, full=1 if full else 0)
        self._prepare_staging()
        try:
            with self._conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            self._conn.begin()
            for name in (
                "clear_stock_item",
                "clear_stock_products",
                "clear_stock_imported",
                "clear_stock_pending",
            ):
                self._run(name)
            for start in range(0, len(items), _STAGE_CHUNK):
                self._run("stage_stock_items", values=_ints(items[start : start + _STAGE_CHUNK]))
            products = sorted({int(i[0]) for i in items})
            for start in range(0, len(products), _STAGE_CHUNK):
                self._run(
                    "stage_stock_products", values=_ints((p,) for p in products[start : start + _STAGE_CHUNK])
                )
            imported = sorted({int(i) for i in imported_open_orders})
            for start in range(0, len(imported), _STAGE_CHUNK):
                self._run(
                    "stage_stock_imported", values=_ints((i,) for i in imported[start : start + _STAGE_CHUNK])
                )
            drop: list[tuple[int, int]] = []
            without_row = False
            for pid, attr, gone, is_pack, pack_type, parent, no_row in self._fetch(
                "stock_item_problems", params
            ):
                pid, attr = int(pid), int(attr)
                if gone:
                    outcome.skipped.append(SkippedItem(pid, attr, "gone", "not in the shop any more"))
                elif is_pack:
                    kind = PACK_STOCK_TYPES.get(int(pack_type), str(pack_type))
                    outcome.skipped.append(
                        SkippedItem(
                            pid, attr, "pack", f"a pack (pack_stock_type {pack_type}: {kind}): not written"
                        )
                    )
                elif parent:
                    outcome.skipped.append(
                        SkippedItem(pid, attr, "parent", "has combinations: its row is their sum")
                    )
                else:
                    without_row = without_row or bool(no_row)
                    continue
                drop.append((pid, attr))
            if drop:
                self._run("drop_stock_items", values=_ints(drop))
            if without_row:
                outcome.rows_created += self._run("insert_missing_item_rows", params)
            outcome.rows_created += self._run("insert_missing_parent_rows", params)
            self._fetch("lock_stock_rows", params)
            if before_write is not None:
                before_write()
            pending = [(int(a), int(b), int(u)) for a, b, u in self._fetch("pending_units", params) if u]
            for start in range(0, len(pending), _STAGE_CHUNK):
                self._run("stage_stock_pending", values=_ints(pending[start : start + _STAGE_CHUNK]))
            outcome.written = self._run("write_item_quantities", params)
            if full:  # MariaDB counts changed rows; with full every staged row was written
                outcome.written = len(items) - len(drop)
            outcome.parents_written = self._run("write_parent_quantities", params)
            if read_back:
                outcome.values = {
                    (int(a), int(b)): int(q) for a, b, q in self._fetch("staged_quantities", params)
                }
            if apply:
                self._conn.commit()
            else:
                self._conn.rollback()
        except pymysql.err.Error as exc:
            self._safe_rollback()
            raise self.gateway._translate(exc, "write_stock_batch") from exc
        except BaseException:
            self._safe_rollback()
            raise
        return outcome

    # ------------------------------------------------------------ the books after a state push

    def recompute_books(self, ctx: StockContext, id_order: int, state: int) -> int:
        """Inside the caller's transaction: ``orders.valid`` from the state's ``logable``, then the
        reserved and physical quantities of the order's products by the shop's rule. Returns the stock
        rows recomputed."""
        params = self._params(ctx, id_order=id_order, state=state)
        self._run("set_order_valid", params)
        return self._run("recompute_order_reserved", params)

    def _safe_rollback(self) -> None:
        try:
            self._conn.rollback()
        except pymysql.err.Error:
            pass  # the connection is gone: the server already rolled the transaction back


def stock_context(gateway: PrestaShopGateway, id_shop: int) -> StockContext:
    """The stock context of a shop, read with the gateway's shop query."""
    info = gateway.shop_info(id_shop)
    return ShopStock(gateway).context(info.id_shop, info.id_shop_group, info.share_stock)


__all__ = [
    "PACK_STOCK_TYPES",
    "ShopDatabaseError",
    "ShopStock",
    "ShopStockRow",
    "SkippedItem",
    "StateFlags",
    "StockBatchOutcome",
    "StockContext",
    "stock_context",
]
