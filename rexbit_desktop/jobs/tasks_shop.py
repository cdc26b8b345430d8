"""Tasks of the shop area (thin wrappers over services). Added to the app by jobs/app.py.

- ``shop:test_connection(integration_id)``: the ``integration test`` report; fails when it finds a problem.
- ``shop:pull_products(integration_id)``: ``products pull``.
- ``shop:sync_availability(integration_id, limit=None, dry_run=False, full=False)``.
- ``shop:sync_all_availability()``: every enabled PrestaShop integration with product listing enabled
  (default schedule ``sync-availability``, every 30 minutes).
- ``shop:sync_orders(integration_id, since=None, limit=None, dry_run=False)``: ``orders sync-external``,
  the shop's new and changed orders taken in (``services/shop/orders.py``).
- ``shop:sync_all_orders()``: ``shop:sync_orders`` for every enabled PrestaShop integration (default
  schedule ``sync-orders``, every 10 minutes).
- ``shop:push_stock(integration_id, changed_only=False, full=False, dry_run=False)``: our stock into the
  shop's quantity (``services/shop/stock.py``); queued with ``changed_only`` by the stock triggers
  (one waiting job per shop, ``queueing_lock`` ``shop-stock-push-<id>``, ``lock`` ``shop-stock-<id>``).
- ``shop:push_all_stock()``: every enabled shop with ``stock_sync: on`` (schedule ``push-stock``, every
  30 minutes).

All on the ``integrations`` queue. A failed sync run fails the job (after its ``sync_runs`` row is saved),
so the queue's retries and failed-jobs list see it. The order statuses written back to the shop run in
``orders:order_status_changed`` (``jobs/tasks_orders.py``), not here.
"""

from __future__ import annotations

import logging
from typing import Any

from procrastinate import Blueprint, JobContext

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.jobs.context import job_actor, job_database

bp = Blueprint()
log = logging.getLogger(__name__)

QUEUE = "integrations"


def _log_progress(task: str):  # type: ignore[no-untyped-def]
    def report(done: int, total: int | None, message: str = "") -> None:
        if total and (done == total or done % 20000 == 0):
            log.info("%s: %s %d/%d", task, message, done, total)

    return report


def _report_every_shop(what: str, results: list[Any]) -> list[dict[str, Any]]:
    """Log each shop's run; fail the job (after all shops had their turn) when any of them failed."""
    for r in results:
        log.info("integration %s: %s %s %s", r.integration_id, what, r.status, r.counts())
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RexbitError(
            f"{what} failed for integration(s) "
            + ", ".join(f"{r.integration_id} ({r.message})" for r in failed)
        )
    return [{"integration_id": r.integration_id, **r.counts()} for r in results]


@bp.task(name="test_connection", queue=QUEUE, pass_context=True)
def test_connection(context: JobContext, integration_id: int) -> dict[str, Any]:
    from rexbit_desktop.services.shop.connection import check_shop_connection

    report = check_shop_connection(
        job_database(context).uow(), job_actor(context), integration_id=integration_id
    )
    if not report.ok:
        raise RexbitError(f"integration {integration_id}: " + "; ".join(report.problems))
    return {"ok": True, "prestashop_version": report.prestashop_version, "shop": report.shop_name}


@bp.task(name="pull_products", queue=QUEUE, pass_context=True)
def pull_products(context: JobContext, integration_id: int) -> dict[str, Any]:
    from rexbit_desktop.services.shop.catalog import pull_products as pull

    result = pull(
        job_database(context).uow(),
        job_actor(context),
        integration_id=integration_id,
        progress=_log_progress("shop:pull_products"),
    )
    return {
        "items": result.items,
        "products_created": result.products_created,
        "links_created": result.links_created,
    }


@bp.task(name="sync_availability", queue=QUEUE, pass_context=True)
def sync_availability(
    context: JobContext,
    integration_id: int,
    limit: int | None = None,
    dry_run: bool = False,
    full: bool = False,
) -> dict[str, Any]:
    from rexbit_desktop.services.shop.availability import sync_availability as sync

    result = sync(
        job_database(context).uow(),
        job_actor(context),
        integration_id=integration_id,
        limit=limit,
        dry_run=dry_run,
        full=full,
        progress=_log_progress("shop:sync_availability"),
    )
    if result.status == "failed":
        raise RexbitError(f"sync run {result.sync_run_id} failed: {result.message}")
    return result.counts()


@bp.task(name="sync_all_availability", queue=QUEUE, pass_context=True)
def sync_all_availability(context: JobContext) -> list[dict[str, Any]]:
    from rexbit_desktop.services.shop.availability import sync_all_availability as sync_all

    results = sync_all(
        job_database(context).uow(), job_actor(context), progress=_log_progress("shop:sync_all_availability")
    )
    return _report_every_shop("availability sync", results)


@bp.task(name="sync_orders", queue=QUEUE, pass_context=True)
def sync_orders(
    context: JobContext,
    integration_id: int,
    since: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    from datetime import date

    from rexbit_desktop.services.shop.orders import sync_orders as sync

    result = sync(
        job_database(context).uow(),
        job_actor(context),
        integration_id=integration_id,
        since=date.fromisoformat(since) if since else None,
        limit=limit,
        dry_run=dry_run,
        progress=_log_progress("shop:sync_orders"),
    )
    return {"sync_run_id": result.sync_run_id, **result.counts()}


@bp.task(name="sync_all_orders", queue=QUEUE, pass_context=True)
def sync_all_orders(context: JobContext) -> list[dict[str, Any]]:
    from rexbit_desktop.services.shop.orders import sync_all_orders as sync_all

    results = sync_all(
        job_database(context).uow(), job_actor(context), progress=_log_progress("shop:sync_all_orders")
    )
    return _report_every_shop("orders import", results)


@bp.task(name="push_stock", queue=QUEUE, pass_context=True)
def push_stock(
    context: JobContext,
    integration_id: int,
    changed_only: bool = False,
    full: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    """``shop push-stock``; queued with ``changed_only`` by the stock triggers (migration 0016)."""
    from rexbit_desktop.services.shop.stock import push_stock as push

    result = push(
        job_database(context).uow(),
        job_actor(context),
        integration_id=integration_id,
        changed_only=changed_only,
        full=full,
        dry_run=dry_run,
        progress=_log_progress("shop:push_stock"),
    )
    if result.status == "failed":
        raise RexbitError(f"stock push {result.sync_run_id} failed: {result.message}")
    return {"sync_run_id": result.sync_run_id, "status": result.status, **result.counts()}


@bp.task(name="push_all_stock", queue=QUEUE, pass_context=True)
def push_all_stock(context: JobContext) -> list[dict[str, Any]]:
    from rexbit_desktop.services.shop.stock import push_all_stock as push_all

    results = push_all(
        job_database(context).uow(), job_actor(context), progress=_log_progress("shop:push_all_stock")
    )
    for r in results:
        log.info("integration %s: stock push %s %s", r.integration_id, r.status, r.counts())
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RexbitError(
            "stock push failed for integration(s) "
            + ", ".join(f"{r.integration_id} ({r.message})" for r in failed)
        )
    return [{"integration_id": r.integration_id, **r.counts()} for r in results]
