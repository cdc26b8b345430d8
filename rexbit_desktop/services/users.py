"""Users: add, set passwords, authenticate, and resolve who acts.

Password policy (also in docs/foundation.md):

* Passwords have at least ``MIN_PASSWORD_LENGTH`` characters and are stored as argon2id hashes.
* A user added without a password cannot log in to the desktop app until an admin (or the user, from the
  command line) sets one; the command line may still act as that user (``--user``), because whoever runs
  ``rexbit`` already holds the database URL.
* The built-in ``system`` account never logs in to the desktop app; deactivated users nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from rexbit_desktop.db.models import User
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import SYSTEM_LOGIN, Actor, Permission, Role

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 8
_LOGIN = re.compile(r"^[\w.@-]{1,64}$")


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
            f"Unknown role '{role}'.",
            hint="Use one of: " + ", ".join(r.value for r in Role),
            code="role_unknown",
            params={"role": role},
        ) from None


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password must have at least {MIN_PASSWORD_LENGTH} characters.",
            hint="Choose a longer password (a short sentence is easy to remember).",
            code="password_too_short",
            params={"min": MIN_PASSWORD_LENGTH},
        )
    return _hasher.hash(password)


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
    if not _LOGIN.match(login):
        raise ValidationError(
            f"'{login}' is not a valid login.",
            hint="Use 1 to 64 letters, digits, dots, dashes, underscores or @, without spaces.",
            code="login_invalid",
            params={"login": login},
        )
    if login.lower() == SYSTEM_LOGIN or login.startswith("job:"):
        raise ValidationError(
            f"'{login}' is reserved for the built-in account.", code="login_reserved", params={"login": login}
        )
    parsed = _parse_role(role)
    password_hash = _check_password(password) if password else None
    with uow:
        if uow.session.scalar(select(User).where(func.lower(User.login) == login.lower())):
            raise ValidationError(
                f"User '{login}' already exists.", code="user_exists", params={"login": login}
            )
        user = User(
            login=login,
            role=parsed.value,
            display_name=display_name.strip() or login,
            password_hash=password_hash,
            active=True,
        )
        uow.session.add(user)
        uow.session.flush()
        dto = _dto(user)
        uow.commit()
    return dto


def _user(uow: UnitOfWork, login: str) -> User:
    user = uow.session.scalar(select(User).where(User.login == login.strip()))
    if user is None or user.login == SYSTEM_LOGIN:
        raise NotFound(f"There is no user '{login}'.", code="user_not_found", params={"login": login})
    return user


def set_password(uow: UnitOfWork, actor: Actor, *, login: str, password: str) -> UserDTO:
    """An admin sets anyone's password; a user may set their own."""
    if actor.login != login.strip():
        actor.require(Permission.USERS_EDIT)
    password_hash = _check_password(password)
    with uow:
        user = _user(uow, login)
        user.password_hash = password_hash
        dto = _dto(user)
        uow.commit()
    return dto


def set_active(uow: UnitOfWork, actor: Actor, *, login: str, active: bool) -> UserDTO:
    actor.require(Permission.USERS_EDIT)
    if not active and actor.login == login.strip():
        raise ValidationError("You cannot deactivate yourself.", code="cannot_deactivate_self")
    with uow:
        user = _user(uow, login)
        user.active = active
        dto = _dto(user)
        uow.commit()
    return dto


def list_users(uow: UnitOfWork, actor: Actor | None = None) -> list[UserDTO]:
    if actor is not None:
        actor.require(Permission.VIEW)
    with uow:
        return [_dto(u) for u in uow.session.scalars(select(User).order_by(User.login))]


def ensure_system_user(uow: UnitOfWork) -> int:
    """The built-in ``system`` account (admin rights) that acts when nobody logged in (CLI, jobs)."""
    with uow:
        user_id = uow.session.scalar(select(User.id).where(User.login == SYSTEM_LOGIN))
        if user_id is None:
            # Several commands starting at once on a new database all create it: the first one wins.
            from sqlalchemy.dialects.postgresql import insert

            uow.session.execute(
                insert(User)
                .values(login=SYSTEM_LOGIN, role=Role.ADMIN.value, display_name="system", active=True)
                .on_conflict_do_nothing(index_elements=[User.login])
            )
            uow.commit()
            user_id = uow.session.scalar(select(User.id).where(User.login == SYSTEM_LOGIN))
        assert user_id is not None
        return int(user_id)


def actor_for_login(uow: UnitOfWork, login: str | None) -> Actor:
    """The CLI's ``--user`` / ``REXBIT_USER``: an active user, else the system account."""
    if not login or login == SYSTEM_LOGIN:
        return Actor.system(ensure_system_user(uow))
    with uow:
        user = uow.session.scalar(select(User).where(User.login == login))
        if user is None:
            raise NotFound(
                f"There is no user '{login}'.", code="user_not_found", params={"login": login, "acting": True}
            )
        if not user.active:
            raise PermissionDenied(
                f"User '{login}' is deactivated.", code="user_deactivated", params={"login": login}
            )
        return Actor(login=user.login, role=Role(user.role), user_id=user.id, display_name=user.display_name)


def authenticate(uow: UnitOfWork, login: str, password: str) -> Actor:
    """The desktop login: an active user with a password set, and that password."""
    with uow:
        user = uow.session.scalar(select(User).where(User.login == login.strip()))
        if user is None or not user.active or user.login == SYSTEM_LOGIN:
            raise PermissionDenied("Wrong login or password.", code="wrong_login")
        if not user.password_hash:
            raise PermissionDenied(
                f"User '{user.login}' has no password yet.",
                code="user_without_password",
                params={"login": user.login},
            )
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise PermissionDenied("Wrong login or password.", code="wrong_login") from None
        if _hasher.check_needs_rehash(user.password_hash):  # argon2 parameters were raised since
            user.password_hash = _hasher.hash(password)
            uow.commit()
        return Actor(login=user.login, role=Role(user.role), user_id=user.id, display_name=user.display_name)
