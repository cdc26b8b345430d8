"""Users: add, authenticate, and resolve who acts."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select

from rexbit_desktop.db.models import User
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import SYSTEM_LOGIN, Actor, Permission, Role

_hasher = PasswordHasher()


@dataclass(frozen=True)
class UserDTO:
    id: int
    login: str
    display_name: str
    role: str
    active: bool


def _dto(user: User) -> UserDTO:
    return UserDTO(user.id, user.login, user.display_name, user.role, user.active)


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"Unknown role '{role}'.", hint="Use one of: " + ", ".join(r.value for r in Role)
        ) from None


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    login: str,
    role: str,
    display_name: str = "",
    password: str | None = None,
) -> UserDTO:
    actor.require(Permission.USERS_EDIT)
    login = login.strip()
    if not login or len(login) > 64:
        raise ValidationError("A login must have 1 to 64 characters.")
    if login == SYSTEM_LOGIN:
        raise ValidationError(f"'{SYSTEM_LOGIN}' is the built-in account.")
    parsed = _parse_role(role)
    with uow:
        if uow.session.scalar(select(User).where(User.login == login)):
            raise ValidationError(f"User '{login}' already exists.")
        user = User(
            login=login,
            role=parsed.value,
            display_name=display_name or login,
            password_hash=_hasher.hash(password) if password else None,
            active=True,
        )
        uow.session.add(user)
        uow.session.flush()
        dto = _dto(user)
        uow.commit()
    return dto


def list_users(uow: UnitOfWork) -> list[UserDTO]:
    with uow:
        return [_dto(u) for u in uow.session.scalars(select(User).order_by(User.login))]


def ensure_system_user(uow: UnitOfWork) -> int:
    """The built-in ``system`` account (admin rights) that acts when nobody logged in (CLI, jobs)."""
    with uow:
        user = uow.session.scalar(select(User).where(User.login == SYSTEM_LOGIN))
        if user is None:
            user = User(login=SYSTEM_LOGIN, role=Role.ADMIN.value, display_name="system", active=True)
            uow.session.add(user)
            uow.session.flush()
            uow.commit()
        return user.id


def actor_for_login(uow: UnitOfWork, login: str | None) -> Actor:
    """The CLI's ``--user`` / ``REXBIT_USER``: an active user, else the system account."""
    if not login or login == SYSTEM_LOGIN:
        return Actor.system(ensure_system_user(uow))
    with uow:
        user = uow.session.scalar(select(User).where(User.login == login))
        if user is None:
            raise NotFound(f"There is no user '{login}'.", hint="Add one with: rexbit user add --login=...")
        if not user.active:
            raise PermissionDenied(f"User '{login}' is deactivated.")
        return Actor(login=user.login, role=Role(user.role), user_id=user.id, display_name=user.display_name)


def authenticate(uow: UnitOfWork, login: str, password: str) -> Actor:
    """The GUI login. A user without a password hash may log in with an empty password (demo users)."""
    with uow:
        user = uow.session.scalar(select(User).where(User.login == login.strip()))
        if user is None or not user.active or user.login == SYSTEM_LOGIN:
            raise PermissionDenied("Wrong login or password.")
        if user.password_hash:
            try:
                _hasher.verify(user.password_hash, password)
            except VerificationError:
                raise PermissionDenied("Wrong login or password.") from None
        elif password:
            raise PermissionDenied("Wrong login or password.")
        return Actor(login=user.login, role=Role(user.role), user_id=user.id, display_name=user.display_name)
