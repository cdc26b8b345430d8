"""Roles, permissions and the acting user (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rexbit_desktop.domain.errors import PermissionDenied


class Role(StrEnum):
    OPERATOR = "operator"
    """Views, reserves, picks, packs, issues WZ, ships."""
    MANAGER = "manager"
    """Operator rights plus cancel, returns and settings."""
    ADMIN = "admin"
    """Manager rights plus users and integrations."""


class Permission(StrEnum):
    VIEW = "view"
    ORDERS_EDIT = "orders.edit"  # create, reserve, picking/packing, WZ, ship
    ORDERS_CANCEL = "orders.cancel"
    ORDERS_RETURN = "orders.return"
    STOCK_RECEIVE = "stock.receive"
    SETTINGS_EDIT = "settings.edit"
    QUEUE_MANAGE = "queue.manage"  # retry / flush failed jobs
    INTEGRATIONS_RUN = "integrations.run"  # import now, link, sync now
    INTEGRATIONS_EDIT = "integrations.edit"
    USERS_EDIT = "users.edit"
    REPORTS_VIEW = "reports.view"  # the KPI dashboard and its reports


_OPERATOR = {
    Permission.VIEW,
    Permission.ORDERS_EDIT,
    Permission.STOCK_RECEIVE,
    Permission.INTEGRATIONS_RUN,
}
_MANAGER = _OPERATOR | {
    Permission.ORDERS_CANCEL,
    Permission.ORDERS_RETURN,
    Permission.SETTINGS_EDIT,
    Permission.QUEUE_MANAGE,
    Permission.REPORTS_VIEW,
}
_ADMIN = _MANAGER | {Permission.INTEGRATIONS_EDIT, Permission.USERS_EDIT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(_ADMIN),
}

SYSTEM_LOGIN = "system"


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user, the built-in ``system`` account, or a scheduled job."""

    login: str
    role: Role
    user_id: int | None = None
    display_name: str = ""

    @classmethod
    def system(cls, user_id: int | None = None) -> Actor:
        return cls(login=SYSTEM_LOGIN, role=Role.ADMIN, user_id=user_id, display_name="system")

    @classmethod
    def job(cls, task_name: str) -> Actor:
        """A queued job or a schedule acts with admin rights and is recorded as ``job:<task>``."""
        return cls(login=f"job:{task_name}", role=Role.ADMIN, display_name=task_name)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"User '{self.login}' (role {self.role.value}) may not do this ({permission.value})."
            )
