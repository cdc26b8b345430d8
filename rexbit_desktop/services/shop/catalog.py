"""Our catalog from the shop (``rexbit products pull``).

Each sellable shop item becomes one of our products, found or created by SKU, and a link with external id
``"{id_product}:{id_product_attribute}"``:

- a product without combinations → one item ``id_product:0``;
- a product with combinations → one item per combination (the product itself is not sold as such).

SKU = the item's ``reference`` (a combination's own reference, else its product's reference followed by
``-{id_product_attribute}``); items without any reference get ``PS-{id_product}-{id_product_attribute}``,
stable across pulls. EAN = the item's ``ean13`` (a combination does not inherit the product's EAN: one EAN
is one variant). Name = the product's name in the shop's default language.

Idempotent: a second pull updates names and EANs and never duplicates products or links. A link that an
operator made by hand (``link_source = 'manual'``) is never moved to another product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from rexbit_desktop.db.models import IntegrationProductLink, Product
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.shop.connection import load_shop_integration, open_shop

LINK_SOURCE = "shop_pull"
_CHUNK = 1000


@dataclass(frozen=True)
class ShopItem:
    external_id: str
    sku: str
    ean: str | None
    name: str


@dataclass(frozen=True)
class PullResult:
    integration_id: int
    shop_products: int
    items: int  # sellable items: simple products + combinations
    products_created: int
    products_updated: int
    links_created: int
    links_updated: int
    duplicate_skus: list[str] = field(default_factory=list)  # two shop items share one SKU: one product


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _ean(value: str | None) -> str | None:
    value = _clean(value)
    return value if value and value.isdigit() and value.strip("0") else None


def pull_products(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> PullResult:
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        integration = load_shop_integration(uow.session, integration_id)
    gateway, shop = open_shop(integration)
    try:
        progress(0, None, "reading the shop's catalog")
        products = list(gateway.catalog_products(shop.info.id_shop, shop.default_language_id))
        combinations = list(gateway.catalog_combinations())
    finally:
        gateway.close()

    by_product: dict[int, list] = {}
    for combo in combinations:
        by_product.setdefault(combo.id_product, []).append(combo)
    items: list[ShopItem] = []
    for p in products:
        name = _clean(p.name) or _clean(p.reference) or f"PrestaShop {p.id_product}"
        combos = by_product.get(p.id_product, [])
        if not combos:
            sku = _clean(p.reference) or f"PS-{p.id_product}-0"
            items.append(ShopItem(f"{p.id_product}:0", sku[:64], _ean(p.ean13), name))
        for c in combos:
            own = _clean(c.reference)
            base = _clean(p.reference)
            sku = own or (
                f"{base}-{c.id_product_attribute}" if base else f"PS-{p.id_product}-{c.id_product_attribute}"
            )
            items.append(ShopItem(f"{p.id_product}:{c.id_product_attribute}", sku[:64], _ean(c.ean13), name))

    counts = {"products_created": 0, "products_updated": 0, "links_created": 0, "links_updated": 0}
    duplicates: list[str] = []
    seen: dict[str, str] = {}
    with uow:
        session = uow.session
        for start in range(0, len(items), _CHUNK):
            if cancel():
                break
            chunk = items[start : start + _CHUNK]
            keys = {i.sku.upper() for i in chunk}
            existing = {
                sku.strip().upper(): (pid, ean, name)
                for pid, sku, ean, name in session.execute(
                    select(Product.id, Product.sku, Product.ean, Product.name).where(
                        func.upper(func.btrim(Product.sku)).in_(keys)
                    )
                )
            }
            product_ids: dict[str, int] = {}
            to_create: dict[str, dict[str, Any]] = {}
            for item in chunk:
                key = item.sku.upper()
                if key in seen and seen[key] != item.external_id:
                    duplicates.append(item.sku)
                seen.setdefault(key, item.external_id)
                if key in product_ids or key in to_create:
                    continue
                found = existing.get(key)
                if found is None:
                    to_create[key] = {"sku": item.sku[:64], "ean": item.ean, "name": item.name[:500]}
                    continue
                pid, ean, name = found
                product_ids[key] = pid
                changes: dict[str, Any] = {}
                if item.name != name:
                    changes["name"] = item.name[:500]
                if item.ean and item.ean != ean:
                    changes["ean"] = item.ean
                if changes:
                    session.execute(update(Product).where(Product.id == pid).values(**changes))
                    counts["products_updated"] += 1
            if to_create:
                # One INSERT per chunk; a product created meanwhile by someone else is taken, not duplicated.
                created = session.execute(
                    insert(Product)
                    .values(list(to_create.values()))
                    .on_conflict_do_nothing(index_elements=["sku"])
                    .returning(Product.id, Product.sku)
                ).all()
                counts["products_created"] += len(created)
                for pid, sku in created:
                    product_ids[sku.strip().upper()] = pid
                missing = [v["sku"] for k, v in to_create.items() if k not in product_ids]
                if missing:
                    for pid, sku in session.execute(
                        select(Product.id, Product.sku).where(Product.sku.in_(missing))
                    ):
                        product_ids[sku.strip().upper()] = pid
                for key, values in to_create.items():
                    existing[key] = (product_ids[key], values["ean"], values["name"])
            links = {
                link.external_id: link
                for link in session.scalars(
                    select(IntegrationProductLink).where(
                        IntegrationProductLink.integration_id == integration.id,
                        IntegrationProductLink.external_id.in_([i.external_id for i in chunk]),
                    )
                )
            }
            new_links = []
            for item in chunk:
                pid = product_ids[item.sku.upper()]
                link = links.get(item.external_id)
                if link is None:
                    new_links.append(
                        {
                            "integration_id": integration.id,
                            "product_id": pid,
                            "external_id": item.external_id,
                            "external_sku": item.sku[:200],
                            "external_ean": item.ean,
                            "link_source": LINK_SOURCE,
                        }
                    )
                    continue
                moved = link.product_id != pid and link.link_source != "manual"
                if moved or link.external_sku != item.sku or link.external_ean != item.ean:
                    if moved:
                        link.product_id = pid
                    link.external_sku = item.sku[:200]
                    link.external_ean = item.ean
                    counts["links_updated"] += 1
            if new_links:
                # ON CONFLICT: a concurrent pull of the same shop must not fail on the unique key.
                result = session.execute(
                    insert(IntegrationProductLink)
                    .values(new_links)
                    .on_conflict_do_nothing(index_elements=["integration_id", "external_id"])
                    .returning(IntegrationProductLink.id)
                )
                counts["links_created"] += len(result.all())
            uow.commit()
            progress(min(start + _CHUNK, len(items)), len(items), "linking products")
    return PullResult(
        integration_id=integration.id,
        shop_products=len(products),
        items=len(items),
        duplicate_skus=sorted(set(duplicates)),
        **counts,
    )
