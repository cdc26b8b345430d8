"""The desktop's context for widget tests: a real database, the given role, dialogs recorded instead of
shown, and (by default) work run synchronously."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.dialogs import RecordingDialogs
from rexbit_desktop.ui.runner import SyncRunner


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
