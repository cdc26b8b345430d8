"""Filling an error's phrase with its ``params``: shared by the CLI's words and the GUI's words.

A phrase is a ``str.format`` template (``"There is no order {number}."``). A missing parameter stays as
its placeholder instead of failing (a phrase must never raise while an error is being shown).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _plain(value: object) -> object:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Decimal):
        # 3.000 → 3, 2.500 → 2.5: quantities read as people write them
        return format(value.normalize(), "f") if value == value.to_integral_value() else value
    return value


def fill(template: str, params: Mapping[str, object], shown: Callable[[object], object] = _plain) -> str:
    """The template with the params in it; ``shown`` turns a value into its text (lists joined)."""
    if not template:
        return ""
    return template.format_map(_Params({k: shown(v) for k, v in params.items()}))
