"""The stock push's reading of our side, in one PostgreSQL snapshot: the shop's links with their free
stock over the chosen warehouses, the products marked changed, and which of the shop's open orders we
have taken in; and opening the shop's stock tables (``open_shop_stock``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger, Integer, String

from rexbit_desktop.adapters.prestashop.gateway import PrestaShopGateway
from rexbit_desktop.adapters.prestashop.stock import ShopStock, StockContext
from rexbit_desktop.db.models import Warehouse
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.shop.connection import ShopIntegration

# Free stock summed per product first (one pass over the stock rows of those warehouses), then joined to
# the shop's links: no sort or group over the links.
_LINKS_SQL = """
SELECT l.product_id, l.external_id, COALESCE(f.free, 0)::bigint AS free
FROM integration_product_links l
LEFT JOIN (
    SELECT t.product_id, floor(sum(t.on_hand - t.reserved)) AS free
    FROM warehouse_stock_totals t
    WHERE t.warehouse_id = ANY(:warehouses)
    GROUP BY t.product_id
) f ON f.product_id = l.product_id
WHERE l.integration_id = :integration_id AND l.product_id IS NOT NULL {where}
"""

_DIRTY_SQL = text("SELECT product_id, seq FROM shop_stock_dirty WHERE integration_id = :integration_id")

_IMPORTED_SQL = text(
    "SELECT external_order_id FROM orders WHERE integration_id = :integration_id"
    " AND external_order_id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ARRAY(String)))

_CLEAR_DIRTY_SQL = text(
    "DELETE FROM shop_stock_dirty d USING unnest(CAST(:products AS bigint[]), CAST(:seqs AS bigint[]))"
    " AS done(product_id, seq)"
    " WHERE d.integration_id = :integration_id AND d.product_id = done.product_id AND d.seq = done.seq"
)


@dataclass
class OurSide:
    items: list[tuple[int, int, int]]  # (id_product, id_product_attribute, base)
    products_of: dict[tuple[int, int], int]  # shop item → our product id
    dirty: dict[int, int]  # product id → seq read
    bad_links: list[str]
    imported: list[int]


def warehouse_ids(uow: UnitOfWork, integration: ShopIntegration) -> list[int]:
    codes = integration.config.get("stock_warehouses")
    rows = uow.session.execute(select(Warehouse.id, Warehouse.code, Warehouse.is_default)).all()
    if not codes:
        ids = [wid for wid, _code, default in rows if default]
        if not ids:
            raise ValidationError(
                f"Integration {integration.id}: no warehouse is marked as default, and 'stock_warehouses' "
                "is not set.",
                hint="Name the warehouses whose stock the shop gets in 'stock_warehouses'.",
                code="stock_warehouses_missing",
                params={"integration": integration.id},
            )
        return ids
    by_code = {code: wid for wid, code, _default in rows}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise ValidationError(
            f"Integration {integration.id}: 'stock_warehouses' names unknown warehouse(s) "
            + ", ".join(unknown)
            + ".",
            hint="Known warehouses: " + ", ".join(sorted(by_code)),
            code="stock_warehouses_unknown",
            params={"integration": integration.id, "unknown": list(unknown), "known": sorted(by_code)},
        )
    return [by_code[c] for c in codes]


def read_ours(
    uow: UnitOfWork,
    integration: ShopIntegration,
    open_orders: Callable[[], list[int]],
    *,
    skus: list[str] | None,
    changed_only: bool,
    product_ids: list[int] | None = None,
) -> OurSide:
    """Everything from PostgreSQL in one snapshot (repeatable read): links with their free stock, the
    changed products, and which of the shop's open orders we have taken in. ``open_orders`` is called
    (it asks the shop) after the snapshot is taken: an order taken in after that is not in the snapshot's
    reservations either, so the shop counts it as not taken in — once."""
    session = uow.session
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))  # first in its transaction
    warehouses = warehouse_ids(uow, integration)
    params: dict[str, Any] = {"integration_id": integration.id, "warehouses": warehouses}
    dirty = {int(p): int(s) for p, s in session.execute(_DIRTY_SQL, params)}
    where = ""
    if changed_only:
        where += " AND l.product_id IN (SELECT product_id FROM shop_stock_dirty WHERE integration_id = :integration_id)"
    if skus:
        where += " AND l.product_id IN (SELECT id FROM products WHERE lower(sku) = ANY(:skus))"
        params["skus"] = [s.strip().lower() for s in skus]
    if product_ids is not None:
        where += " AND l.product_id = ANY(:product_ids)"
        params["product_ids"] = product_ids
    stmt = text(_LINKS_SQL.format(where=where)).bindparams(
        bindparam("warehouses", type_=ARRAY(Integer)),
        *([bindparam("skus", type_=ARRAY(String))] if skus else []),
        *([bindparam("product_ids", type_=ARRAY(BigInteger))] if product_ids is not None else []),
    )
    buffer = int(integration.config["stock_buffer"])
    items: list[tuple[int, int, int]] = []
    products_of: dict[tuple[int, int], int] = {}
    bad: list[str] = []
    for product_id, external_id, free in session.execute(stmt, params):
        left, _, right = (external_id or "").partition(":")
        if not (left.isdigit() and right.isdigit() and left.isascii() and right.isascii()):
            bad.append(str(external_id))
            continue
        key = (int(left), int(right))
        if key in products_of:
            continue
        products_of[key] = int(product_id)
        items.append((key[0], key[1], int(free) - buffer))
    candidates = open_orders()
    imported: list[int] = []
    for start in range(0, len(candidates), 10_000):
        chunk = [str(i) for i in candidates[start : start + 10_000]]
        imported += [
            int(r[0])
            for r in session.execute(_IMPORTED_SQL, {"integration_id": integration.id, "ids": chunk})
        ]
    return OurSide(items, products_of, dirty, bad, imported)


def open_shop_stock(integration: ShopIntegration) -> tuple[PrestaShopGateway, ShopStock, StockContext]:
    gateway = PrestaShopGateway.connect(integration.config)
    try:
        info = gateway.shop_info(integration.config["id_shop"])
        stock = ShopStock(gateway)
        ctx = stock.context(info.id_shop, info.id_shop_group, info.share_stock)
    except BaseException:
        gateway.close()
        raise
    return gateway, stock, ctx
