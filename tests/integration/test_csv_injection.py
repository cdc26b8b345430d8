"""CSV formula injection (OWASP): a shop customer named like a formula reaches the orders export as text."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.orders.queries import export_orders_csv
from rexbit_desktop.services.shop.orders import sync_orders
from tests.support.shop import add_shop_order, create_shop_integration, line, shop_execute

EVIL = '=HYPERLINK("http://evil.example/x","Kliknij")'


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+48 600 700 800", "+48 600 700 800"),  # digits only: no formula
        ("+48(600)", "'+48(600)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12,50", "-12,50"),  # a plain number stays a number
        ("+48", "+48"),
        ("Jan Kowalski", "Jan Kowalski"),
        ("", ""),
    ],
)
def test_cells_that_start_like_a_formula_are_neutralised(cell: str, shown: str) -> None:
    from rexbit_desktop.domain.csv_safety import safe_cell

    assert safe_cell(cell) == shown


@pytest.mark.mysql
def test_a_customer_named_like_a_formula_is_exported_as_text(db: Any, shop: Any, system_actor: Any) -> None:
    integration = create_shop_integration(db, shop)
    add_shop_order(shop, 301, state=2, lines=[line(1, "10.00")])
    for table in ("customer", "address"):
        shop_execute(shop, f"UPDATE {shop.t(table)} SET firstname = %s, lastname = %s", (EVIL, "@SUM(1)"))
    shop_execute(shop, f"UPDATE {shop.t('address')} SET company = NULL")
    result = sync_orders(db.uow(), system_actor, integration_id=integration)
    assert result.status == "succeeded" and result.created == 1, result.error_details

    out = io.StringIO()
    export_orders_csv(db.uow(), Actor(login="op", role=Role.OPERATOR), out)
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    header, (row,) = rows[0], rows[1:]
    assert row[header.index("customer_name")] == f"'{EVIL} @SUM(1)", row
    assert not any(cell[:1] in ("=", "+", "@") for cell in row), row
