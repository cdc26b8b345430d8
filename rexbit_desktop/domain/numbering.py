"""Document and order number patterns (pure Python).

A pattern mixes fixed text with ``{yyyy}`` (year), ``{yy}``, ``{mm}`` (month), ``{dd}`` and the sequence:
``{n}`` (no padding, or the configured padding) or ``{nnnn}`` (zero-padded to as many digits as n's).
The counter lives in a *series*: one per period of the reset rule, so that a monthly reset restarts at 1
each month. The database hands out the numbers (``number_series`` row locked in the posting transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rexbit_desktop.domain.errors import ValidationError

_TOKEN = re.compile(r"\{([a-z]+)\}")
_KNOWN = {"yyyy", "yy", "mm", "dd"}


class Reset(StrEnum):
    NEVER = "never"
    YEARLY = "yearly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class NumberPattern:
    pattern: str
    reset: Reset = Reset.MONTHLY
    prefix: str = ""
    suffix: str = ""
    padding: int = 0
    """Zero-padding of a bare ``{n}``; ``{nnnn}`` carries its own width."""

    def __post_init__(self) -> None:
        validate_pattern(self.pattern, self.reset, self.padding)

    def series_key(self, kind: str, day: date) -> str:
        """The counter this number is taken from: ``kind`` plus the period of the reset rule."""
        if self.reset is Reset.MONTHLY:
            return f"{kind}/{day.year:04d}/{day.month:02d}"
        if self.reset is Reset.YEARLY:
            return f"{kind}/{day.year:04d}"
        return kind

    def format(self, value: int, day: date) -> str:
        def repl(match: re.Match[str]) -> str:
            token = match.group(1)
            if token == "yyyy":
                return f"{day.year:04d}"
            if token == "yy":
                return f"{day.year % 100:02d}"
            if token == "mm":
                return f"{day.month:02d}"
            if token == "dd":
                return f"{day.day:02d}"
            width = len(token) if len(token) > 1 else self.padding
            return str(value).zfill(width)

        return self.prefix + _TOKEN.sub(repl, self.pattern) + self.suffix

    def parts(self, day: date) -> tuple[str, int, str]:
        """``(head, width, tail)``: ``format(n, day) == head + str(n).zfill(width) + tail`` — for building
        the number in SQL next to the counter."""
        seq = next(m for m in _TOKEN.finditer(self.pattern) if set(m.group(1)) == {"n"})
        token = seq.group(1)
        width = len(token) if len(token) > 1 else self.padding
        head = NumberPattern(self.pattern[: seq.start()] + "{n}", Reset.NEVER).format(0, day)[:-1]
        tail = NumberPattern("{n}" + self.pattern[seq.end() :], Reset.NEVER).format(0, day)[1:]
        return self.prefix + head, width, tail + self.suffix


def validate_pattern(pattern: str, reset: Reset | str, padding: int = 0) -> None:
    """Refuse patterns that would repeat numbers (a monthly reset without the month in the number)."""
    try:
        reset = Reset(reset)
    except ValueError:
        raise ValidationError(
            f"Unknown numbering reset '{reset}'.",
            hint="Use one of: never, yearly, monthly.",
            code="numbering_reset_unknown",
            params={"reset": reset},
        ) from None
    tokens = _TOKEN.findall(pattern)
    unknown = [t for t in tokens if t not in _KNOWN and set(t) != {"n"}]
    if unknown:
        raise ValidationError(
            f"Unknown placeholder {{{unknown[0]}}} in the numbering pattern '{pattern}'.",
            hint="Use {yyyy}, {yy}, {mm}, {dd} and {n} or {nnnn} (zero-padded to 4 digits).",
            code="numbering_placeholder_unknown",
            params={"placeholder": unknown[0], "pattern": pattern},
        )
    sequence = [t for t in tokens if set(t) == {"n"}]
    if len(sequence) != 1:
        raise ValidationError(
            f"The numbering pattern '{pattern}' must contain the sequence exactly once.",
            hint="Add {n} or {nnnn}, e.g. WZ/{yyyy}/{mm}/{nnnn}.",
            code="numbering_sequence_missing",
            params={"pattern": pattern},
        )
    has_year = "yyyy" in tokens or "yy" in tokens
    if reset is Reset.YEARLY and not has_year:
        raise ValidationError(
            f"A yearly reset needs the year in the pattern '{pattern}', else numbers repeat.",
            hint="Add {yyyy} or {yy}.",
            code="numbering_year_missing",
            params={"pattern": pattern},
        )
    if reset is Reset.MONTHLY and not (has_year and "mm" in tokens):
        raise ValidationError(
            f"A monthly reset needs the year and the month in the pattern '{pattern}', else numbers repeat.",
            hint="Add {yyyy} and {mm}.",
            code="numbering_month_missing",
            params={"pattern": pattern},
        )
    if not 0 <= padding <= 12:
        raise ValidationError(
            "Number padding must be between 0 and 12 digits.", code="numbering_padding", params={"max": 12}
        )


WZ_PATTERN = NumberPattern("WZ/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY)
PZ_PATTERN = NumberPattern("PZ/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY)
IN_PATTERN = NumberPattern("IN/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY)
RES_PATTERN = NumberPattern("RES/{yyyy}/{mm}/{nnnn}", Reset.MONTHLY)

DOCUMENT_PATTERNS: dict[str, NumberPattern] = {
    "WZ": WZ_PATTERN,
    "PZ": PZ_PATTERN,
    "IN": IN_PATTERN,
    "RES": RES_PATTERN,
}
