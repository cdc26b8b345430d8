"""Does the shop database user have the privileges the sync needs? (``rexbit integration test``)

Reading the grants (``SHOW GRANTS``: roles, wildcards, column grants, partial revokes) is easy to get
wrong; asking the server is not. Each needed privilege is probed with a statement that changes nothing —
``UPDATE … WHERE 1 = 0``, ``INSERT … SELECT … WHERE 1 = 0``, a temporary table created and dropped — in
a transaction that is rolled back. MariaDB and MySQL check privileges before they look at a single row,
so a missing one fails the probe with error 1142 / 1044 / 1227 and we can name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pymysql

_DENIED = {1142, 1143, 1044, 1045, 1227, 1370}


@dataclass(frozen=True)
class Probe:
    privilege: str
    table: str | None  # without the prefix; None for a database-level privilege
    purpose: str
    sql: str


def _probes(include_combination_texts: bool) -> list[Probe]:
    sync = "the availability sync writes it"
    back = "order statuses are written back to it"
    probes = [
        Probe(
            "UPDATE",
            "stock_available",
            sync,
            "UPDATE `{p}stock_available` SET out_of_stock = out_of_stock WHERE 1 = 0",
        ),
        Probe(
            "INSERT",
            "stock_available",
            "the availability sync adds missing stock rows",
            "INSERT INTO `{p}stock_available` (id_product, id_product_attribute, id_shop, id_shop_group,"
            " out_of_stock) SELECT 0, 0, 0, 0, 0 FROM DUAL WHERE 1 = 0",
        ),
        Probe(
            "UPDATE",
            "product_lang",
            sync,
            "UPDATE `{p}product_lang` SET available_now = available_now WHERE 1 = 0",
        ),
        Probe(
            "CREATE TEMPORARY TABLES",
            None,
            "the availability sync stages each batch in a temporary table",
            "CREATE TEMPORARY TABLE rexbit_privilege_probe (x int)",
        ),
        Probe("UPDATE", "orders", back, "UPDATE `{p}orders` SET current_state = current_state WHERE 1 = 0"),
        Probe(
            "INSERT",
            "order_history",
            back,
            "INSERT INTO `{p}order_history` (id_employee, id_order, id_order_state, date_add)"
            " SELECT 0, 0, 0, NOW() FROM DUAL WHERE 1 = 0",
        ),
        Probe(
            "UPDATE",
            "order_carrier",
            "tracking numbers are written back to it",
            "UPDATE `{p}order_carrier` SET tracking_number = tracking_number WHERE 1 = 0",
        ),
        Probe(
            "INSERT",
            "order_carrier",
            "tracking numbers are written back to it",
            "INSERT INTO `{p}order_carrier` (id_order, id_carrier, tracking_number, date_add)"
            " SELECT 0, 0, '', NOW() FROM DUAL WHERE 1 = 0",
        ),
    ]
    if include_combination_texts:
        probes.insert(
            3,
            Probe(
                "UPDATE",
                "product_attribute_lang",
                sync,
                "UPDATE `{p}product_attribute_lang` SET id_lang = id_lang WHERE 1 = 0",
            ),
        )
    return probes


def missing_privileges(
    conn: pymysql.connections.Connection, prefix: str, *, combination_texts: bool
) -> list[str]:
    """One line per privilege the user lacks, e.g. ``"missing privilege: UPDATE on ps_stock_available
    (the availability sync writes it)"``; empty when every probe passed."""
    problems: list[str] = []
    conn.begin()
    try:
        for probe in _probes(combination_texts):
            cur: Any = conn.cursor()
            try:
                cur.execute(probe.sql.replace("{p}", prefix))
                if probe.table is None:
                    cur.execute("DROP TEMPORARY TABLE IF EXISTS rexbit_privilege_probe")
            except pymysql.err.Error as exc:
                code = exc.args[0] if exc.args else None
                if code not in _DENIED:
                    continue  # a schema problem (missing table/column) is reported by the schema check
                where = f" on {prefix}{probe.table}" if probe.table else " on the database"
                problems.append(f"missing privilege: {probe.privilege}{where} ({probe.purpose})")
            finally:
                cur.close()
    finally:
        conn.rollback()
    return problems


__all__ = ["missing_privileges"]
