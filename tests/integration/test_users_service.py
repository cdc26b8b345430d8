"""Users on PostgreSQL: adding, the password policy, the desktop login and who acts in the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rexbit_desktop.cli.errors import cli_phrase
from rexbit_desktop.db.models import User
from rexbit_desktop.domain.errors import NotFound, PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import SYSTEM_LOGIN, Role
from rexbit_desktop.services import users


def test_add_and_log_in_with_a_polish_password(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    dto = users.add_user(
        db.uow(), system_actor, login="jkowalska", role="manager", display_name="Jadwiga Kowalska",
        password="źdźbło-łąki",
    )  # fmt: skip
    assert (dto.login, dto.role, dto.display_name, dto.active) == (
        "jkowalska",
        "manager",
        "Jadwiga Kowalska",
        True,
    )
    with db.uow() as uow:
        stored = uow.session.scalar(select(User.password_hash).where(User.login == "jkowalska"))
    assert stored is not None and stored.startswith("$argon2id$") and "łąki" not in stored

    actor = users.authenticate(db.uow(), " jkowalska ", "źdźbło-łąki")
    assert (actor.login, actor.role, actor.user_id) == ("jkowalska", Role.MANAGER, dto.id)
    with pytest.raises(PermissionDenied, match="Wrong login or password"):
        users.authenticate(db.uow(), "jkowalska", "zdzblo-laki")
    with pytest.raises(PermissionDenied, match="Wrong login or password"):
        users.authenticate(db.uow(), "nobody", "źdźbło-łąki")


def test_user_without_password_cannot_log_in_until_one_is_set(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    users.add_user(db.uow(), system_actor, login="magazyn1", role="operator")
    for attempt in ("", "anything-long"):
        with pytest.raises(PermissionDenied, match="has no password yet") as info:
            users.authenticate(db.uow(), "magazyn1", attempt)
        assert "rexbit user password --login=magazyn1" in (cli_phrase(info.value)[1] or "")
    # The CLI may act as that user all the same.
    assert users.actor_for_login(db.uow(), "magazyn1").role is Role.OPERATOR

    operator = users.actor_for_login(db.uow(), "magazyn1")
    users.set_password(db.uow(), operator, login="magazyn1", password="moje-haslo")  # own password
    assert users.authenticate(db.uow(), "magazyn1", "moje-haslo").login == "magazyn1"


def test_password_policy_and_login_rules(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="at least 8 characters"):
        users.add_user(db.uow(), system_actor, login="ola", role="operator", password="krótkie")
    for bad_login in ("", "with space", "x" * 65, "a:b"):
        with pytest.raises(ValidationError, match="not a valid login"):
            users.add_user(db.uow(), system_actor, login=bad_login, role="operator")
    for reserved in ("system", "SYSTEM", "job:import"):
        with pytest.raises(ValidationError):
            users.add_user(db.uow(), system_actor, login=reserved, role="admin")
    with pytest.raises(ValidationError, match="Unknown role 'boss'") as info:
        users.add_user(db.uow(), system_actor, login="ola", role="boss")
    assert "operator, manager, admin" in (info.value.hint or "")
    users.add_user(db.uow(), system_actor, login="Łucja", role="operator")
    with pytest.raises(ValidationError, match="already exists"):
        users.add_user(db.uow(), system_actor, login="łucja", role="operator")
    # Nothing of the refused attempts was stored.
    assert [u.login for u in users.list_users(db.uow())] == ["system", "Łucja"]


def test_permissions_and_deactivation(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    users.add_user(db.uow(), system_actor, login="op", role="operator", password="operator-1")
    users.add_user(db.uow(), system_actor, login="kierownik", role="manager", password="manager-1")
    operator = users.actor_for_login(db.uow(), "op")
    manager = users.actor_for_login(db.uow(), "kierownik")
    for actor in (operator, manager):
        with pytest.raises(PermissionDenied):
            users.add_user(db.uow(), actor, login="new", role="admin")
        with pytest.raises(PermissionDenied):
            users.set_password(
                db.uow(), actor, login="op" if actor is manager else "kierownik", password="x" * 8
            )

    users.set_active(db.uow(), system_actor, login="op", active=False)
    with pytest.raises(PermissionDenied, match="Wrong login or password"):
        users.authenticate(db.uow(), "op", "operator-1")
    with pytest.raises(PermissionDenied, match="deactivated"):
        users.actor_for_login(db.uow(), "op")
    users.set_active(db.uow(), system_actor, login="op", active=True)
    assert users.authenticate(db.uow(), "op", "operator-1").login == "op"


def test_system_account_and_unknown_users(db) -> None:  # type: ignore[no-untyped-def]
    first = users.actor_for_login(db.uow(), None)
    again = users.actor_for_login(db.uow(), SYSTEM_LOGIN)
    assert first.login == SYSTEM_LOGIN and first.role is Role.ADMIN
    assert first.user_id == again.user_id is not None, "one system account, created once"
    with pytest.raises(PermissionDenied):
        users.authenticate(db.uow(), SYSTEM_LOGIN, "")
    with pytest.raises(NotFound, match="There is no user 'duch'"):
        users.actor_for_login(db.uow(), "duch")
    with pytest.raises(NotFound):
        users.set_password(db.uow(), first, login="system", password="x" * 10)
