"""What every view gets: the database, who is logged in, the task runner, dialogs and per-user settings.

Passed explicitly (no global singletons), so tests build one with a ``SyncRunner`` and ``RecordingDialogs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.ui.dialogs import DialogService
from rexbit_desktop.ui.runner import TaskRunner


@dataclass
class AppContext:
    db: Database
    actor: Actor
    runner: TaskRunner
    dialogs: DialogService = field(default_factory=DialogService)
    settings: QSettings | None = None
    # The in-process worker for single-workstation mode (``queueing.workers.start_local_worker``), when running.
    local_worker: Any = None

    def can(self, permission: Permission) -> bool:
        return self.actor.can(permission)

    def user_settings(self) -> QSettings:
        """QSettings scoped to the logged-in user (geometry, column widths, last filters)."""
        if self.settings is None:
            self.settings = QSettings("rexbit", "rexbit-desktop")
        return self.settings

    def setting(self, key: str, default: Any = None) -> Any:
        s = self.user_settings()
        return s.value(f"users/{self.actor.login}/{key}", default)

    def set_setting(self, key: str, value: Any) -> None:
        self.user_settings().setValue(f"users/{self.actor.login}/{key}", value)
