"""The GUI's words for the services' errors, one module per area, looked up by the error's ``code``.

Each area module has ``PHRASES`` (code → English templates, or a function) and registers the Polish of
its templates with ``ui.i18n.register``. ``tests/unit/test_error_phrasing.py`` checks that every code a
service raises has a phrase here, in both languages, and that the phrase's placeholders are params the
service gives.
"""

from __future__ import annotations

from rexbit_desktop.ui.error_strings import (
    automation,
    carriers,
    feeds,
    integrations,
    kpi,
    mail,
    ops,
    orders,
    shipping,
    shop_config,
    stock,
    users,
)
from rexbit_desktop.ui.error_strings.common import Phrase

AREAS = (
    orders,
    stock,
    shipping,
    carriers,
    integrations,
    shop_config,
    feeds,
    automation,
    ops,
    users,
    kpi,
    mail,
)

PHRASES: dict[str, Phrase] = {}
for _area in AREAS:
    PHRASES.update(_area.PHRASES)

__all__ = ["AREAS", "PHRASES", "Phrase"]
