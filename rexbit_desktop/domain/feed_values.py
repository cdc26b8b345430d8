"""Reading the values of a supplier feed: SKU and EAN as text, quantities, prices, delivery days.

Pure Python. Everything a wholesaler writes is text first: ``>10``, ``brak``, ``1 234,56``,
``349.00 PLN``, ``3-5 dni``, ``in_stock``. A value we cannot read makes the row invalid with a reason;
we never guess a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, NamedTuple

from stdnum import ean as stdnum_ean

# Fields an import profile maps to the feed's columns or paths.
FEED_FIELDS = ("external_id", "sku", "ean", "stock_quantity", "delivery_days", "purchase_price")
ID_FIELDS = ("sku", "ean")

DEFAULT_NOMINAL_QUANTITY = Decimal(10)

# Availability words of Polish wholesalers and of Google Merchant Center (both spellings).
_ZERO_WORDS = {
    "brak",
    "brak towaru",
    "brak na stanie",
    "niedostępny",
    "niedostepny",
    "nie",
    "wyprzedany",
    "na zamówienie",
    "na zamowienie",
    "out_of_stock",
    "out of stock",
    "preorder",
    "pre-order",
    "backorder",
    "discontinued",
}
_AVAILABLE_WORDS = {
    "dostępny",
    "dostepny",
    "jest",
    "tak",
    "na stanie",
    "in_stock",
    "in stock",
    "available",
    "limited availability",
}
_IMMEDIATE_WORDS = {"natychmiast", "od ręki", "od reki", "od razu", "dziś", "dzis"}

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_CURRENCY = re.compile(
    r"^(?:pln|zł|zl|eur|€|usd|\$|gbp|czk)\s*|\s*(?:pln|zł|zl|eur|€|usd|\$|gbp|czk)\.?$", re.I
)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_MORE_THAN = re.compile(r"^(?:>=?|\+|powyżej|powyzej|ponad|min\.?)\s*(\d+(?:[.,]\d+)?)$", re.I)
_PLUS_AFTER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*\+$")
_LESS_THAN = re.compile(r"^(?:<=?|poniżej|ponizej)\s*(\d+)$", re.I)
_RANGE = re.compile(r"^(\d+)\s*[-–]\s*(\d+)$")
_HOURS = re.compile(r"^(\d+)\s*(?:-\s*(\d+)\s*)?(?:h|godz\.?|godzin[ya]?|hours?)$", re.I)
_DAYS = re.compile(
    r"^(\d+)\s*(?:[-–]\s*(\d+)\s*)?(?:d|dni|dzień|dzien|dni robocze|dni roboczych|days?)?\.?$", re.I
)
_WEEKS = re.compile(r"^(\d+)\s*(?:[-–]\s*(\d+)\s*)?(?:tyg\.?|tydzień|tydzien|tygodnie|tygodni|weeks?)$", re.I)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_GTIN_SEPARATORS = re.compile(r"[\s\-]")
_PLAIN_NUMBER = re.compile(r"^\d{1,12}(?:[.,](?:\d{1,2}|\d{4,6}))?$")
# The Polish way of writing a price: "1 234,56" with a (no-break) space between thousands.
_POLISH_NUMBER = re.compile(r"^\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,3}(?:,\d{1,6})?$")
_GROUP_SPACES = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, ",": "."})


class FeedValueError(ValueError):
    """A feed value that cannot be read; the message is the reason shown with the line number."""


def clean_text(raw: str | None) -> str | None:
    """Trimmed text, ``None`` when empty (NBSP counts as whitespace)."""
    if raw is None:
        return None
    text = raw.replace("\u00a0", " ").strip()
    return text or None


def normalise_sku(raw: str | None) -> str | None:
    """A SKU as text: trimmed, leading zeros and case kept (matching compares it upper-cased)."""
    text = clean_text(raw)
    if text is not None and len(text) > 200:
        raise FeedValueError(f"SKU longer than 200 characters ({text[:20]}…)")
    return text


def item_key(raw: str | None) -> str | None:
    """A supplier item's key (``external_id``, by default its SKU) as stored on its offer: trimmed, inner
    whitespace runs as one space, upper-cased — ``" hx-0002 "`` and ``HX-0002`` are one item, as
    matching already treats them. Normalised once, here; every lookup by key uses the same form."""
    text = clean_text(raw)
    return None if text is None else " ".join(text.split()).upper()


def sku_match_key(sku: str) -> str:
    """How SKUs compare: trimmed and upper-cased (the index ``upper(btrim(sku))`` on products)."""
    return sku.strip().upper()


def normalise_gtin(raw: str | None) -> str | None:
    """EAN-8/UPC-12/EAN-13/GTIN-14 as a zero-padded GTIN-14, check digit validated (python-stdnum).

    ``0012345678905`` (EAN-13 of a UPC) and ``012345678905`` (UPC-12) give the same GTIN-14.
    """
    text = clean_text(raw)
    if text is None:
        return None
    compact = text if text.isdigit() else _GTIN_SEPARATORS.sub("", text)
    if not compact.isdigit() or not compact.isascii():
        raise FeedValueError(f"EAN '{text}' is not made of digits")
    if len(compact) not in (8, 12, 13, 14):
        raise FeedValueError(f"EAN '{text}' has {len(compact)} digits (8, 12, 13 or 14 expected)")
    # The check digit alone (stdnum's is_valid also re-cleans the text, which costs 3× more per row).
    if stdnum_ean.calc_check_digit(compact[:-1]) != compact[-1]:
        raise FeedValueError(f"EAN '{text}' has a wrong check digit")
    return compact.zfill(14)


def gtin_to_ean13(gtin14: str) -> str:
    """A GTIN-14 shown the way shops store it: EAN-13 when the indicator digit is 0."""
    return gtin14[1:] if gtin14.startswith("0") else gtin14


def parse_decimal(raw: str | None, *, decimal: str | None = None) -> Decimal | None:
    """A number written the Polish or the English way: ``1 234,56``, ``1.234,56``, ``7,5``, ``349.00 PLN``.

    ``decimal``: the decimal separator when the feed says so ("," or "."); ``None`` guesses from the text.
    """
    if (
        raw
        and _PLAIN_NUMBER.match(raw)
        and not (decimal == "." and "," in raw)
        and not (decimal == "," and "." in raw)
    ):
        # Most feed numbers are plain: "12", "349,00" (a lone separator followed by 1–2 or 4–6 digits
        # is never a thousands separator).
        return Decimal(raw.replace(",", "."))
    if raw and decimal != "." and _POLISH_NUMBER.match(raw):
        return Decimal(raw.translate(_GROUP_SPACES))
    text = clean_text(raw)
    if text is None:
        return None
    body = _CURRENCY.sub("", text)
    body = _SPACES.sub("", body)
    if not body:
        raise FeedValueError(f"'{text}' is not a number")
    sep = decimal
    if sep is None:
        if "," in body and "." in body:
            sep = "," if body.rfind(",") > body.rfind(".") else "."
        elif body.count(",") == 1:
            sep = ","
        elif body.count(".") == 1:
            sep = "."
        else:
            sep = ","  # several separators of one kind are thousands separators
    thousands = "." if sep == "," else ","
    body = body.replace(thousands, "").replace(sep, ".")
    if not _NUMBER.fullmatch(body):
        raise FeedValueError(f"'{text}' is not a number")
    try:
        return Decimal(body)
    except InvalidOperation:
        raise FeedValueError(f"'{text}' is not a number") from None


def parse_quantity(
    raw: str | None, *, decimal: str | None = None, nominal: Decimal = DEFAULT_NOMINAL_QUANTITY
) -> Decimal | None:
    """Stock as a number: ``12``, ``>10`` → 10, ``10+`` → 10, ``<5`` → 4, ``5-10`` → 5, ``brak`` → 0,
    ``in_stock``/``dostępny`` → ``nominal``. Negative numbers and more than ``MAX_STOCK`` are refused."""
    value = _quantity(raw, decimal, nominal)
    if value is not None and value > MAX_STOCK:
        raise FeedValueError(f"stock '{clean_text(raw)}' is too large (at most {MAX_STOCK})")
    return value


def _quantity(raw: str | None, decimal: str | None, nominal: Decimal) -> Decimal | None:
    text = clean_text(raw)
    if text is None:
        return None
    word = text.casefold()
    if word in _ZERO_WORDS:
        return Decimal(0)
    if word in _AVAILABLE_WORDS:
        return nominal
    if m := _MORE_THAN.match(text) or _PLUS_AFTER.match(text):
        return _non_negative(parse_decimal(m.group(1), decimal=decimal), text)
    if m := _LESS_THAN.match(text):
        return Decimal(max(int(m.group(1)) - 1, 0))
    if m := _RANGE.match(text):
        return Decimal(min(int(m.group(1)), int(m.group(2))))
    try:
        value = parse_decimal(text, decimal=decimal)
    except FeedValueError:
        raise FeedValueError(f"stock '{text}' is not a quantity") from None
    return _non_negative(value, text, what="stock")


def parse_price(raw: str | None, *, decimal: str | None = None) -> Decimal | None:
    """A price, with or without its currency: ``349.00 PLN``, ``1 234,56 zł``. Negative is refused."""
    text = clean_text(raw)
    if text is None:
        return None
    try:
        value = parse_decimal(text, decimal=decimal)
    except FeedValueError:
        raise FeedValueError(f"price '{text}' is not a number") from None
    value = _non_negative(value, text, what="price")
    if value is not None and value > MAX_PRICE:
        raise FeedValueError(f"price '{text}' is too large (at most {MAX_PRICE})")
    return value


def parse_delivery_days(raw: str | None, *, today: date | None = None) -> int | None:
    """Delivery time in days: ``24h`` → 1, ``48 godz.`` → 2, ``3-5 dni`` → 5 (the later end: we promise
    what the supplier can keep), ``2 tyg.`` → 14, ``natychmiast`` → 0, an ISO date → days from ``today``.
    More than 9999 days is refused (no promise; the shop sync would call it a bad offer anyway)."""
    days = _delivery_days(raw, today)
    if days is not None and days > MAX_DELIVERY_DAYS:
        raise FeedValueError(f"delivery time '{clean_text(raw)}' is more than {MAX_DELIVERY_DAYS} days")
    return days


def _delivery_days(raw: str | None, today: date | None) -> int | None:
    text = clean_text(raw)
    if text is None:
        return None
    word = text.casefold()
    if word in _IMMEDIATE_WORDS:
        return 0
    if m := _HOURS.match(text):
        hours = int(m.group(2) or m.group(1))
        return math.ceil(hours / 24)
    if m := _DAYS.match(text):
        return int(m.group(2) or m.group(1))
    if m := _WEEKS.match(text):
        return 7 * int(m.group(2) or m.group(1))
    if m := _ISO_DATE.match(text):
        try:
            when = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise FeedValueError(f"delivery date '{text}' does not exist") from None
        base = today or datetime.now(UTC).date()
        return max((when - base).days, 0)
    if text.startswith("-"):
        raise FeedValueError(f"delivery time '{text}' is negative")
    raise FeedValueError(f"delivery time '{text}' is not readable")


# What the staging table holds (stock numeric(14,3), price numeric(14,4)): a larger value is an invalid
# row with its reason, not a failed run.
MAX_STOCK = Decimal("99999999999.999")
MAX_PRICE = Decimal("9999999999.9999")
MAX_DELIVERY_DAYS = 9999


def _non_negative(value: Decimal | None, text: str, what: str = "value") -> Decimal | None:
    if value is not None and value < 0:
        raise FeedValueError(f"{what} '{text}' is negative")
    return value


class StagedValues(NamedTuple):
    """One feed row after reading: what the run stages. ``error`` set = the row is invalid.

    A named tuple, not a dataclass: a million of them are built per large feed."""

    line: int
    external_id: str | None
    sku: str | None
    gtin: str | None
    stock_quantity: Decimal | None
    delivery_days: int | None
    purchase_price: Decimal | None
    error: str | None = None
    warning: str | None = None


_CHECKED_FIELDS = FEED_FIELDS[1:]  # all but external_id, which is only trimmed


@dataclass
class FeedValueReader:
    """Reads raw feed text of one profile into ``StagedValues``, a chunk at a time and column by column:
    each distinct text of a column is read once per chunk (feeds repeat ``brak``, ``24h`` and prices
    thousands of times), and the rows are put together from the columns afterwards."""

    decimal: str | None = None
    nominal_quantity: Decimal = DEFAULT_NOMINAL_QUANTITY
    # Per field, raw text (case-insensitive) → replacement text, e.g. Ceneo ``{"99": ""}`` for avail.
    value_maps: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    today: date | None = None

    def __post_init__(self) -> None:
        self.value_maps = {
            f: {str(k).strip().casefold(): v for k, v in m.items()} for f, m in self.value_maps.items()
        }
        self._parsers: dict[str, Any] = {
            "external_id": item_key,
            "sku": normalise_sku,
            "ean": normalise_gtin,
            "stock_quantity": partial(parse_quantity, decimal=self.decimal, nominal=self.nominal_quantity),
            "delivery_days": partial(parse_delivery_days, today=self.today),
            "purchase_price": partial(parse_price, decimal=self.decimal),
        }

    def _mapped(self, name: str, raw: str | None) -> str | None:
        table = self.value_maps.get(name)
        if not table or raw is None:
            return raw
        key = raw.replace("\u00a0", " ").strip().casefold()
        if key in table:
            value = table[key]
            return None if value is None else str(value)
        return raw

    def _column(self, name: str, raws: Sequence[str | None]) -> tuple[list[Any], set[int]]:
        """The column's values, and the positions of the unreadable ones (their value is the reason)."""
        parse = self._parsers[name]
        values: dict[str | None, Any] = dict.fromkeys(raws)
        bad: set[str | None] = set()
        for raw in values:
            try:
                values[raw] = parse(self._mapped(name, raw))
            except FeedValueError as exc:
                # The reason, not the exception: a kept exception keeps its traceback's frames alive.
                values[raw] = str(exc)
                bad.add(raw)
        column = [values[raw] for raw in raws]
        return column, ({i for i, raw in enumerate(raws) if raw in bad} if bad else set())

    def read_rows(self, rows: Sequence[Sequence[Any]]) -> list[StagedValues]:
        """``rows``: ``(line, external_id, sku, ean, stock, delivery_days, price)`` as feed text."""
        if not rows:
            return []
        lines, *raw_columns = zip(*rows, strict=True)
        (
            (exts, _),
            (skus, bad_sku),
            (gtins, bad_ean),
            (stocks, bad_stock),
            (days, bad_days),
            (prices, bad_price),
        ) = (self._column(name, raws) for name, raws in zip(FEED_FIELDS, raw_columns, strict=True))
        unusual = bad_sku | bad_ean | bad_stock | bad_days | bad_price
        columns = (skus, gtins, stocks, days, prices)
        bad = (bad_sku, bad_ean, bad_stock, bad_days, bad_price)
        out: list[StagedValues] = []
        append = out.append
        for i, line in enumerate(lines):
            if i in unusual:
                append(self._row_with_errors(i, int(line), exts[i], columns, bad))
                continue
            ext, sku, gtin = exts[i], skus[i], gtins[i]
            if ext is None:
                ext = (
                    item_key(sku) if sku is not None else (gtin_to_ean13(gtin) if gtin is not None else None)
                )
            if ext is None or len(ext) > 200:
                append(self._row_with_errors(i, int(line), exts[i], columns, bad))
            else:
                append(StagedValues(int(line), ext, sku, gtin, stocks[i], days[i], prices[i]))
        return out

    @staticmethod
    def _row_with_errors(
        i: int, line: int, ext: str | None, columns: tuple[list[Any], ...], bad: tuple[set[int], ...]
    ) -> StagedValues:
        """A row with an unreadable value, no identifier or too long a one: its reasons in field order."""
        sku, gtin, stock, days, price = (None if i in b else c[i] for c, b in zip(columns, bad, strict=True))
        # An unreadable value's column holds its reason.
        reason = {f: c[i] for f, c, b in zip(_CHECKED_FIELDS, columns, bad, strict=True) if i in b}
        reasons = [reason["sku"]] if "sku" in reason else []
        warning = None
        if "ean" in reason:
            # A bad EAN does not sink a row that has a SKU: it is matched by SKU only.
            if sku is None:
                reasons.append(reason["ean"])
            else:
                warning = f"{reason['ean']}; matched by SKU only"
        reasons += [reason[f] for f in ("stock_quantity", "delivery_days", "purchase_price") if f in reason]
        if ext is None:
            ext = item_key(sku) if sku is not None else (gtin_to_ean13(gtin) if gtin is not None else None)
        if sku is None and gtin is None and not reasons:
            reasons.append("no SKU and no EAN")
        if ext is not None and len(ext) > 200:
            reasons.append("external id longer than 200 characters")
            ext = ext[:200]
        return StagedValues(line, ext, sku, gtin, stock, days, price, "; ".join(reasons) or None, warning)

    def read(
        self,
        line: int,
        *,
        external_id: str | None = None,
        sku: str | None = None,
        ean: str | None = None,
        stock_quantity: str | None = None,
        delivery_days: str | None = None,
        purchase_price: str | None = None,
    ) -> StagedValues:
        """One row (the same reading as ``read_rows``)."""
        row = (line, external_id, sku, ean, stock_quantity, delivery_days, purchase_price)
        return self.read_rows([row])[0]
