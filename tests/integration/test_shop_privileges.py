"""``integration test`` with a read-only shop user (issue 18, item 9): it used to report OK, and every
sync then failed. A real MariaDB user is created for the test (unique name) and dropped after it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from rexbit_desktop.services.shop.connection import check_shop_connection
from tests.support.shop import create_shop_integration

pytestmark = pytest.mark.mysql

HOSTS = ("%", "localhost", "127.0.0.1")


@pytest.fixture
def shop_user(shop: Any, mysql_server: dict[str, object]) -> Iterator[tuple[str, str, Any]]:
    """A user with SELECT on the shop database only; ``grant(sql)`` adds privileges."""
    name = f"rexbit_ro_{secrets.token_hex(4)}"
    password = secrets.token_hex(8)
    admin = pymysql.connect(autocommit=True, **mysql_server)  # type: ignore[arg-type]

    def grant(privileges: str, what: str) -> None:
        with admin.cursor() as cur:
            for host in HOSTS:
                cur.execute(f"GRANT {privileges} ON {what} TO '{name}'@'{host}'")

    with admin.cursor() as cur:
        for host in HOSTS:
            cur.execute(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'")
    grant("SELECT", f"`{shop.database}`.*")
    try:
        yield name, password, grant
    finally:
        with admin.cursor() as cur:
            for host in HOSTS:
                cur.execute(f"DROP USER IF EXISTS '{name}'@'{host}'")
        admin.close()


def test_a_read_only_user_is_told_which_privileges_are_missing(
    db: Any, shop: Any, system_actor: Any, shop_user: Any
) -> None:
    user, password, grant = shop_user
    integration = create_shop_integration(db, shop, user=user, password=password)
    report = check_shop_connection(db.uow(), system_actor, integration_id=integration)
    assert not report.ok
    p = shop.prefix
    assert (
        f"missing privilege: UPDATE on {p}stock_available (the availability sync writes it)"
        in report.problems
    )
    assert (
        f"missing privilege: UPDATE on {p}product_lang (the availability sync writes it)" in report.problems
    )
    assert any(m.startswith(f"missing privilege: INSERT on {p}order_history") for m in report.problems)
    assert any(m.startswith("missing privilege: CREATE TEMPORARY TABLES") for m in report.problems)

    # What the sync and the write-back need, table by table: then the check passes.
    db_ = f"`{shop.database}`"
    grant("CREATE TEMPORARY TABLES", f"{db_}.*")
    for table, privileges in {
        "stock_available": "UPDATE, INSERT",
        "product_lang": "UPDATE",
        "product_attribute_lang": "UPDATE",
        "orders": "UPDATE",
        "order_history": "INSERT",
        "order_carrier": "UPDATE, INSERT",
    }.items():
        grant(privileges, f"{db_}.`{p}{table}`")
    report = check_shop_connection(db.uow(), system_actor, integration_id=integration)
    assert report.ok, report.problems
