"""Every view and every tab of the main window, walked widget by widget on the demo data (with a finished
supplier-feed import): in Polish no untranslated catalogue text, raw code, English service text or wrong
plural; in English no Polish text of the UI's catalogue (``ui_language``)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabWidget

from rexbit_desktop.domain.availability import DEFAULT_TEXTS, render_available_later
from rexbit_desktop.services import demo
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.users import actor_for_login
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.dialogs import RecordingDialogs
from rexbit_desktop.ui.i18n import set_language
from rexbit_desktop.ui.main_window import MainWindow
from rexbit_desktop.ui.runner import SyncRunner
from tests.support.ui_language import english_problems, language_problems, visible_texts

# The status settings edit the codes' labels: their code and English-label columns are the data edited.
# (A header view walks its table's model: the table itself is walked.)
EDITORS = {"settings_statuses", "QHeaderView"}


def _walk(window: MainWindow) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for key in window.views:
        view = window.show_view(key)
        seen += [(f"{key}/{n}", t) for n, t in visible_texts(window)]
        for tabs in view.findChildren(QTabWidget):
            for i in range(tabs.count()):
                if not tabs.isVisible():
                    continue
                tabs.setCurrentIndex(i)
                seen += [(f"{key}/{n}", t) for n, t in visible_texts(window)]
    return [(n, t) for n, t in dict.fromkeys(seen) if n.split("/", 1)[1] not in EDITORS]


@pytest.mark.slow
def test_every_view_and_tab_speaks_the_users_language(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    filled = demo.fill_demo(db.uow(), system_actor)
    imports.import_now(db.uow, system_actor, integration_id=filled.integration_id)
    manager = actor_for_login(db.uow(), "kierownik")
    for lang, check in (("pl", language_problems), ("en", english_problems)):
        set_language(lang)
        ctx = AppContext(
            db=db,
            actor=manager,
            runner=SyncRunner(),
            dialogs=RecordingDialogs(),
            settings=QSettings("rexbit-test", lang),
        )
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.resize(1440, 900)
        window.show()
        window.show_view("integrations").select_integration(filled.integration_id)
        problems = check(_walk(window))
        assert not problems, f"{lang}: {sorted(set(problems))[:15]}"
        window.close()


def test_shop_availability_text_says_1_dzien() -> None:
    pl, en = DEFAULT_TEXTS["pl"]["available_later"], DEFAULT_TEXTS["en"]["available_later"]
    assert render_available_later(pl, 1).endswith("w ciągu 1 dzień")
    assert render_available_later(pl, 3).endswith("w ciągu 3 dni")
    assert render_available_later(en, 1).endswith("within 1 day")
    assert render_available_later(en, 5).endswith("within 5 days")
