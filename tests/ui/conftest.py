"""UI fixtures: an AppContext with a synchronous runner and recording dialogs on a real database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.dialogs import RecordingDialogs
from rexbit_desktop.ui.i18n import set_language
from rexbit_desktop.ui.runner import SyncRunner


@pytest.fixture(autouse=True)
def _polish_and_isolated_settings(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    # QSettings(org, app) uses the native format (INI under ~/.config on Linux): isolate it too.
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    set_language("pl")
    yield
    set_language("pl")


def make_ctx(db, role: Role = Role.ADMIN, login: str | None = None, sync: bool = True) -> AppContext:  # type: ignore[no-untyped-def]
    from rexbit_desktop.ui.runner import TaskRunner

    actor = Actor(login=login or role.value, role=role, display_name=(login or role.value).title())
    settings = QSettings("rexbit-test", "rexbit-desktop")
    return AppContext(
        db=db,
        actor=actor,
        runner=SyncRunner() if sync else TaskRunner(),
        dialogs=RecordingDialogs(),
        settings=settings,
    )


@pytest.fixture
def ctx(db, qtbot):  # type: ignore[no-untyped-def]
    return make_ctx(db)
