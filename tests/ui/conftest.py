"""UI fixtures: an AppContext with a synchronous runner and recording dialogs on a real database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from rexbit_desktop.ui.i18n import set_language
from tests.support.ui import make_ctx

__all__ = ["make_ctx"]  # older tests import it from here


@pytest.fixture(autouse=True)
def _polish_and_isolated_settings(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    # QSettings(org, app) uses the native format (INI under ~/.config on Linux): isolate it too.
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    set_language("pl")
    yield
    set_language("pl")


@pytest.fixture
def ctx(db, qtbot):  # type: ignore[no-untyped-def]
    return make_ctx(db)
