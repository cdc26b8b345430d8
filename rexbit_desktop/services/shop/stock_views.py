"""The stock push as the UI shows it: a shop's stock-sync settings as they apply, its last push, and per
product what each shop has now and what rexbit would write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from rexbit_desktop.db.models import Product, SyncRun, Warehouse
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, RexbitError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.shop.connection import (
    PRESTASHOP_TYPE,
    ShopIntegration,
    load_shop_integration,
)
from rexbit_desktop.services.shop.stock_read import open_shop_stock, read_ours

KIND = "stock"


@dataclass(frozen=True)
class StockSettingsView:
    integration_id: int
    name: str
    enabled: bool
    stock_sync: str
    stock_warehouses: list[str]  # the codes summed (the default warehouse when not configured)
    warehouses_configured: bool
    stock_buffer: int
    dirty_products: int  # changed since the last push, waiting for it


@dataclass(frozen=True)
class StockPushView:
    sync_run_id: int
    status: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    dry_run: bool
    full: bool
    examined: int
    written: int
    skipped_packs: int
    missing_in_shop: int
    pending_shop_orders: int
    errors: int
    message: str | None
    error_details: list[dict[str, Any]]


@dataclass(frozen=True)
class ShopStockLine:
    """One shop item of a product: what the shop has now, and what rexbit would write."""

    integration_id: int
    integration_name: str
    external_id: str
    shop_quantity: int | None  # None: the shop has no stock row for it (or it is gone)
    rexbit_quantity: int | None  # None: not written (pack, gone, stock sync off)
    note: str | None = None


# ---------------------------------------------------------------- for the UI


def stock_settings(uow: UnitOfWork, actor: Actor, *, integration_id: int) -> StockSettingsView:
    """The stock-sync settings of a shop integration as they apply (defaults filled in)."""
    actor.require(Permission.VIEW)
    with uow:
        integration = load_shop_integration(uow.session, integration_id)
        codes = list(integration.config.get("stock_warehouses") or [])
        if not codes:
            codes = list(uow.session.scalars(select(Warehouse.code).where(Warehouse.is_default.is_(True))))
        waiting = uow.session.execute(
            text("SELECT count(*) FROM shop_stock_dirty WHERE integration_id = :i"), {"i": integration_id}
        ).scalar_one()
    return StockSettingsView(
        integration.id,
        integration.name,
        integration.enabled,
        integration.config["stock_sync"],
        codes,
        bool(integration.config.get("stock_warehouses")),
        int(integration.config["stock_buffer"]),
        int(waiting),
    )


def last_stock_push(uow: UnitOfWork, actor: Actor, *, integration_id: int) -> StockPushView | None:
    """The last stock push of a shop (any status), for the shop panel."""
    actor.require(Permission.VIEW)
    with uow:
        r = uow.session.scalars(
            select(SyncRun)
            .where(SyncRun.integration_id == integration_id, SyncRun.kind == KIND)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(1)
        ).first()
        if r is None:
            return None
        return StockPushView(
            r.id, r.status, r.started_by, r.started_at, r.finished_at, r.dry_run, r.full, r.examined,
            r.written, r.skipped_packs, r.missing_in_shop, r.pending_shop_orders, r.errors, r.message,
            list(r.error_details or []),
        )  # fmt: skip


def product_shop_stock(uow: UnitOfWork, actor: Actor, *, sku: str) -> list[ShopStockLine]:
    """For the product detail: per shop item linked to this product (integrations with stock sync on),
    what the shop has now and what rexbit would write (computed by the shop in a rolled-back push)."""
    actor.require(Permission.VIEW)
    with uow:
        product_id = uow.session.scalar(select(Product.id).where(Product.sku == sku.strip()))
        if product_id is None:
            raise NotFound(f"No product with SKU {sku}.", code="product_not_found", params={"sku": sku})
        rows = uow.session.execute(
            text(
                "SELECT DISTINCT i.id FROM integration_product_links l JOIN integrations i"
                " ON i.id = l.integration_id WHERE l.product_id = :p AND i.type = :t"
                " AND i.config ->> 'stock_sync' = 'on' ORDER BY i.id"
            ),
            {"p": product_id, "t": PRESTASHOP_TYPE},
        ).all()
    lines: list[ShopStockLine] = []
    for (integration_id,) in rows:
        with uow:
            integration = load_shop_integration(uow.session, integration_id)
        lines += _shop_lines(uow, integration, product_id)
    return lines


def _shop_lines(uow: UnitOfWork, integration: ShopIntegration, product_id: int) -> list[ShopStockLine]:
    try:
        gateway, stock, ctx = open_shop_stock(integration)
    except RexbitError as exc:
        return [ShopStockLine(integration.id, integration.name, "", None, None, exc.message)]
    try:
        with uow:
            read = read_ours(
                uow,
                integration,
                lambda: stock.open_order_ids(ctx),
                skus=None,
                changed_only=False,
                product_ids=[product_id],
            )
            uow.rollback()
        shop_products = sorted({i[0] for i in read.items})
        now = {
            (r.id_product, r.id_product_attribute): r.quantity
            for r in stock.item_quantities(ctx, shop_products)
        }
        outcome = stock.write_batch(ctx, read.items, read.imported, full=True, apply=False, read_back=True)
        skipped = {(s.id_product, s.id_product_attribute): s.detail for s in outcome.skipped}
        would = outcome.values
    finally:
        gateway.close()
    on = integration.config["stock_sync"] == "on" and integration.enabled
    return [
        ShopStockLine(
            integration.id,
            integration.name,
            f"{key[0]}:{key[1]}",
            now.get(key),
            would.get(key) if key not in skipped else None,
            skipped.get(key) or (None if on else "stock sync off"),
        )
        for key in sorted(read.products_of)
    ]
