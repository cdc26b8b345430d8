"""Reading supplier feed values: SKU/EAN text, quantities, prices, delivery days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rexbit_desktop.domain.feed_values import (
    FeedValueError,
    FeedValueReader,
    gtin_to_ean13,
    normalise_gtin,
    normalise_sku,
    parse_decimal,
    parse_delivery_days,
    parse_price,
    parse_quantity,
)


def test_sku_is_text_trimmed_with_leading_zeros() -> None:
    assert normalise_sku("  007123 ") == "007123"
    assert normalise_sku("\u00a0HX-0001\u00a0") == "HX-0001"
    assert normalise_sku("   ") is None
    assert normalise_sku(None) is None


@pytest.mark.parametrize(
    ("raw", "gtin14"),
    [
        ("5901234123457", "05901234123457"),
        ("0012345678905", "00012345678905"),  # EAN-13 of a UPC
        ("012345678905", "00012345678905"),  # the same item as UPC-12
        ("00012345678905", "00012345678905"),  # and as GTIN-14
        (" 590 1234 123457 ", "05901234123457"),
        ("96385074", "00000096385074"),  # EAN-8
    ],
)
def test_gtin_normalised_to_14_digits(raw: str, gtin14: str) -> None:
    assert normalise_gtin(raw) == gtin14


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("5901234123458", "check digit"),
        ("59012341234", "11 digits"),
        ("5.90123E+12", "digits"),
    ],
)
def test_bad_ean_is_refused_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(FeedValueError, match=reason):
        normalise_gtin(raw)


def test_gtin_shown_as_ean13() -> None:
    assert gtin_to_ean13("00012345678905") == "0012345678905"
    assert gtin_to_ean13("15901234123454") == "15901234123454"


@pytest.mark.parametrize(
    ("raw", "decimal", "value"),
    [
        ("1 234,56", None, "1234.56"),
        ("1\u00a0234,56", ",", "1234.56"),
        ("12\u202f345\u00a0678", None, "12345678"),
        ("1 234 567,5", ",", "1234567.5"),
        ("1 234", ".", "1234"),
        ("1 234,56", ".", "123456"),  # the profile says "." is decimal: "," groups thousands
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("7,5", None, "7.5"),
        ("349.00 PLN", None, "349.00"),
        ("349,00 zł", ",", "349.00"),
        ("1.234", ",", "1234"),
        ("12", None, "12"),
    ],
)
def test_decimal_polish_and_english(raw: str, decimal: str | None, value: str) -> None:
    assert parse_decimal(raw, decimal=decimal) == Decimal(value)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", 12),
        (">10", 10),
        ("> 10", 10),
        ("10+", 10),
        ("<5", 4),
        ("5-10", 5),
        ("brak", 0),
        ("BRAK", 0),
        ("out_of_stock", 0),
        ("backorder", 0),
        ("in_stock", 10),
        ("in stock", 10),
        ("dostępny", 10),
        ("0", 0),
        ("12,5", Decimal("12.5")),
    ],
)
def test_quantities(raw: str, value: int | Decimal) -> None:
    assert parse_quantity(raw, decimal=",") == Decimal(value)


def test_nominal_quantity_is_configurable() -> None:
    assert parse_quantity("in_stock", nominal=Decimal(21)) == 21


@pytest.mark.parametrize("raw", ["-3", "dużo", "12 sztuk?"])
def test_negative_or_unreadable_quantity_is_refused(raw: str) -> None:
    with pytest.raises(FeedValueError):
        parse_quantity(raw)


def test_negative_price_is_refused() -> None:
    with pytest.raises(FeedValueError, match="negative"):
        parse_price("-1,00")
    with pytest.raises(FeedValueError, match="not a number"):
        parse_price("gratis")


@pytest.mark.parametrize(
    ("raw", "days"),
    [
        ("24h", 1),
        ("48 h", 2),
        ("72 godz.", 3),
        ("3-5 dni", 5),
        ("14 dni", 14),
        ("1 dzień", 1),
        ("7", 7),
        ("2 tyg.", 14),
        ("natychmiast", 0),
        ("2026-12-01T08:00+0100", 3),
    ],
)
def test_delivery_days(raw: str, days: int) -> None:
    assert parse_delivery_days(raw, today=date(2026, 11, 28)) == days


def test_values_larger_than_the_staging_columns_are_refused_not_fatal() -> None:
    """numeric(14,3) stock, numeric(14,4) price, and a promise of at most 9999 days: a larger value is
    an invalid row with its reason (it used to fail the whole run in COPY)."""
    assert parse_quantity("99999999999") == Decimal("99999999999")
    with pytest.raises(FeedValueError, match="too large"):
        parse_quantity("100 000 000 000", decimal=",")
    with pytest.raises(FeedValueError, match="too large"):
        parse_quantity(">999999999999")
    assert parse_price("9999999999,99", decimal=",") == Decimal("9999999999.99")
    with pytest.raises(FeedValueError, match="too large"):
        parse_price("10000000000")
    assert parse_delivery_days("9999") == 9999
    with pytest.raises(FeedValueError, match="more than 9999 days"):
        parse_delivery_days("10000 dni")
    row = FeedValueReader(decimal=",").read(3, sku="HX-1", stock_quantity="1e12", purchase_price="1,00")
    assert row.error is not None


def test_unreadable_delivery_is_refused() -> None:
    with pytest.raises(FeedValueError, match="not readable"):
        parse_delivery_days("kiedyś")


def test_reader_marks_row_invalid_with_reasons() -> None:
    reader = FeedValueReader(decimal=",")
    row = reader.read(7, sku="HX-1", stock_quantity="-2", purchase_price="abc")
    assert row.line == 7
    assert row.error is not None and "negative" in row.error and "price" in row.error
    assert reader.read(8).error == "no SKU and no EAN"


def test_reader_keeps_row_with_sku_when_ean_is_bad() -> None:
    row = FeedValueReader().read(3, sku="HX-1", ean="5901234123458", stock_quantity="5")
    assert row.error is None
    assert row.gtin is None
    assert row.warning and "check digit" in row.warning
    only_ean = FeedValueReader().read(4, ean="5901234123458")
    assert only_ean.error and "check digit" in only_ean.error


def test_reader_external_id_falls_back_to_sku_then_ean() -> None:
    reader = FeedValueReader()
    assert reader.read(2, sku=" HX-1 ").external_id == "HX-1"
    assert reader.read(3, ean="012345678905").external_id == "0012345678905"
    assert reader.read(4, external_id="o-77", sku="HX-1").external_id == "O-77"


def test_value_maps_replace_feed_words() -> None:
    reader = FeedValueReader(value_maps={"delivery_days": {"99": None}, "stock_quantity": {"mało": "2"}})
    row = reader.read(2, sku="A", delivery_days="99", stock_quantity="MAŁO")
    assert row.delivery_days is None
    assert row.stock_quantity == 2
    assert reader.read(3, sku="B", delivery_days="3").delivery_days == 3


def test_a_chunk_gives_each_row_its_own_values_and_reasons() -> None:
    """read_rows reads each distinct text of a column once; the rows must still get their own values."""
    good_ean = "5901234123457"
    bad_ean = "5901234123458"
    rows = [
        (2, None, "A-1", good_ean, ">10", "24h", "1\u00a0234,56"),
        (3, None, "A-2", bad_ean, "-1", "kiedyś", "abc"),
        (4, None, None, bad_ean, "5", None, None),
        (5, None, "A-4", None, "-1", "24h", "1\u00a0234,56"),
        (6, None, None, None, "brak", None, None),
        (7, "o-7", None, good_ean, "brak", "3-5 dni", "9,90"),
    ]
    out = FeedValueReader(decimal=",").read_rows(rows)
    assert [r.line for r in out] == [2, 3, 4, 5, 6, 7]
    assert out[0] == (2, "A-1", "A-1", "0" + good_ean, Decimal(10), 1, Decimal("1234.56"), None, None)
    assert out[1].error == (
        "stock '-1' is negative; delivery time 'kiedyś' is not readable; price 'abc' is not a number"
    )
    assert out[1].warning == f"EAN '{bad_ean}' has a wrong check digit; matched by SKU only"
    assert out[1][2:7] == ("A-2", None, None, None, None)  # sku kept; gtin, stock, days, price unread
    assert out[2].error == f"EAN '{bad_ean}' has a wrong check digit" and out[2].external_id is None
    assert out[3].error == "stock '-1' is negative" and out[3].delivery_days == 1
    assert out[4].error == "no SKU and no EAN"
    assert out[5].error is None and out[5].external_id == "O-7" and out[5].stock_quantity == 0
    # The reasons are text: a kept exception would keep its traceback's frames (1M rows: +600 MB once).
    many = FeedValueReader().read_rows([(n, None, f"A-{n}", None, "-1", None, None) for n in range(2, 50)])
    assert all(r.error == "stock '-1' is negative" and type(r.error) is str for r in many)


def test_a_chunk_with_an_unmapped_identifier_column_is_read() -> None:
    assert FeedValueReader().read_rows([]) == []
    (row,) = FeedValueReader().read_rows([(9, None, None, "012345678905", None, None, None)])
    assert row.external_id == "0012345678905" and row.gtin == "00012345678905" and row.error is None
