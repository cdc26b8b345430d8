"""The orders list read model on a real PostgreSQL: filters, sorts, keyset paging, counting, CSV export."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.errors import Cancelled, ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.orders.queries import (
    MANUAL,
    OrderListFilter,
    OrderSort,
    SortKey,
    count_orders,
    export_orders_csv,
    list_orders,
    order_list_options,
)
from tests.support.orders_seed import BASE_TIME, seed_orders

OPERATOR = Actor(login="op", role=Role.OPERATOR)


def _all(db, flt=None, sort=None, limit=7):  # type: ignore[no-untyped-def]
    """Read every page and return the numbers, checking that pages neither overlap nor skip."""
    numbers: list[str] = []
    after = None
    while True:
        page = list_orders(db.uow(), OPERATOR, filters=flt, sort=sort, after=after, limit=limit)
        numbers += [r.number for r in page.rows]
        if page.next_cursor is None:
            return numbers
        assert len(page.rows) == limit
        after = page.next_cursor


def _num(i: int) -> str:
    return f"ZAM/2026/11/{i:05d}"


@pytest.fixture
def seeded(db):  # type: ignore[no-untyped-def]
    return seed_orders(db, 30)


def test_default_list_is_newest_first_and_pages_cover_everything(db, seeded) -> None:  # type: ignore[no-untyped-def]
    numbers = _all(db)
    assert numbers == [_num(i) for i in range(30, 0, -1)]
    first = list_orders(db.uow(), OPERATOR, limit=5)
    row = first.rows[0]
    assert (row.number, row.total_gross, row.warehouse, row.integration) == (
        _num(30),
        Decimal(300),
        "SKLEP",
        "Sklep",
    )
    assert first.rows[1].integration == "" and first.rows[1].warehouse == "MAG"


@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_pages_in_the_same_order_as_a_full_sort(db, seeded, key, descending) -> None:  # type: ignore[no-untyped-def]
    page_by_page = _all(db, sort=OrderSort(key, descending), limit=4)
    one_go = [
        r.number for r in list_orders(db.uow(), OPERATOR, sort=OrderSort(key, descending), limit=100).rows
    ]
    assert page_by_page == one_go
    assert sorted(page_by_page) == sorted(_num(i) for i in range(1, 31))


def test_sort_by_total_and_customer(db, seeded) -> None:  # type: ignore[no-untyped-def]
    by_total = _all(db, sort=OrderSort(SortKey.TOTAL_GROSS, descending=False))
    assert by_total == [_num(i) for i in range(1, 31)]
    by_customer = list_orders(db.uow(), OPERATOR, sort=OrderSort(SortKey.CUSTOMER, False), limit=100).rows
    names = [r.customer_name for r in by_customer]
    assert names[:6] == [""] * 6  # orders without a customer name first (coalesced to '')
    assert names[6:] == sorted(names[6:])


def test_filters_combine(db, seeded) -> None:  # type: ignore[no-untyped-def]
    paid = _all(db, OrderListFilter(statuses=("paid",)))
    assert paid == [_num(i) for i in range(30, 0, -1) if i % 6 == 2]
    refunded_or_pending = _all(db, OrderListFilter(payment_statuses=("refunded",)))
    assert refunded_or_pending == [_num(i) for i in range(30, 0, -1) if i % 6 == 5]
    shop = _all(db, OrderListFilter(integration_ids=(seeded.shop_id,)))
    assert shop == [_num(i) for i in range(30, 0, -1) if i % 2 == 0]
    manual = _all(db, OrderListFilter(integration_ids=(MANUAL,)))
    assert manual == [_num(i) for i in range(30, 0, -1) if i % 2 == 1]
    both = _all(db, OrderListFilter(integration_ids=(MANUAL, seeded.shop_id)))
    assert len(both) == 30
    days = _all(
        db,
        OrderListFilter(
            created_from=BASE_TIME + timedelta(days=5), created_to=BASE_TIME + timedelta(days=10)
        ),
    )
    assert days == [_num(i) for i in (9, 8, 7, 6, 5)]
    combined = _all(db, OrderListFilter(statuses=("paid", "shipped"), integration_ids=(seeded.shop_id,)))
    assert combined == [_num(i) for i in range(30, 0, -1) if i % 6 in (2, 4) and i % 2 == 0]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("kowalski", [i for i in range(30, 0, -1) if i % 5 == 0]),
        ("ANNA.NOWAK@", [i for i in range(30, 0, -1) if i % 5 == 1]),
        ("żółć", [i for i in range(30, 0, -1) if i % 5 == 3]),
        ("11/00017", [17]),
        ("rare-1", [14]),  # SKU prefix, case-insensitive: RARE-14 (RARE-21/28 do not start with RARE-1)
        ("sku-3", [i for i in range(30, 0, -1) if i % 4 == 3]),
        ("100%", []),  # LIKE wildcards are literal
        ("nikogo", []),
    ],
)
def test_search_by_number_name_email_and_sku(db, seeded, term, expected) -> None:  # type: ignore[no-untyped-def]
    assert _all(db, OrderListFilter(search=term)) == [_num(i) for i in expected]


def test_count_is_exact_below_the_cap_and_bounded_above(db, seeded) -> None:  # type: ignore[no-untyped-def]
    assert count_orders(db.uow(), OPERATOR).value == 30
    c = count_orders(db.uow(), OPERATOR, filters=OrderListFilter(statuses=("paid",)))
    assert (c.value, c.exact) == (5, True)
    capped = count_orders(db.uow(), OPERATOR, filters=OrderListFilter(search="example"), cap=3)
    assert (capped.value, capped.exact) == (3, False)


def test_empty_date_range_is_refused(db, seeded) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        list_orders(db.uow(), OPERATOR, filters=OrderListFilter(created_from=BASE_TIME, created_to=BASE_TIME))


def test_options_carry_labels_and_colours_from_settings(db, seeded) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.orders.settings import set_order_setting

    set_order_setting(db.uow(), Actor.system(), "statuses.paid.colour", "#123456")
    options = order_list_options(db.uow(), OPERATOR)
    paid = next(s for s in options.statuses if s.code == "paid")
    assert (paid.label, paid.colour) == ("Opłacone", "#123456")
    assert options.integrations == [(seeded.shop_id, "Sklep")]
    assert [code for _, code in options.warehouses] == ["MAG", "SKLEP"]


def test_csv_export_streams_the_filtered_sorted_list(db, seeded) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    reports: list[tuple[int, int | None]] = []
    n = export_orders_csv(
        db.uow(),
        OPERATOR,
        out,
        filters=OrderListFilter(statuses=("paid",)),
        sort=OrderSort(SortKey.TOTAL_GROSS, descending=False),
        progress=lambda done, total, msg="": reports.append((done, total)),
        batch=2,
    )
    lines = out.getvalue().splitlines()
    assert n == 5 and len(lines) == 6
    assert lines[0].startswith("number;customer_name;customer_email;total_gross")
    assert lines[1].split(";")[:4] == [_num(2), "Zofia Wiśniewska", "zofia@przyklad.pl", "20,00"]
    assert [ln.split(";")[0] for ln in lines[1:]] == [_num(i) for i in (2, 8, 14, 20, 26)]
    assert reports[0] == (2, 5) and reports[-1] == (5, 5)


def test_csv_export_can_be_cancelled(db, seeded) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Cancelled):
        export_orders_csv(db.uow(), OPERATOR, io.StringIO(), cancelled=lambda: True)


def test_search_uses_the_trigram_index_when_pg_trgm_exists(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        has_trgm = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
        index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_trgm_orders_search'")
        ).scalar()
    if not has_trgm:
        assert index is None
        return
    assert index is not None and "gin_trgm_ops" in index
    # The service's expression must be the index's, or the planner would never use it.
    from rexbit_desktop.services.orders.queries import SEARCH_TEXT

    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                text(f"EXPLAIN SELECT id FROM orders WHERE {SEARCH_TEXT.name} ILIKE '%kowal%'")
            )
        )
    assert "ix_trgm_orders_search" in plan
