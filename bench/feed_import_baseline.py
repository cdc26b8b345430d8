"""The naive way, kept as the benchmark's baseline: the feed row by row through the ORM.

One SELECT for the product by SKU (then by EAN), one SELECT for the link, one INSERT or UPDATE per row —
what the old PHP import did and what took minutes. Values are read with the same domain functions so
that only the database access pattern differs.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from sqlalchemy import func, select

from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.db.models.integrations import Integration, IntegrationProductLink
from rexbit_desktop.db.session import open_database
from rexbit_desktop.domain.feed_values import FeedValueReader


def run_baseline(url: str, feed: Path, rows: int) -> float:
    """Imports the first ``rows`` rows of ``feed`` row by row; returns the wall time in seconds."""
    db = open_database(url)
    try:
        with db.uow() as uow:
            integration = Integration(name="Baseline", type="supplier_feed")
            uow.session.add(integration)
            uow.session.flush()
            integration_id = integration.id
            uow.commit()
        reader = FeedValueReader(decimal=",")
        start = time.perf_counter()
        with db.uow() as uow, feed.open(encoding="cp1250", newline="") as f:
            s = uow.session
            records = csv.reader(f, delimiter=";")
            next(records)
            for line, record in enumerate(records, start=2):
                if line - 1 > rows:
                    break
                v = reader.read(
                    line,
                    sku=record[0],
                    ean=record[1],
                    stock_quantity=record[3],
                    delivery_days=record[6],
                    purchase_price=record[4],
                )
                if v.error:
                    continue
                product = s.scalar(
                    select(Product).where(func.upper(func.btrim(Product.sku)) == (v.sku or "").upper())
                )
                if product is None and v.gtin:
                    product = s.scalar(select(Product).where(func.lpad(Product.ean, 14, "0") == v.gtin))
                link = s.scalar(
                    select(IntegrationProductLink).where(
                        IntegrationProductLink.integration_id == integration_id,
                        IntegrationProductLink.external_id == v.external_id,
                    )
                )
                availability = {
                    "stock_quantity": str(v.stock_quantity) if v.stock_quantity is not None else None,
                    "delivery_days": v.delivery_days,
                    "purchase_price": str(v.purchase_price) if v.purchase_price is not None else None,
                }
                if link is None:
                    link = IntegrationProductLink(integration_id=integration_id, external_id=v.external_id)
                    s.add(link)
                link.product_id = product.id if product else None
                link.external_sku = v.sku
                link.supplier_availability = availability
                s.flush()
            uow.commit()
        return time.perf_counter() - start
    finally:
        db.dispose()
