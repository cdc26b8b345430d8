"""CSV cells that a spreadsheet would run as a formula (CSV/formula injection, OWASP).

A shop customer named ``=HYPERLINK("http://…")`` must reach a manager's Excel as text. OWASP's rule: a
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (and so
does the same after a quote). Plain numbers (``-12,50``, ``+48``) stay numbers. Every CSV the app writes
goes through ``csv_writer`` (or ``safe_cell``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[ \u00a0]\d{3})*(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet reads it literally: text starting like a formula gets a leading ``'``."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose cells are passed through ``safe_cell``."""

    def __init__(self, out: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(out, **kwargs)


__all__ = ["FORMULA_STARTS", "SafeCsvWriter", "csv_writer", "safe_cell"]
