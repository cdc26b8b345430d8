"""Walk every visible widget of a window and collect what a person reads: labels, buttons, tabs, group
titles, combo items, placeholders, tooltips, table cells and headers, menu entries, window titles.

``language_problems`` flags, in Polish mode, any text that is an English source string of the UI's
catalogue (``i18n.POLISH`` keys whose translation differs: an untranslated ``t()``), any raw code of a
status / payment / fulfilment / source / document / feed field / integration type (also inside a longer
text: "nowy status = awaiting_fulfillment"), English service texts ("278 rows: 273 matched…", cron
errors, "deferred"), a wrong Polish plural ("1 dni", "5 sztuki"), and any traceback.

``english_problems`` flags, in English mode, any text that is a Polish translation of the catalogue
(a ``t()`` evaluated while the language was Polish, e.g. at import time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabWidget,
    QWidget,
)

from rexbit_desktop.domain.orders import FulfillmentStatus, OrderStatus, PaymentStatus
from rexbit_desktop.ui.i18n import POLISH

RAW_CODES = (
    {s.value for s in OrderStatus}
    | {p.value for p in PaymentStatus}
    | {f.value for f in FulfillmentStatus}
    | {"manual", "phone", "prestashop", "issue_wz", "storno", "posted", "partially_released", "supplier_feed"}
    | {"prestashop_db", "delivery_days", "stock_quantity", "purchase_price", "external_id"}
)
_SNAKE = re.compile(r"(?<![.\w])[a-z]+(?:_[a-z]+)+\b")  # not a template variable (order.external_id)
# What the services say in English and the GUI must phrase itself.
ENGLISH_SERVICE_TEXT = re.compile(
    r"\d+ rows: \d+ matched|\bunmatched\b|\bambiguous\b|Invalid cron|Error validating|is not valid|\bdeferred\b"
)
# Polish plurals: "1 dzień / 2 dni", "1 sztuka / 2 sztuki / 5 sztuk" (12–14 take the "many" form).
WRONG_PLURAL = re.compile(
    r"(?<![\d,.])1 (?:dni|sztuki|sztuk|zamówienia|zamówień|pozycje|pozycji)\b"
    r"|(?<![\d,.])(?:[2-4]|[02-9][2-4]) (?:sztuk|zamówień|pozycji|dzień)\b"
    r"|(?<![\d,.])(?:[5-9]|1[0-9]) (?:sztuki|zamówienia|pozycje|dzień)\b"
)
_TAG = re.compile(r"<[^>]+>")


def _clean(text: str) -> list[str]:
    text = _TAG.sub("\n", text.replace("&nbsp;", " ")).replace("&", "")
    return [part.strip() for part in re.split(r"\n|: |·", text) if part.strip()]


def _view_texts(view: QAbstractItemView, max_rows: int = 60) -> Iterable[str]:
    model = view.model()
    if model is None:
        return
    root = QModelIndex()
    try:
        columns = model.columnCount(root)
    except TypeError:  # a list model (its columnCount is private in Qt): one column
        columns = 1
    for c in range(columns):
        header = model.headerData(c, Qt.Orientation.Horizontal)
        if header:
            yield str(header)
    for r in range(min(model.rowCount(root), max_rows)):
        for c in range(columns):
            value = model.index(r, c).data()
            if value is not None and str(value):
                yield str(value)


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(widget name, text) for every visible widget under ``root`` (``root`` included)."""
    out: list[tuple[str, str]] = [("window title", root.windowTitle())]
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisible() and not isinstance(w, QMenu):
            continue
        name = w.objectName() or type(w).__name__
        texts: list[str] = []
        if w.toolTip():
            texts.append(w.toolTip())
        if isinstance(w, QLabel | QAbstractButton):
            texts.append(w.text())
        elif isinstance(w, QGroupBox):
            texts.append(w.title())
        elif isinstance(w, QTabWidget):
            texts += [w.tabText(i) for i in range(w.count())]
        elif isinstance(w, QComboBox):
            texts += [w.itemText(i) for i in range(w.count())]
        elif isinstance(w, QLineEdit):
            texts.append(w.placeholderText())
        elif isinstance(w, QMenu):
            texts += [a.text() for a in w.actions()]
        elif isinstance(w, QAbstractItemView):
            texts += list(_view_texts(w))
        out += [(name, t) for t in texts if t]
    return out


def language_problems(texts: Iterable[tuple[str, str]]) -> list[str]:
    # An English source text on screen is untranslated — unless it is also a Polish text ("Profile").
    untranslated = {english for english, polish in POLISH.items() if english != polish} - set(POLISH.values())
    problems = []
    for name, text in texts:
        if "Traceback" in text:
            problems.append(f"{name}: a traceback")
        if ENGLISH_SERVICE_TEXT.search(text):
            problems.append(f"{name}: English service text {text!r}")
        if WRONG_PLURAL.search(text):
            problems.append(f"{name}: wrong Polish plural in {text!r}")
        for token in _SNAKE.findall(text):
            if token in RAW_CODES and token != text.strip():
                problems.append(f"{name}: raw code {token!r} in {text!r}")
        if text.strip() in untranslated:
            problems.append(f"{name}: untranslated {text!r}")
        for part in _clean(text):
            if part in RAW_CODES:
                problems.append(f"{name}: raw code {part!r} in {text!r}")
            elif part in untranslated and part != text.strip():
                problems.append(f"{name}: untranslated {part!r} in {text!r}")
    return problems


def english_problems(texts: Iterable[tuple[str, str]]) -> list[str]:
    """In English mode: Polish texts of the UI's catalogue on screen (a ``t()`` run while Polish), and
    codes with an underscore (``supplier_feed``, ``delivery_days``) where words belong."""
    polish = {pl for english, pl in POLISH.items() if english != pl} - set(POLISH)
    problems = []
    for name, text in texts:
        if text.strip() in polish:
            problems.append(f"{name}: Polish {text!r}")
        for token in _SNAKE.findall(text):
            if token in RAW_CODES:
                problems.append(f"{name}: raw code {token!r} in {text!r}")
        for part in _clean(text):
            if part in polish and part != text.strip():
                problems.append(f"{name}: Polish {part!r} in {text!r}")
    return problems
