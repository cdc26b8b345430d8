"""Links point only at existing integrations and products, and go when those go (migration 0008: the
checks run once per statement, as triggers, instead of foreign keys checked row by row)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import errors

from tests.support.wait import wait_for


@pytest.fixture
def conn(db_url: str, db):  # type: ignore[no-untyped-def]
    """A plain connection on a migrated database, with one supplier and three products."""
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as c:
        c.execute("INSERT INTO integrations (id, name, type) VALUES (1, 'Hurtownia', 'supplier_feed')")
        c.execute(
            "INSERT INTO products (id, sku, name) VALUES (1, 'A-1', 'A'), (2, 'B-2', 'B'), (3, 'C-3', 'C')"
        )
        c.commit()
        yield c


def _links(c: psycopg.Connection) -> list[tuple[str, int | None]]:
    return c.execute(
        "SELECT external_id, product_id FROM integration_product_links ORDER BY external_id"
    ).fetchall()


def _insert(c: psycopg.Connection, *rows: tuple[int, str, int | None]) -> None:
    c.execute(
        "INSERT INTO integration_product_links (integration_id, external_id, product_id)"
        " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])",
        ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
    )


def _lock_waits(db_url: str) -> bool:
    """Someone in this database waits for a row or table lock another transaction holds."""
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
        row = c.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database() LIMIT 1"
        ).fetchone()
    return row is not None


def test_a_link_to_a_missing_product_or_integration_is_refused_whole(conn) -> None:  # type: ignore[no-untyped-def]
    good = [(1, f"X-{i}", 1 + i % 3) for i in range(500)]
    with pytest.raises(errors.ForeignKeyViolation, match="points at product 99"):
        _insert(conn, *good, (1, "BAD", 99))
    conn.rollback()
    with pytest.raises(errors.ForeignKeyViolation, match="points at integration 7"):
        _insert(conn, (7, "X-1", 1))
    conn.rollback()
    assert _links(conn) == []  # the statement failed whole: no good row slipped in

    _insert(conn, *good, (1, "UNLINKED", None))
    conn.commit()
    assert len(_links(conn)) == 501
    with pytest.raises(errors.ForeignKeyViolation, match="points at product 42"):
        conn.execute("UPDATE integration_product_links SET product_id = 42 WHERE external_id = 'UNLINKED'")
    conn.rollback()


def test_deleting_a_product_or_integration_deletes_its_links(conn) -> None:  # type: ignore[no-untyped-def]
    _insert(conn, (1, "X-1", 1), (1, "X-2", 2), (1, "X-3", 2), (1, "X-4", None))
    conn.commit()
    conn.execute("DELETE FROM products WHERE id = 2")
    conn.commit()
    assert _links(conn) == [("X-1", 1), ("X-4", None)]
    conn.execute("DELETE FROM integrations WHERE id = 1")
    conn.commit()
    assert _links(conn) == []


def test_ids_of_linked_rows_do_not_change_and_deletes_need_read_committed(conn) -> None:  # type: ignore[no-untyped-def]
    _insert(conn, (1, "X-1", 1))
    conn.commit()
    with pytest.raises(errors.ForeignKeyViolation, match="product 1 has links"):
        conn.execute("UPDATE products SET id = 100 WHERE id = 1")
    conn.rollback()
    conn.execute("UPDATE products SET id = 200 WHERE id = 3")  # no links: allowed
    conn.commit()
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="READ COMMITTED"):
        conn.execute("DELETE FROM products WHERE id = 1")
    conn.rollback()
    assert _links(conn) == [("X-1", 1)]


def test_a_product_deleted_while_an_import_links_it_waits_and_takes_the_link_along(  # type: ignore[no-untyped-def]
    conn, db_url: str
) -> None:
    """As with a foreign key: the new link locks its product, the delete waits for the import to commit,
    then deletes the link it can now see — never a link left pointing at nothing."""
    _insert(conn, (1, "X-1", 1))  # not committed yet
    done = threading.Event()

    def delete_product() -> None:
        with psycopg.connect(
            db_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        ) as other:
            other.execute("DELETE FROM products WHERE id = 1")
        done.set()

    deleter = threading.Thread(target=delete_product)
    deleter.start()
    wait_for(lambda: _lock_waits(db_url), what="the delete to wait for the linking transaction")
    assert not done.is_set(), "the delete must wait for the transaction that links the product"
    conn.commit()
    deleter.join(10)
    assert done.is_set()
    assert _links(conn) == []


def test_linking_a_product_that_another_transaction_deletes_fails(conn, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as other:
        other.execute("DELETE FROM products WHERE id = 3")  # not committed yet
        result: list[BaseException | None] = []

        def link() -> None:
            try:
                _insert(conn, (1, "X-3", 3))
                result.append(None)
            except BaseException as exc:  # handed to the test thread
                result.append(exc)

        linker = threading.Thread(target=link)
        linker.start()
        wait_for(lambda: _lock_waits(db_url) or result, what="the link to wait for the deleting transaction")
        assert not result, "the link must wait for the transaction that deletes its product"
        other.commit()
        linker.join(10)
    assert isinstance(result[0], errors.ForeignKeyViolation)
    conn.rollback()
    assert _links(conn) == []


def test_the_check_before_0011_comes_back_on_downgrade_and_refuses_alike(empty_db_url: str) -> None:
    """0011 counts the rows it locked; going back to 0010 restores 0008's check, which refuses the same."""
    from rexbit_desktop.db.session import downgrade_schema, make_engine, upgrade_schema

    engine = make_engine(empty_db_url)
    plain = empty_db_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        upgrade_schema(engine)
        for revision in ("0010_match_while_staging", None):
            if revision:
                downgrade_schema(engine, revision)
            else:
                upgrade_schema(engine)
            with psycopg.connect(plain) as c:
                body = c.execute("SELECT prosrc FROM pg_proc WHERE proname = 'rexbit_check_link_references'")
                assert ("GET DIAGNOSTICS" in body.fetchone()[0]) is (revision is None)
                c.execute("INSERT INTO integrations (id, name, type) VALUES (1, 'H', 'supplier_feed')")
                c.execute("INSERT INTO products (id, sku, name) VALUES (1, 'A-1', 'A')")
                with pytest.raises(errors.ForeignKeyViolation, match="link BAD points at product 99"):
                    _insert(c, (1, "OK", 1), (1, "OK-2", 1), (1, "BAD", 99))
                c.rollback()
    finally:
        engine.dispose()
