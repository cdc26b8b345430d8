"""What the new order form offers: products found by SKU, EAN or name with the price and VAT a line
gets by default, and the delivery methods (the configured carriers)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select

from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.db.models.orders import Order, OrderItem
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.settings import load_settings


@dataclass(frozen=True)
class ProductChoice:
    sku: str
    ean: str | None
    name: str
    unit: str
    vat_rate: Decimal
    price_gross: Decimal | None
    """The catalog's sale price, else the price it was last sold at; None: typed by hand."""


def find_products_for_order(
    uow: UnitOfWork, actor: Actor, text: str, *, limit: int = 20
) -> list[ProductChoice]:
    """Active products whose SKU starts with ``text``, whose EAN is ``text`` or whose name contains it;
    an exact SKU or EAN first (a scanner's code), then by SKU."""
    actor.require(Permission.VIEW)
    term = text.strip()
    if not term:
        return []
    exact = or_(func.upper(Product.sku) == term.upper(), Product.ean == term)
    # The price it was last sold at, for a product without a catalog price (one row per product found).
    last_sold = (
        select(OrderItem.price_gross)
        .join(Order, Order.id == OrderItem.order_id)
        .where(OrderItem.product_id == Product.id)
        .order_by(Order.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    with uow:
        rows = uow.session.execute(
            select(Product, last_sold.label("last_sold"))
            .where(
                Product.active,
                or_(
                    func.upper(Product.sku).startswith(term.upper(), autoescape=True),
                    Product.ean == term,
                    Product.name.icontains(term, autoescape=True),
                ),
            )
            .order_by(exact.desc(), Product.sku)
            .limit(limit)
        ).all()
        return [
            ProductChoice(
                p.sku,
                p.ean,
                p.name,
                p.unit,
                p.vat_rate,
                p.price_gross if p.price_gross is not None else sold,
            )
            for p, sold in rows
        ]


def delivery_methods(uow: UnitOfWork, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the configured carriers: a new order's delivery method."""
    actor.require(Permission.VIEW)
    with uow:
        return [(c.code, c.name) for c in load_settings(uow.session).carriers]
