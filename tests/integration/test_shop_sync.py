"""Availability sync into the real PrestaShop tables on MariaDB (issue 5's "Done when" list)."""

from __future__ import annotations

import pytest

from rexbit_desktop.domain.availability import DEFAULT_TEXTS
from rexbit_desktop.services.shop.availability import (
    ProductListingDisabled,
    list_sync_runs,
    sync_availability,
)
from tests.support.shop import (
    INITIAL_QUANTITY,
    INITIAL_RESERVED,
    INITIAL_TEXT,
    Offer,
    add_our_product,
    add_shop_product,
    combination_texts,
    create_shop_integration,
    create_supplier,
    last_availability,
    product_texts,
    set_offer,
    set_shop_config,
    shop_execute,
    stock_rows,
)

PL_NOW = DEFAULT_TEXTS["pl"]["available_now"]
PL_LATER = DEFAULT_TEXTS["pl"]["available_later"]
PL_UNAVAILABLE = DEFAULT_TEXTS["pl"]["unavailable"]
EN_NOW = DEFAULT_TEXTS["en"]["available_now"]
EN_LATER = DEFAULT_TEXTS["en"]["available_later"]
EN_UNAVAILABLE = DEFAULT_TEXTS["en"]["unavailable"]


def _sync(db, actor, integration_id, **kwargs):  # type: ignore[no-untyped-def]
    return sync_availability(db.uow(), actor, integration_id=integration_id, **kwargs)


@pytest.fixture
def setup(db, shop):  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop)
    supplier = create_supplier(db, "Hurtownia A")
    return integration, supplier


def _simple(db, shop, integration, supplier, id_product, stock, days=3, **shop_kwargs):  # type: ignore[no-untyped-def]
    add_shop_product(shop, id_product, reference=f"SKU-{id_product}", **shop_kwargs)
    add_our_product(
        db, sku=f"SKU-{id_product}", shop_integration=integration, external_id=f"{id_product}:0",
        offers={supplier: Offer(stock, days)},
    )  # fmt: skip


def test_threshold_boundaries_in_two_languages_never_touch_quantities(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    for id_product, stock in ((1, 19), (2, 20), (3, 21)):
        _simple(db, shop, integration, supplier, id_product, stock, days=4)
    add_shop_product(shop, 4, reference="NO-OFFER")  # linked, without any supplier offer
    add_our_product(db, sku="NO-OFFER", shop_integration=integration, external_id="4:0")

    result = _sync(db, system_actor, integration)

    assert result.status == "succeeded"
    assert result.counts() == {
        "examined": 3, "to_write": 3, "written": 3, "skipped_unchanged": 0, "missing_in_shop": 0,
        "errors": 0, "duration_s": result.duration_s,
    }  # fmt: skip
    rows = stock_rows(shop)
    assert rows[(1, 0, 1, 0)] == (0, INITIAL_QUANTITY, INITIAL_RESERVED)  # 19 < 20: deny
    assert rows[(2, 0, 1, 0)] == (1, INITIAL_QUANTITY, INITIAL_RESERVED)  # 20: allow
    assert rows[(3, 0, 1, 0)] == (1, INITIAL_QUANTITY, INITIAL_RESERVED)
    assert rows[(4, 0, 1, 0)] == (2, INITIAL_QUANTITY, INITIAL_RESERVED)  # no offer: untouched
    texts = product_texts(shop)
    assert texts[(1, 1)] == (PL_NOW, PL_UNAVAILABLE)
    assert texts[(1, 2)] == (EN_NOW, EN_UNAVAILABLE)
    assert texts[(2, 1)] == (PL_NOW, PL_LATER.format(delivery_days=4))
    assert texts[(3, 2)] == (EN_NOW, EN_LATER.format(delivery_days=4))
    assert texts[(4, 1)] == (INITIAL_TEXT, INITIAL_TEXT)
    assert last_availability(db, integration, "2:0")["out_of_stock"] == 1
    assert last_availability(db, integration, "4:0") is None


def test_second_run_writes_nothing_and_full_writes_everything(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    for id_product in (1, 2):
        _simple(db, shop, integration, supplier, id_product, 50)
    assert _sync(db, system_actor, integration).written == 2
    # Someone changes the shop by hand: an unchanged run must not even touch it.
    shop_execute(shop, f"UPDATE {shop.t('stock_available')} SET out_of_stock = 2 WHERE id_product = 1")

    second = _sync(db, system_actor, integration)
    assert (second.examined, second.to_write, second.written, second.skipped_unchanged) == (2, 0, 0, 2)
    assert stock_rows(shop)[(1, 0, 1, 0)][0] == 2

    full = _sync(db, system_actor, integration, full=True)
    assert (full.to_write, full.written, full.skipped_unchanged) == (2, 2, 0)
    assert stock_rows(shop)[(1, 0, 1, 0)][0] == 1

    set_offer(db, supplier[0], "SKU-2", 5)  # the decision changes: only that product is written
    third = _sync(db, system_actor, integration)
    assert (third.to_write, third.written, third.skipped_unchanged) == (1, 1, 1)
    assert stock_rows(shop)[(2, 0, 1, 0)][0] == 0


def test_sync_only_changed_off_always_writes(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    _simple(db, shop, integration, supplier, 1, 50)
    set_shop_config(db, integration, sync_only_changed=False)
    _sync(db, system_actor, integration)
    assert _sync(db, system_actor, integration).written == 1


def test_ties_go_to_fewest_delivery_days_and_stock_beats_days(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop, languages=[1])
    a, b = create_supplier(db, "A"), create_supplier(db, "B")
    add_shop_product(shop, 1)
    add_our_product(db, sku="TIE", shop_integration=integration, external_id="1:0",
                    offers={a: Offer(30, 5), b: Offer(30, 2)})  # fmt: skip
    add_shop_product(shop, 2)
    add_our_product(db, sku="MORE", shop_integration=integration, external_id="2:0",
                    offers={a: Offer(50, 10), b: Offer(25, 1)})  # fmt: skip
    add_shop_product(shop, 3)
    add_our_product(db, sku="NODAYS", shop_integration=integration, external_id="3:0",
                    offers={a: Offer(40, None), b: Offer(40, 9)})  # fmt: skip

    _sync(db, system_actor, integration)

    texts = product_texts(shop)
    assert texts[(1, 1)] == (PL_NOW, PL_LATER.format(delivery_days=2))
    assert texts[(2, 1)] == (PL_NOW, PL_LATER.format(delivery_days=10))
    assert texts[(3, 1)] == (PL_NOW, PL_LATER.format(delivery_days=9))  # unknown days lose a tie
    assert texts[(1, 2)] == (INITIAL_TEXT, INITIAL_TEXT)  # languages=[1]: English untouched


def test_combinations_and_product_level_row_allows_if_any_combination_does(
    db, shop, system_actor, setup
) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    add_shop_product(
        shop, 10, combinations=[(101, "C-101", None), (102, "C-102", None), (103, "C-103", None)]
    )
    add_our_product(
        db, sku="C-101", shop_integration=integration, external_id="10:101", offers={supplier: Offer(25, 6)}
    )
    add_our_product(
        db, sku="C-102", shop_integration=integration, external_id="10:102", offers={supplier: Offer(5, 1)}
    )
    add_our_product(db, sku="C-103", shop_integration=integration, external_id="10:103")  # no offer
    add_shop_product(shop, 20, combinations=[(201, "C-201", None)])
    add_our_product(
        db, sku="C-201", shop_integration=integration, external_id="20:201", offers={supplier: Offer(1, 1)}
    )

    result = _sync(db, system_actor, integration)

    assert (result.examined, result.written) == (2, 2)  # counted in shop products
    rows = stock_rows(shop)
    assert rows[(10, 101, 1, 0)][0] == 1
    assert rows[(10, 102, 1, 0)][0] == 0
    assert rows[(10, 103, 1, 0)][0] == 2  # no offer: untouched
    assert rows[(10, 0, 1, 0)][0] == 1  # one combination allows orders
    assert rows[(20, 0, 1, 0)][0] == 0 and rows[(20, 201, 1, 0)][0] == 0
    combos = combination_texts(shop)
    assert combos[(101, 1)] == (PL_NOW, PL_LATER.format(delivery_days=6))
    assert combos[(102, 2)] == (EN_NOW, EN_UNAVAILABLE)
    assert combos[(103, 1)] == (INITIAL_TEXT, INITIAL_TEXT)
    assert product_texts(shop)[(10, 1)] == (PL_NOW, PL_LATER.format(delivery_days=6))
    assert all(v[1:] == (INITIAL_QUANTITY, INITIAL_RESERVED) for v in rows.values())

    # One combination changes: its whole product is written again, nothing else.
    set_offer(db, supplier[0], "C-101", 2)
    again = _sync(db, system_actor, integration)
    assert (again.to_write, again.skipped_unchanged) == (1, 1)
    assert stock_rows(shop)[(10, 0, 1, 0)][0] == 0


def test_shop_group_sharing_stock_writes_group_rows(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    shop_execute(shop, f"UPDATE {shop.t('shop_group')} SET share_stock = 1 WHERE id_shop_group = 1")
    _simple(db, shop, integration, supplier, 1, 40, stock_key=(0, 1))
    # A stale per-shop row (from before sharing was switched on) must not be written.
    shop_execute(
        shop,
        f"INSERT INTO {shop.t('stock_available')} (id_product, id_product_attribute, id_shop, id_shop_group,"
        " out_of_stock) VALUES (1, 0, 1, 0, 2)",
    )
    _simple(db, shop, integration, supplier, 2, 40, stock_key=(1, 0))  # no group row yet

    result = _sync(db, system_actor, integration)

    assert result.written == 2
    rows = stock_rows(shop)
    assert rows[(1, 0, 0, 1)][0] == 1
    assert rows[(1, 0, 1, 0)][0] == 2
    assert rows[(2, 0, 0, 1)] == (1, 0, 0)  # created for the group's key, quantity left at its default
    assert rows[(2, 0, 1, 0)][0] == 2


def test_limit_writes_first_products_and_next_run_finishes(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    for id_product in range(1, 6):
        _simple(db, shop, integration, supplier, id_product, 30)

    first = _sync(db, system_actor, integration, limit=2)
    assert (first.examined, first.to_write, first.written) == (5, 2, 2)
    assert [stock_rows(shop)[(p, 0, 1, 0)][0] for p in range(1, 6)] == [1, 1, 2, 2, 2]

    rest = _sync(db, system_actor, integration)
    assert (rest.to_write, rest.written, rest.skipped_unchanged) == (3, 3, 2)


def test_dry_run_writes_nothing_on_either_side(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    _simple(db, shop, integration, supplier, 1, 30)
    add_our_product(
        db, sku="GONE", shop_integration=integration, external_id="99:0", offers={supplier: Offer(30)}
    )
    before = stock_rows(shop), product_texts(shop)

    result = _sync(db, system_actor, integration, dry_run=True)

    assert (result.examined, result.to_write, result.written, result.missing_in_shop) == (2, 2, 0, 1)
    assert (stock_rows(shop), product_texts(shop)) == before
    assert last_availability(db, integration, "1:0") is None
    assert _sync(db, system_actor, integration).written == 1


def test_deleted_shop_product_is_reported_and_others_written(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    _simple(db, shop, integration, supplier, 1, 30)
    _simple(db, shop, integration, supplier, 2, 30, combinations=[(21, "C-21", None)])
    add_our_product(
        db, sku="C-22", shop_integration=integration, external_id="2:22", offers={supplier: Offer(30)}
    )
    shop_execute(shop, f"DELETE FROM {shop.t('product')} WHERE id_product = 1")

    result = _sync(db, system_actor, integration)

    assert result.status == "succeeded"
    assert (result.examined, result.written, result.missing_in_shop) == (
        2,
        1,
        2,
    )  # product 1, combination 2:22
    assert {d["external_id"] for d in result.error_details} == {"1:0", "2:22"}
    assert last_availability(db, integration, "1:0") is None
    assert last_availability(db, integration, "2:0") is not None
    assert (1, 0, 1, 0) in stock_rows(shop) and stock_rows(shop)[(1, 0, 1, 0)][0] == 2
    assert (2, 22, 1, 0) not in stock_rows(shop)  # never creates rows for what the shop does not have


def test_connection_killed_mid_sync_leaves_both_sides_consistent(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    for id_product in range(1, 6):
        _simple(db, shop, integration, supplier, id_product, 30)
    killer = shop.connect()

    def kill_in_second_batch(stage: str, batch: int, connection_id: int) -> None:
        # Staged but not yet applied: the shop's transaction is open when the connection dies.
        if stage == "staged" and batch == 2:
            with killer.cursor() as cur:
                cur.execute(f"KILL {int(connection_id)}")

    failed = _sync(db, system_actor, integration, batch_size=2, batch_hook=kill_in_second_batch)
    killer.close()

    assert failed.status == "failed" and failed.errors == 1
    assert "lost" in (failed.message or "")
    # Batches run on two connections side by side: batch 1 (products 1-2) commits, batch 2 (3-4) dies
    # with its connection, batch 5's may or may not have started. Whatever the shop committed, and only
    # that, is recorded.
    rows = stock_rows(shop)
    in_shop = [p for p in range(1, 6) if rows[(p, 0, 1, 0)][0] == 1]
    recorded = [p for p in range(1, 6) if last_availability(db, integration, f"{p}:0") is not None]
    assert in_shop == recorded
    assert {1, 2} <= set(in_shop) and not {3, 4} & set(in_shop)
    assert failed.written == len(in_shop)
    assert [rows[(p, 0, 1, 0)][0] for p in (3, 4)] == [2, 2], "the killed batch was rolled back"
    assert product_texts(shop)[(3, 1)] == (INITIAL_TEXT, INITIAL_TEXT)

    runs = list_sync_runs(db.uow(), system_actor, integration_id=integration)
    assert runs[0].status == "failed" and runs[0].written == len(in_shop)

    again = _sync(db, system_actor, integration, batch_size=2)
    assert (again.status, again.written, again.skipped_unchanged) == (
        "succeeded",
        5 - len(in_shop),
        len(in_shop),
    )
    assert [stock_rows(shop)[(p, 0, 1, 0)][0] for p in range(1, 6)] == [1] * 5


def test_refuses_when_product_listing_is_disabled(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop, product_listing_enabled=False)
    with pytest.raises(ProductListingDisabled, match="Product listing is disabled"):
        _sync(db, system_actor, integration)
    assert list_sync_runs(db.uow(), system_actor, integration_id=integration) == []


def test_custom_texts_and_sync_run_row(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(
        db, shop, min_stock_threshold=5,
        texts={"en": {"available_later": "Ships in {delivery_days} d", "unavailable": "Sold out"}},
    )  # fmt: skip
    supplier = create_supplier(db)
    _simple(db, shop, integration, supplier, 1, 5, days=8)
    _simple(db, shop, integration, supplier, 2, 4)

    result = _sync(db, system_actor, integration)

    texts = product_texts(shop)
    assert texts[(1, 2)] == (EN_NOW, "Ships in 8 d")
    assert texts[(2, 2)] == (EN_NOW, "Sold out")
    [run] = list_sync_runs(db.uow(), system_actor, integration_id=integration)
    assert (run.id, run.status, run.examined, run.written, run.started_by) == (
        result.sync_run_id, "succeeded", 2, 2, system_actor.login,
    )  # fmt: skip
    assert run.finished_at is not None


def test_unreachable_shop_fails_the_run_with_a_clear_message(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop, port=1, connect_timeout=2)
    result = _sync(db, system_actor, integration)
    assert result.status == "failed"
    assert "Cannot connect to the shop database" in (result.message or "")


def test_bad_offers_are_reported_and_left_out(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    other = create_supplier(db, "B")
    add_shop_product(shop, 1)
    add_our_product(db, sku="BAD", shop_integration=integration, external_id="1:0",
                    offers={supplier: Offer("dużo", 1), other: Offer(" 25 ", 4)})  # fmt: skip
    add_shop_product(shop, 2)
    add_our_product(db, sku="ONLYBAD", shop_integration=integration, external_id="2:0",
                    offers={supplier: Offer(50, "jutro")})  # fmt: skip

    result = _sync(db, system_actor, integration)

    assert (result.examined, result.written, result.errors) == (1, 1, 2)
    assert all("bad stock_quantity/delivery_days" in d["reason"] for d in result.error_details)
    assert product_texts(shop)[(1, 1)] == (PL_NOW, PL_LATER.format(delivery_days=4))
    assert stock_rows(shop)[(2, 0, 1, 0)][0] == 2


def test_sync_all_takes_enabled_integrations_with_listing_enabled(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shop.availability import sync_all_availability

    listed = create_shop_integration(db, shop)
    create_shop_integration(db, shop, product_listing_enabled=False)
    supplier = create_supplier(db)
    _simple(db, shop, listed, supplier, 1, 30)

    results = sync_all_availability(db.uow(), system_actor)

    assert [(r.integration_id, r.status, r.written) for r in results] == [(listed, "succeeded", 1)]


def test_a_second_sync_of_the_same_shop_is_refused_while_one_runs(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from rexbit_desktop.domain.errors import Conflict

    integration, supplier = setup
    _simple(db, shop, integration, supplier, 1, 30)
    with db.engine.connect() as other:  # stands for a sync running in another process
        other.execute(text("SELECT pg_advisory_lock(7275, :id)"), {"id": integration})
        with pytest.raises(Conflict, match="already running"):
            _sync(db, system_actor, integration)
        other.execute(text("SELECT pg_advisory_unlock(7275, :id)"), {"id": integration})
    assert _sync(db, system_actor, integration).written == 1


def test_cancel_stops_between_batches_with_what_was_written_recorded(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    for id_product in range(1, 6):
        _simple(db, shop, integration, supplier, id_product, 30)
    seen: list[tuple[int, int | None]] = []

    result = _sync(
        db, system_actor, integration, batch_size=2, cancel=lambda: True,
        progress=lambda done, total, message="": seen.append((done, total)),
    )  # fmt: skip

    assert (result.status, result.to_write, result.written) == ("cancelled", 5, 2)
    assert seen[0] == (0, 5)
    assert [last_availability(db, integration, f"{p}:0") is not None for p in range(1, 6)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert _sync(db, system_actor, integration).written == 3


def test_external_ids_that_are_not_shop_ids_are_reported_not_fatal(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    _simple(db, shop, integration, supplier, 1, 30)
    # Typed by hand: words, an empty combination, and a number too big for the shop's integer ids
    # (19 nines would overflow the cast and fail the whole run).
    for n, external_id in enumerate(("abc", "2:", "9999999999999999999", "0:0"), start=2):
        add_our_product(
            db, sku=f"BAD-{n}", shop_integration=integration, external_id=external_id,
            offers={supplier: Offer(30, 2)},
        )  # fmt: skip

    result = _sync(db, system_actor, integration)

    assert result.status == "succeeded", result.message
    assert (result.written, result.errors) == (1, 4)
    reasons = sorted(d["reason"] for d in result.error_details)
    assert reasons == sorted(
        f"external id '{e}' is not 'product:combination'" for e in ("abc", "2:", "9999999999999999999", "0:0")
    )


def test_batches_are_written_on_two_shop_connections_and_all_recorded(db, shop, system_actor, setup) -> None:  # type: ignore[no-untyped-def]
    integration, supplier = setup
    for id_product in range(1, 13):
        _simple(db, shop, integration, supplier, id_product, 30 if id_product % 3 else 5)
    committed: dict[int, int] = {}

    def note(stage: str, batch: int, connection_id: int) -> None:
        if stage == "committed":
            committed[batch] = connection_id

    result = _sync(db, system_actor, integration, batch_size=2, batch_hook=note)

    assert (result.status, result.written, result.errors) == ("succeeded", 12, 0)
    assert sorted(committed) == [1, 2, 3, 4, 5, 6]
    assert len(set(committed.values())) == 2, "two connections shared the batches"
    rows = stock_rows(shop)
    assert [rows[(p, 0, 1, 0)][0] for p in range(1, 13)] == [0 if p % 3 == 0 else 1 for p in range(1, 13)]
    assert all(last_availability(db, integration, f"{p}:0") is not None for p in range(1, 13))
    assert _sync(db, system_actor, integration, batch_size=2).written == 0
