"""The PrestaShop commands and jobs as operators and the scheduler run them: real processes, real databases."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
from rexbit_desktop.db.models import Contractor, Integration, IntegrationProductLink, Product, SyncRun


def rexbit(db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def _integration(db, shop, **overrides) -> int:  # type: ignore[no-untyped-def]
    cfg = validate_prestashop_config(shop.config(**overrides))
    with db.uow() as uow:
        row = Integration(name=f"shop-{uuid.uuid4().hex[:6]}", type="prestashop_db", config=cfg)
        uow.session.add(row)
        uow.commit()
        return row.id


def _shop_product(shop, id_product: int, reference: str) -> None:  # type: ignore[no-untyped-def]
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {shop.t('product')} (id_product, id_tax_rules_group, reference, date_add, date_upd,"
            " date_novelty) VALUES (%s, 1, %s, NOW(), NOW(), NOW())",
            (id_product, reference),
        )
        for id_lang in (1, 2):
            cur.execute(
                f"INSERT INTO {shop.t('product_lang')} (id_product, id_shop, id_lang, link_rewrite, name)"
                " VALUES (%s, 1, %s, 'p', %s)",
                (id_product, id_lang, f"Produkt {reference}"),
            )
        cur.execute(
            f"INSERT INTO {shop.t('stock_available')} (id_product, id_product_attribute, id_shop, id_shop_group,"
            " quantity) VALUES (%s, 0, 1, 0, 4)",
            (id_product,),
        )
    conn.close()


def _offers(db, stock_by_sku: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """A supplier feed with one offer per SKU, linked to our products pulled from the shop."""
    with db.uow() as uow:
        contractor = Contractor(name="Hurtownia")
        uow.session.add(contractor)
        uow.session.flush()
        feed = Integration(name="feed", type="supplier_feed", contractor_id=contractor.id)
        uow.session.add(feed)
        uow.session.flush()
        for sku, stock in stock_by_sku.items():
            pid = uow.session.scalar(select(Product.id).where(Product.sku == sku))
            uow.session.add(
                IntegrationProductLink(
                    integration_id=feed.id, product_id=pid, external_id=sku,
                    supplier_availability={"contractor_id": contractor.id, "stock_quantity": stock, "delivery_days": 3},
                )
            )  # fmt: skip
        uow.commit()


def test_test_pull_and_sync_from_the_command_line(db, db_url, shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "shop.json"
    config.write_text(
        json.dumps(
            {
                **shop.config(password_env="REXBIT_TEST_SHOP_PW"),
                "password": "",
                "product_listing_enabled": True,
            }
        )
    )
    created = rexbit(
        db_url,
        "integration",
        "create",
        "--type=prestashop_db",
        "--name=Sklep",
        f"--config={config}",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    integration = json.loads(created.stdout)["id"]
    ok = rexbit(
        db_url,
        "integration",
        "test",
        f"--integration={integration}",
        env={"REXBIT_TEST_SHOP_PW": shop.password},
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout and "id_shop=1, id_shop_group=0" in ok.stdout and "unknown" in ok.stdout

    no_env = rexbit(db_url, "integration", "test", "--integration", str(integration))
    assert no_env.returncode == 1
    assert "REXBIT_TEST_SHOP_PW" in no_env.stderr and "Traceback" not in no_env.stderr

    _shop_product(shop, 1, "A-1")
    _shop_product(shop, 2, "A-2")
    env = {"REXBIT_TEST_SHOP_PW": shop.password}
    pulled = rexbit(db_url, "products", "pull", f"--integration={integration}", "--json", env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["links_created"] == 2

    _offers(db, {"A-1": 20, "A-2": 19})
    dry = rexbit(
        db_url, "supplier", "sync-availability", f"--prestashop={integration}", "--dry-run", "--json", env=env
    )
    assert dry.returncode == 0, dry.stderr
    counts = json.loads(dry.stdout)
    assert set(counts) == {
        "examined",
        "to_write",
        "written",
        "skipped_unchanged",
        "missing_in_shop",
        "errors",
        "duration_s",
    }
    assert (counts["to_write"], counts["written"]) == (2, 0)

    run = rexbit(
        db_url,
        "supplier",
        "sync-availability",
        "--prestashop",
        str(integration),
        "--limit=1",
        "--json",
        env=env,
    )
    assert json.loads(run.stdout)["written"] == 1
    rest = rexbit(db_url, "supplier", "sync-availability", f"--prestashop={integration}", env=env)
    assert rest.returncode == 0, rest.stderr
    assert "written 1, skipped unchanged 1" in rest.stdout
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(f"SELECT id_product, out_of_stock, quantity FROM {shop.t('stock_available')} ORDER BY 1")
        assert cur.fetchall() == ((1, 1, 4), (2, 0, 4))
    conn.close()
    with db.uow() as uow:
        assert uow.session.query(SyncRun).filter_by(integration_id=integration).count() == 3


def test_wrong_prefix_and_listing_disabled_exit_1_with_a_message(db, db_url, shop) -> None:  # type: ignore[no-untyped-def]
    wrong = _integration(db, shop, prefix="nope_")
    result = rexbit(db_url, "integration", "test", f"--integration={wrong}")
    assert result.returncode == 1
    assert "missing table nope_stock_available" in result.stderr and "is the prefix right?" in result.stderr

    refused = rexbit(db_url, "supplier", "sync-availability", f"--prestashop={wrong}")
    assert refused.returncode == 1
    assert "Product listing is disabled" in refused.stderr and "Traceback" not in refused.stderr

    listing = _integration(db, shop, prefix="nope_", product_listing_enabled=True)
    failed = rexbit(db_url, "supplier", "sync-availability", f"--prestashop={listing}", "--json")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errors"] == 1
    assert "lacks table nope_configuration" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.slow
def test_sync_job_runs_on_the_integrations_queue(db, db_url, shop) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.queueing import defer_job

    integration = _integration(db, shop, product_listing_enabled=True)
    _shop_product(shop, 1, "J-1")
    rexbit(db_url, "products", "pull", f"--integration={integration}")
    _offers(db, {"J-1": 100})
    defer_job(db, "shop:sync_all_availability")
    defer_job(db, "shop:sync_all_orders")
    worker = rexbit(db_url, "queue", "work", "--queue=integrations", "--stop-when-empty", "--sleep=0.2")
    assert worker.returncode == 0, worker.stderr
    with db.uow() as uow:
        [run] = uow.session.query(SyncRun).filter_by(integration_id=integration, kind="availability").all()
        assert (run.status, run.written, run.started_by) == ("succeeded", 1, "job:shop:sync_all_availability")
        [orders_run] = uow.session.query(SyncRun).filter_by(integration_id=integration, kind="orders").all()
        assert (orders_run.status, orders_run.examined, orders_run.started_by) == (
            "succeeded", 0, "job:shop:sync_all_orders",
        )  # fmt: skip
        states = dict(
            uow.session.execute(
                __import__("sqlalchemy").text("SELECT task_name, status::text FROM procrastinate_jobs")
            ).all()
        )
    assert states == {"shop:sync_all_availability": "succeeded", "shop:sync_all_orders": "succeeded"}
