"""Our product catalog: import from CSV, list and show with stock and supplier offers, link offers.

Over 500 lines: the catalog's use cases share their row mappers and SQL; next to split when it grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, text

from rexbit_desktop.db.locks import FEED_APPLY, hold_for_transaction
from rexbit_desktop.db.models.catalog import Product, Warehouse, WarehouseStockTotal
from rexbit_desktop.db.models.contractors import Contractor
from rexbit_desktop.db.models.integrations import Integration, IntegrationProductLink
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.feed_values import item_key
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.catalog.catalog_file import OPTIONAL_COLUMNS, read_catalog_file


@dataclass(frozen=True)
class SupplierOfferDTO:
    link_id: int
    integration_id: int
    integration_name: str
    contractor_id: int | None
    supplier_name: str | None
    external_id: str
    external_sku: str | None
    external_ean: str | None
    link_source: str
    stock_quantity: Decimal | None
    delivery_days: int | None
    purchase_price: Decimal | None
    updated_at: str | None


@dataclass(frozen=True)
class WarehouseStockDTO:
    warehouse_code: str
    on_hand: Decimal
    reserved: Decimal


@dataclass(frozen=True)
class ProductRowDTO:
    id: int
    sku: str
    ean: str | None
    name: str
    unit: str
    active: bool
    on_hand: Decimal
    reserved: Decimal
    stock: list[WarehouseStockDTO]
    best_offer: SupplierOfferDTO | None
    price_gross: Decimal | None = None


@dataclass(frozen=True)
class ProductPageDTO:
    rows: list[ProductRowDTO]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class ShopLinkDTO:
    """Where the product is sold: a PrestaShop item (``id_product:id_product_attribute``)."""

    link_id: int
    integration_id: int
    integration_name: str
    external_id: str
    external_sku: str | None
    external_ean: str | None
    link_source: str


@dataclass(frozen=True)
class ProductDetailDTO:
    id: int
    sku: str
    ean: str | None
    name: str
    unit: str
    vat_rate: Decimal
    weight: Decimal | None
    active: bool
    created_at: datetime
    price_gross: Decimal | None
    stock: list[WarehouseStockDTO]
    offers: list[SupplierOfferDTO]
    shop_links: list[ShopLinkDTO] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogImportDTO:
    rows: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class LinkResultDTO:
    integration_id: int
    examined: int
    linked: int
    ambiguous: int
    unmatched: int


# ------------------------------------------------------------------ import


def import_products(uow: UnitOfWork, actor: Actor, *, file: Path) -> CatalogImportDTO:
    """Our own catalog from CSV (UTF-8; sku, ean, name, optionally unit, vat_rate, price_gross /
    cena_brutto). Re-import updates by SKU; a price column's blank cell clears the price. All or nothing:
    one invalid row and nothing is imported."""
    actor.require(Permission.SETTINGS_EDIT)
    rows, optional_columns = read_catalog_file(Path(file))
    # A column the file does not have keeps its value on existing products.
    keep = {c: c not in optional_columns for c in OPTIONAL_COLUMNS}
    with uow:
        s = uow.session
        s.execute(
            text(
                "CREATE TEMP TABLE catalog_in (sku text, ean text, name text, unit text, vat_rate numeric,"
                " price_gross numeric)"
                " ON COMMIT DROP"
            )
        )
        raw: Any = s.connection().connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy("COPY catalog_in (sku, ean, name, unit, vat_rate, price_gross) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        result = s.execute(
            text(
                """
                INSERT INTO products AS p (sku, ean, name, unit, vat_rate, price_gross)
                SELECT sku, ean, name, unit, vat_rate, price_gross FROM catalog_in
                ON CONFLICT (sku) DO UPDATE SET
                    ean = EXCLUDED.ean, name = EXCLUDED.name,
                    unit = CASE WHEN :keep_unit THEN p.unit ELSE EXCLUDED.unit END,
                    vat_rate = CASE WHEN :keep_vat THEN p.vat_rate ELSE EXCLUDED.vat_rate END,
                    price_gross = CASE WHEN :keep_price THEN p.price_gross ELSE EXCLUDED.price_gross END,
                    updated_at = now()
                WHERE (p.ean, p.name) IS DISTINCT FROM (EXCLUDED.ean, EXCLUDED.name)
                   OR (NOT :keep_unit AND p.unit IS DISTINCT FROM EXCLUDED.unit)
                   OR (NOT :keep_vat AND p.vat_rate IS DISTINCT FROM EXCLUDED.vat_rate)
                   OR (NOT :keep_price AND p.price_gross IS DISTINCT FROM EXCLUDED.price_gross)
                RETURNING (xmax = 0) AS created
                """
            ),
            {"keep_unit": keep["unit"], "keep_vat": keep["vat_rate"], "keep_price": keep["price_gross"]},
        ).all()
        created = sum(1 for r in result if r[0])
        updated = len(result) - created
        uow.commit()
    return CatalogImportDTO(
        rows=len(rows), created=created, updated=updated, unchanged=len(rows) - len(result)
    )


# ------------------------------------------------------------------ list and show


def _offer(link: IntegrationProductLink, integration_name: str, supplier: str | None) -> SupplierOfferDTO:
    av = link.supplier_availability or {}

    def dec(key: str) -> Decimal | None:
        v = av.get(key)
        return None if v is None else Decimal(str(v))

    days = av.get("delivery_days")
    return SupplierOfferDTO(
        link_id=link.id,
        integration_id=link.integration_id,
        integration_name=integration_name,
        contractor_id=av.get("contractor_id"),
        supplier_name=supplier,
        external_id=link.external_id,
        external_sku=link.external_sku,
        external_ean=link.external_ean,
        link_source=link.link_source,
        stock_quantity=dec("stock_quantity"),
        delivery_days=None if days is None else int(days),
        purchase_price=dec("purchase_price"),
        updated_at=av.get("updated_at"),
    )


def _offer_rank(o: SupplierOfferDTO) -> tuple[Any, ...]:
    """Best offer first, by the same rule the shop sync uses (domain/availability.py): the highest stock,
    ties to the fewest delivery days; then the lowest price, so the order is stable."""
    return (
        -(o.stock_quantity if o.stock_quantity is not None else Decimal(-1)),
        o.delivery_days if o.delivery_days is not None else 10**6,
        o.purchase_price if o.purchase_price is not None else Decimal(10**12),
        o.link_id,
    )


def _shop_links_for(uow: UnitOfWork, product_id: int) -> list[ShopLinkDTO]:
    rows = uow.session.execute(
        select(IntegrationProductLink, Integration.name)
        .join(Integration, Integration.id == IntegrationProductLink.integration_id)
        .where(IntegrationProductLink.product_id == product_id, Integration.type == "prestashop_db")
        .order_by(Integration.name, IntegrationProductLink.external_id)
    )
    return [
        ShopLinkDTO(
            link_id=link.id,
            integration_id=link.integration_id,
            integration_name=name,
            external_id=link.external_id,
            external_sku=link.external_sku,
            external_ean=link.external_ean,
            link_source=link.link_source,
        )
        for link, name in rows
    ]


def _offers_for(uow: UnitOfWork, product_ids: list[int]) -> dict[int, list[SupplierOfferDTO]]:
    if not product_ids:
        return {}
    rows = uow.session.execute(
        select(IntegrationProductLink, Integration.name, Contractor.name)
        .join(Integration, Integration.id == IntegrationProductLink.integration_id)
        .outerjoin(Contractor, Contractor.id == Integration.contractor_id)
        .where(IntegrationProductLink.product_id.in_(product_ids), Integration.type == "supplier_feed")
    )
    out: dict[int, list[SupplierOfferDTO]] = {}
    for link, iname, cname in rows:
        assert link.product_id is not None
        out.setdefault(link.product_id, []).append(_offer(link, iname, cname))
    for offers in out.values():
        offers.sort(key=_offer_rank)
    return out


def _stock_for(uow: UnitOfWork, product_ids: list[int]) -> dict[int, list[WarehouseStockDTO]]:
    if not product_ids:
        return {}
    out: dict[int, list[WarehouseStockDTO]] = {}
    for pid, code, on_hand, reserved in uow.session.execute(
        select(
            WarehouseStockTotal.product_id,
            Warehouse.code,
            WarehouseStockTotal.on_hand,
            WarehouseStockTotal.reserved,
        )
        .join(Warehouse, Warehouse.id == WarehouseStockTotal.warehouse_id)
        .where(WarehouseStockTotal.product_id.in_(product_ids))
        .order_by(Warehouse.code)
    ):
        out.setdefault(pid, []).append(WarehouseStockDTO(code, on_hand, reserved))
    return out


def list_products(
    uow: UnitOfWork,
    actor: Actor,
    *,
    search: str | None = None,
    offset: int = 0,
    limit: int = 100,
    only_active: bool = False,
) -> ProductPageDTO:
    """A page of products ordered by SKU, filtered on the server by SKU/EAN/name text."""
    actor.require(Permission.VIEW)
    limit = max(1, min(limit, 5000))
    offset = max(0, offset)
    with uow:
        s = uow.session
        query = select(Product)
        if search and search.strip():
            term = search.strip()
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(
                or_(
                    func.upper(func.btrim(Product.sku)).like(escaped.upper() + "%", escape="\\"),
                    Product.ean == term,
                    Product.name.ilike("%" + escaped + "%", escape="\\"),
                )
            )
        if only_active:
            query = query.where(Product.active.is_(True))
        total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
        products = list(s.scalars(query.order_by(Product.sku).offset(offset).limit(limit)))
        ids = [p.id for p in products]
        offers = _offers_for(uow, ids)
        stock = _stock_for(uow, ids)
        rows = []
        for p in products:
            st = stock.get(p.id, [])
            best = next(iter(offers.get(p.id, [])), None)
            rows.append(
                ProductRowDTO(
                    id=p.id,
                    sku=p.sku,
                    ean=p.ean,
                    name=p.name,
                    unit=p.unit,
                    active=p.active,
                    on_hand=sum((x.on_hand for x in st), Decimal(0)),
                    reserved=sum((x.reserved for x in st), Decimal(0)),
                    stock=st,
                    best_offer=best,
                    price_gross=_price(p.price_gross),
                )
            )
    return ProductPageDTO(rows=rows, total=total, offset=offset, limit=limit)


def _price(value: Decimal | None) -> Decimal | None:
    """A sale price with its two decimals (stored as Numeric(14, 4))."""
    return None if value is None else value.quantize(Decimal("0.01"))


def _product_by(uow: UnitOfWork, *, sku: str | None = None, product_id: int | None = None) -> Product:
    s = uow.session
    if product_id is not None:
        product = s.get(Product, product_id)
        if product is None:
            raise NotFound(
                f"There is no product {product_id}.",
                code="product_id_not_found",
                params={"product": product_id},
            )
        return product
    if not sku or not sku.strip():
        raise ValidationError("Give a SKU.", code="sku_missing")
    product = s.scalar(select(Product).where(Product.sku == sku.strip()))
    if product is None:
        found = list(
            s.scalars(select(Product).where(func.upper(func.btrim(Product.sku)) == sku.strip().upper()))
        )
        if len(found) == 1:
            product = found[0]
    if product is None:
        raise NotFound(
            f"There is no product with SKU '{sku}'.", code="product_not_found", params={"sku": sku}
        )
    return product


def show_product(
    uow: UnitOfWork, actor: Actor, *, sku: str | None = None, product_id: int | None = None
) -> ProductDetailDTO:
    """A product with its stock per warehouse and every supplier offer (best first)."""
    actor.require(Permission.VIEW)
    with uow:
        p = _product_by(uow, sku=sku, product_id=product_id)
        return ProductDetailDTO(
            id=p.id,
            sku=p.sku,
            ean=p.ean,
            name=p.name,
            unit=p.unit,
            vat_rate=p.vat_rate,
            weight=p.weight,
            active=p.active,
            created_at=p.created_at,
            price_gross=_price(p.price_gross),
            stock=_stock_for(uow, [p.id]).get(p.id, []),
            offers=_offers_for(uow, [p.id]).get(p.id, []),
            shop_links=_shop_links_for(uow, p.id),
        )


# ------------------------------------------------------------------ linking


def _item_keys(external_id: str) -> list[str]:
    """A supplier item as typed, and as imports store its key (``item_key``: trimmed, upper-cased)."""
    return list(dict.fromkeys([external_id, item_key(external_id) or external_id]))


def link_offer(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    external_id: str,
    sku: str | None = None,
    product_id: int | None = None,
) -> SupplierOfferDTO:
    """Links a supplier's item to our product by hand; later imports keep this link."""
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        s = uow.session
        product = _product_by(uow, sku=sku, product_id=product_id)
        integration = s.get(Integration, integration_id)
        if integration is None:
            raise NotFound(
                f"There is no integration {integration_id}.",
                code="integration_not_found",
                params={"integration": integration_id},
            )
        link = s.scalar(
            select(IntegrationProductLink).where(
                IntegrationProductLink.integration_id == integration_id,
                IntegrationProductLink.external_id.in_(_item_keys(external_id)),
            )
        )
        if link is None:
            raise NotFound(
                f"Integration {integration_id} has no item '{external_id}'.",
                hint="Import the feed first: its items appear as unlinked offers.",
                code="feed_item_not_found",
                params={"integration": integration_id, "item": external_id},
            )
        link.product_id = product.id
        link.link_source = "manual"
        s.flush()
        supplier = s.get(Contractor, integration.contractor_id) if integration.contractor_id else None
        dto = _offer(link, integration.name, supplier.name if supplier else None)
        uow.commit()
    return dto


def unlink_offer(uow: UnitOfWork, actor: Actor, *, integration_id: int, external_id: str) -> SupplierOfferDTO:
    """Removes a link by hand; automatic linking will not link this item again."""
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        s = uow.session
        integration = s.get(Integration, integration_id)
        link = s.scalar(
            select(IntegrationProductLink).where(
                IntegrationProductLink.integration_id == integration_id,
                IntegrationProductLink.external_id.in_(_item_keys(external_id)),
            )
        )
        if integration is None or link is None:
            raise NotFound(
                f"Integration {integration_id} has no item '{external_id}'.",
                code="feed_item_not_found",
                params={"integration": integration_id, "item": external_id},
            )
        link.product_id = None
        link.link_source = "manual"
        s.flush()
        dto = _offer(link, integration.name, None)
        uow.commit()
    return dto


def list_unlinked_offers(
    uow: UnitOfWork, actor: Actor, *, integration_id: int, limit: int = 200
) -> list[SupplierOfferDTO]:
    """Items of a supplier that are linked to no product (to link by hand)."""
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        integration = s.get(Integration, integration_id)
        if integration is None:
            raise NotFound(
                f"There is no integration {integration_id}.",
                code="integration_not_found",
                params={"integration": integration_id},
            )
        links = s.scalars(
            select(IntegrationProductLink)
            .where(
                IntegrationProductLink.integration_id == integration_id,
                IntegrationProductLink.product_id.is_(None),
            )
            .order_by(IntegrationProductLink.external_id)
            .limit(limit)
        )
        return [_offer(link, integration.name, None) for link in links]


_AUTO_LINK = """
WITH candidates AS (
    SELECT l.id AS link_id, p.id AS product_id
    FROM integration_product_links l JOIN products p ON upper(btrim(p.sku)) = upper(btrim(l.external_sku))
    WHERE l.integration_id = :integration_id AND l.link_source = 'auto' AND l.external_sku IS NOT NULL
    UNION ALL
    SELECT l.id, p.id
    FROM integration_product_links l JOIN products p ON lpad(btrim(p.ean), 14, '0') = lpad(l.external_ean, 14, '0')
    WHERE l.integration_id = :integration_id AND l.link_source = 'auto' AND l.external_ean IS NOT NULL
      AND p.ean IS NOT NULL AND btrim(p.ean) <> ''
      AND NOT EXISTS (SELECT 1 FROM products p2 WHERE l.external_sku IS NOT NULL
                      AND upper(btrim(p2.sku)) = upper(btrim(l.external_sku)))
), decided AS (
    SELECT link_id, min(product_id) AS product_id, count(DISTINCT product_id) AS n
    FROM candidates GROUP BY link_id
), changed AS (
    UPDATE integration_product_links l
    SET product_id = CASE WHEN d.n = 1 THEN d.product_id END, updated_at = now()
    FROM decided d
    WHERE l.id = d.link_id
      AND l.product_id IS DISTINCT FROM (CASE WHEN d.n = 1 THEN d.product_id END)
    RETURNING l.id
)
SELECT
    (SELECT count(*) FROM integration_product_links
     WHERE integration_id = :integration_id AND link_source = 'auto') AS examined,
    (SELECT count(*) FROM decided WHERE n = 1) AS linked,
    (SELECT count(*) FROM decided WHERE n > 1) AS ambiguous,
    (SELECT count(*) FROM changed) AS changed
"""


def link_integration_products(uow: UnitOfWork, actor: Actor, *, integration_id: int) -> LinkResultDTO:
    """Auto-links a supplier's items to products by SKU, then EAN (``LinkIntegrationProducts``).

    Useful after the catalog changed: new products find their offers without waiting for the next
    import. Manual links and unlinks are left alone; several candidates = ambiguous, left unlinked.
    """
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        s = uow.session
        integration = s.get(Integration, integration_id)
        if integration is None:
            raise NotFound(
                f"There is no integration {integration_id}.",
                code="integration_not_found",
                params={"integration": integration_id},
            )
        hold_for_transaction(s, FEED_APPLY, integration_id)
        examined, linked, ambiguous, _changed = s.execute(
            text(_AUTO_LINK), {"integration_id": integration_id}
        ).one()
        uow.commit()
    return LinkResultDTO(
        integration_id=integration_id,
        examined=int(examined),
        linked=int(linked),
        ambiguous=int(ambiguous),
        unmatched=int(examined) - int(linked) - int(ambiguous),
    )
