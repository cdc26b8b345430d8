"""A product's sale price with VAT (``products.price_gross``): the new order form prefills it. Managers
and administrators set it (in the products view, ``rexbit products price`` or the catalog CSV)."""

from __future__ import annotations

from decimal import Decimal

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.prices import parse_sale_price
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.catalog.products import ProductDetailDTO, _product_by, show_product

__all__ = ["parse_sale_price", "set_sale_price"]


def set_sale_price(
    uow: UnitOfWork,
    actor: Actor,
    *,
    price_gross: str | Decimal | None,
    sku: str | None = None,
    product_id: int | None = None,
) -> ProductDetailDTO:
    """Sets (or with a blank price clears) a product's sale price with VAT."""
    actor.require(Permission.SETTINGS_EDIT)
    price = parse_sale_price(price_gross)
    with uow:
        product = _product_by(uow, sku=sku, product_id=product_id)
        product.price_gross = price
        product_id = product.id
        uow.commit()
    return show_product(uow, actor, product_id=product_id)
