"""The catalog CSV file read and checked whole: every bad row is reported, nothing is imported from a
file with one (``import_products`` in ``products.py`` writes what this returns)."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rexbit_desktop.adapters.feeds.csv_reader import detect_delimiter
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.feed_values import FeedValueError, gtin_to_ean13, normalise_gtin
from rexbit_desktop.domain.prices import parse_sale_price

CATALOG_COLUMNS = ("sku", "ean", "name", "unit", "vat_rate", "price_gross")
OPTIONAL_COLUMNS = ("unit", "vat_rate", "price_gross")  # a file without one keeps its values
MAX_CATALOG_ERRORS = 20


def read_catalog_file(
    path: Path,
) -> tuple[list[tuple[str, str | None, str, str, Decimal, Decimal | None]], set[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Cannot read {path}: {exc.strerror or exc}.", code="cannot_read", params={"path": str(path)}
        ) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path.name} is not UTF-8 text (byte 0x{raw[exc.start]:02X} at {exc.start}).",
            hint="Save the catalog as CSV UTF-8.",
            code="catalog_not_utf8",
            params={"file": path.name},
        ) from None
    delimiter = detect_delimiter(content[:65536], '"')
    import pandas as pd  # on first use: the UI lists products without it

    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ValidationError(
            f"{path.name} is not a readable CSV file: {exc}",
            code="catalog_not_csv",
            params={"file": path.name},
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"cena_brutto": "price_gross"})  # the Polish header is welcome too
    missing = [c for c in ("sku", "name") if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{path.name} has no column {', '.join(missing)}.",
            hint="The header row needs sku, ean, name and optionally unit, vat_rate, price_gross.",
            code="catalog_columns_missing",
            params={"file": path.name, "missing": list(missing)},
        )
    if len(frame) == 0:
        raise ValidationError(f"{path.name} has no rows.", code="catalog_empty", params={"file": path.name})
    n = len(frame)
    col = {c: (frame[c].tolist() if c in frame.columns else [""] * n) for c in CATALOG_COLUMNS}
    errors: list[str] = []
    seen: dict[str, int] = {}
    out = []
    for i in range(n):
        line = i + 2
        sku = col["sku"][i].strip()
        name = col["name"][i].strip()
        unit = col["unit"][i].strip() or "szt."
        reasons = []
        if not sku:
            reasons.append("no sku")
        elif len(sku) > 64:
            reasons.append("sku longer than 64 characters")
        elif sku.upper() in seen:
            reasons.append(f"sku {sku} repeats line {seen[sku.upper()]}")
        else:
            seen[sku.upper()] = line
        if not name:
            reasons.append("no name")
        ean: str | None = None
        try:
            gtin = normalise_gtin(col["ean"][i])
            ean = gtin_to_ean13(gtin) if gtin else None
        except FeedValueError as exc:
            reasons.append(str(exc))
        vat_text = col["vat_rate"][i].strip().replace(",", ".").rstrip("%") or "23"
        try:
            vat = Decimal(vat_text)
            if not Decimal(0) <= vat <= Decimal(100):
                raise InvalidOperation
        except InvalidOperation:
            reasons.append(f"vat_rate '{col['vat_rate'][i]}' is not a rate between 0 and 100")
            vat = Decimal(23)
        price: Decimal | None = None
        try:
            price = parse_sale_price(col["price_gross"][i])
        except ValidationError:
            reasons.append(
                f"price_gross '{col['price_gross'][i]}' is not a price (non-negative, two decimals)"
            )
        if reasons:
            if len(errors) < MAX_CATALOG_ERRORS:
                errors.append(f"line {line}: {'; '.join(reasons)}")
            continue
        out.append((sku, ean, name[:500], unit[:20], vat, price))
    if errors:
        raise ValidationError(
            f"{path.name}: {len(errors)}{'+' if len(errors) >= MAX_CATALOG_ERRORS else ''} invalid row(s); "
            "nothing was imported.\n" + "\n".join(errors),
            code="catalog_rows_invalid",
            params={"file": path.name, "count": len(errors), "rows": list(errors)},
        )
    return out, {c for c in OPTIONAL_COLUMNS if c in frame.columns}
