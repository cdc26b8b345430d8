"""The KPI fixture: orders with known timestamps, products, stock, reservations and a shortage (the
arithmetic is in tests/integration/test_kpi_dashboard.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text

from rexbit_desktop.domain.kpi import Period
from rexbit_desktop.domain.roles import Actor, Role

WAW = ZoneInfo("Europe/Warsaw")
PERIOD = Period(date(2026, 11, 9), date(2026, 11, 22))
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=WAW)  # Wednesday noon
MANAGER = Actor(login="kierownik", role=Role.MANAGER)


def at(day: int, hh: int, mm: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=WAW)


# number: (status, created, ready, shipped, total_gross, items [(sku, qty, price_gross)])
ORDERS: dict[str, tuple[str, datetime, datetime | None, datetime | None, str, list[tuple[str, int, str]]]] = {
    # Ready Mon 10:00, shipped Tue 12:00: Mon 10–16 (6 h) + Tue 8–12 (4 h) = 10 h. Ship-by Tue: on time.
    "A": ("completed", at(9, 9), at(9, 10), at(10, 12), "100.00", [("KPI-1", 3, "20.00")]),
    # Ready Tue 15:00, shipped Thu 09:00: Tue 1 h + Wed holiday 0 + Thu 1 h = 2 h. Ship-by Thu (Wed is off).
    "B": ("shipped", at(10, 8), at(10, 15), at(12, 9), "200.00", []),
    # Ready Fri 17:00 (after closing: counts from Mon), shipped Tue 10:00: Mon 8 h + Tue 2 h = 10 h; on time.
    "C": ("shipped", at(13, 9), at(13, 17), at(17, 10), "300.00", [("KPI-2", 5, "10.00")]),
    # Ready Mon 09:00, shipped Wed 17:00 (after closing: counts as Thu): 7 + 8 + 8 = 23 h; ship-by Tue: LATE.
    "D": ("shipped", at(16, 8), at(16, 9), at(18, 17), "400.00", []),
    # Ready Sat 10:00 (counts from Mon), shipped Mon 15:00: 7 h; on time.
    "E": ("completed", at(14, 10), at(14, 10), at(16, 15), "500.00", [("KPI-1", 1, "20.00")]),
    # Cancelled: not an order of the period's count or value, not shipped.
    "F": ("cancelled", at(10, 11), None, None, "999.00", [("KPI-3", 100, "1.00")]),
    # Returned: ready Mon 08:00, shipped Thu 08:30: Mon 8 + Tue 8 + Wed 0 + Thu 0.5 = 16.5 h; ship-by Tue: LATE.
    "G": ("returned", at(9, 7), at(9, 8), at(12, 8, 30), "50.00", [("KPI-3", 50, "1.00")]),
    # Previous period (26 Oct – 8 Nov): one order of 80 zł.
    "H": ("draft", at(2, 12), None, None, "80.00", []),
    # Open, paid since Fri 13th 10:00: ship-by Mon 16th → late now. Age: Fri 6 + Mon 8 + Tue 8 + Wed 4 = 26 h
    # = 3.25 working days → bucket 2–5.
    "I": ("paid", at(13, 9), at(13, 10), None, "10.00", []),
    # Open, picking since Wed 09:00: 3 h = 0.375 days → 0–1; not late.
    "J": ("picking", at(18, 8), at(18, 9), None, "20.00", [("KPI-1", 1, "20.00")]),
    # Open, released Mon 16:30 (after closing: counts from Tue), ship-by Wed → not late now (Wed noon).
    # Age: Mon 0 + Tue 8 + Wed 4 = 12 h = 1.5 days → bucket 1–2.
    "K": (
        "awaiting_fulfillment",
        at(16, 7),
        at(16, 16, 30),
        None,
        "30.00",
        [("KPI-1", 2, "5.00"), ("KPI-2", 3, "5.00")],
    ),
}


def load_kpi_fixture(db):  # type: ignore[no-untyped-def]
    """Orders, products, stock, reservations and a shortage written as rows (their timestamps are the
    point of this test; the workflow that sets them is tested below)."""
    with db.engine.begin() as conn:
        wh = conn.execute(
            text(
                "INSERT INTO warehouses (code, name, is_default) VALUES ('MAG1', 'Magazyn główny', true) RETURNING id"
            )
        ).scalar_one()
        products = {}
        for sku in ("KPI-1", "KPI-2", "KPI-3"):
            products[sku] = conn.execute(
                text("INSERT INTO products (sku, name) VALUES (:s, :n) RETURNING id"),
                {"s": sku, "n": f"Produkt {sku}"},
            ).scalar_one()
        lines: dict[tuple[str, str], int] = {}
        for number, (status, created, ready, shipped, gross, items) in ORDERS.items():
            oid = conn.execute(
                text(
                    "INSERT INTO orders (number, status, currency, total_gross, total_net, warehouse_id,"
                    " created_at, updated_at, ready_at, shipped_at, delivery_method)"
                    " VALUES (:n, :s, 'PLN', :g, :g, :wh, :c, :c, :r, :sh, 'Kurier')"
                    " RETURNING id"
                ),
                {
                    "n": number,
                    "s": status,
                    "g": Decimal(gross),
                    "wh": wh,
                    "c": created,
                    "r": ready,
                    "sh": shipped,
                },
            ).scalar_one()
            for sku, qty, price in items:
                lines[(number, sku)] = conn.execute(
                    text(
                        "INSERT INTO order_items (order_id, product_id, name, sku, quantity, price_net,"
                        " price_gross, vat_rate) VALUES (:o, :p, :name, :sku, :q, :pr, :pr, 23) RETURNING id"
                    ),
                    {
                        "o": oid,
                        "p": products[sku],
                        "name": f"Produkt {sku}",
                        "sku": sku,
                        "q": qty,
                        "pr": Decimal(price),
                    },
                ).scalar_one()
        # Stock: KPI-1 10 units (PZ at 4.00, then at 5.00: the last one counts), KPI-2 4 units (no PZ;
        # cheapest offer 7.50), KPI-3 1 unit with no price at all → 10 × 5 + 4 × 7.5 = 80.00.
        for sku, on_hand, reserved in (("KPI-1", 10, 3), ("KPI-2", 4, 1), ("KPI-3", 1, 0)):
            conn.execute(
                text(
                    "INSERT INTO warehouse_stock_totals (product_id, warehouse_id, on_hand, reserved)"
                    " VALUES (:p, :w, :o, :r)"
                ),
                {"p": products[sku], "w": wh, "o": on_hand, "r": reserved},
            )
        for number, price, posted in (("PZ/1", "4.00", at(1, 10)), ("PZ/2", "5.00", at(5, 10))):
            doc = conn.execute(
                text(
                    "INSERT INTO warehouse_documents (type, number, status, warehouse_id, issue_date, posted_at)"
                    " VALUES ('PZ', :n, 'posted', :w, :d, :p) RETURNING id"
                ),
                {"n": number, "w": wh, "d": posted.date(), "p": posted},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO warehouse_document_items (document_id, line_no, product_id, sku, name, unit,"
                    " quantity, price_net) VALUES (:d, 1, :p, 'KPI-1', 'Produkt KPI-1', 'szt.', 10, :pr)"
                ),
                {"d": doc, "p": products["KPI-1"], "pr": Decimal(price)},
            )
        supplier = conn.execute(
            text("INSERT INTO integrations (name, type) VALUES ('Hurtownia', 'supplier_feed') RETURNING id")
        ).scalar_one()
        for ext, price in (("x1", "9.00"), ("x2", "7.50")):
            conn.execute(
                text(
                    "INSERT INTO integration_product_links (integration_id, product_id, external_id,"
                    " supplier_availability, offer_stock, offer_delivery_days)"
                    " VALUES (:i, :p, :e, CAST(:a AS jsonb), 5, 1)"
                ),
                {
                    "i": supplier,
                    "p": products["KPI-2"],
                    "e": ext,
                    "a": f'{{"stock_quantity": 5, "delivery_days": 1, "purchase_price": "{price}"}}',
                },
            )
        # Reservations: K's KPI-1 line (2) in full, K's KPI-2 line (3) only 1 with 2 short, J's line in full
        # → 2 of 3 lines fully reserved = 66.7 %.
        for (number, sku), qty in ((("K", "KPI-1"), 2), (("K", "KPI-2"), 1), (("J", "KPI-1"), 1)):
            conn.execute(
                text(
                    "INSERT INTO order_item_reservations (order_item_id, product_id, warehouse_location_id,"
                    " reserved_qty) VALUES (:i, :p, :w, :q)"
                ),
                {"i": lines[(number, sku)], "p": products[sku], "w": wh, "q": qty},
            )
        k_id = conn.execute(text("SELECT id FROM orders WHERE number = 'K'")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO order_item_shortages (order_id, order_item_id, product_id, warehouse_id, missing_qty)"
                " VALUES (:o, :i, :p, :w, 2)"
            ),
            {"o": k_id, "i": lines[("K", "KPI-2")], "p": products["KPI-2"], "w": wh},
        )
    return db
