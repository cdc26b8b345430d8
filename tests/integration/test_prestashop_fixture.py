"""The MariaDB shop fixture loads the real PrestaShop DDL with a random prefix."""

from __future__ import annotations


def test_shop_fixture_has_tables_and_reference_data(shop) -> None:  # type: ignore[no-untyped-def]
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        tables = {row[0] for row in cur.fetchall()}
        assert f"{shop.prefix}stock_available" in tables
        assert all(t.startswith(shop.prefix) for t in tables)
        cur.execute(f"SELECT iso_code FROM {shop.t('lang')} ORDER BY id_lang")
        assert [r[0] for r in cur.fetchall()] == ["pl", "en"]
    conn.close()
