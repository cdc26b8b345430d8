"""Every literal passed to t() under ui/ has a Polish translation; formats follow the language."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import rexbit_desktop.ui as ui_pkg
from rexbit_desktop.ui import i18n

UI = Path(ui_pkg.__file__).resolve().parent


def _t_literals() -> set[str]:
    found: set[str] = set()
    for path in UI.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_ui_string_has_a_polish_translation() -> None:
    # importing every view registers its strings
    import importlib
    import pkgutil

    for mod in pkgutil.walk_packages([str(UI)], prefix="rexbit_desktop.ui."):
        if not mod.name.endswith("screenshots"):
            importlib.import_module(mod.name)
    missing = sorted(s for s in _t_literals() if s not in i18n.POLISH)
    assert missing == []
    # The same English text translated two ways in two views: the one imported last would win.
    assert i18n.CONFLICTS == []


def test_polish_number_and_money_formats() -> None:
    i18n.set_language("pl")
    assert i18n.format_money(Decimal("1234.5")) == "1\u00a0234,50\u00a0zł"
    assert i18n.format_quantity(Decimal("3.000")) == "3"
    i18n.set_language("en")
    assert i18n.format_money(Decimal("1234.5"), "EUR") == "1,234.50\u00a0EUR"
    i18n.set_language("pl")
