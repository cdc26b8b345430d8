"""One availability sync run writing into the shop: what it was asked (``SyncOptions``), and the run's
context (``AvailabilityRun``) that reads and decides (``availability_plan.py``), writes the batches on two
shop connections and records each batch the shop committed.

The lock, the ``sync_runs`` row and failure handling around it are in ``availability.py``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rexbit_desktop.adapters.prestashop.gateway import (
    BatchHook,
    BatchOutcome,
    PrestaShopGateway,
    WriteBatch,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.availability import AvailabilityRule
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.faults import pause_point
from rexbit_desktop.services.shop.availability_plan import (
    _RECORD_SQL,
    _batch_rows,
    _decide,
    _load_units,
    _Records,
    _settings_fingerprint,
    _TextIds,
    _Unit,
)
from rexbit_desktop.services.shop.connection import ShopContext, ShopIntegration
from rexbit_desktop.services.shop.run_result import MAX_ERROR_DETAILS

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 10_000
SHOP_WRITERS = 2
MIN_BATCH_SIZE = 2_000


def _batch_size_for(total: int) -> int:
    """At least four batches when there is enough to write, so that the shop writes one batch while
    PostgreSQL records the previous one; at most 10,000 shop products per shop transaction."""
    return max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, -(-total // 4)))


@dataclass(frozen=True)
class SyncOptions:
    """What a sync was asked to do (``sync_availability``'s keyword arguments)."""

    limit: int | None = None
    dry_run: bool = False
    full: bool = False
    """Write every linked product, not only those whose values changed since the last sync."""
    progress: Progress = no_progress
    cancel: CancelCheck = never_cancelled
    batch_size: int | None = None
    batch_hook: BatchHook | None = None


@dataclass
class AvailabilityRun:
    """The context of one run: where it is recorded, what it was asked, and what it counted so far."""

    uow: UnitOfWork
    integration: ShopIntegration
    run_id: int
    options: SyncOptions
    counts: dict[str, int]
    details: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(
        default_factory=lambda: {"read": 0.0, "decide": 0.0, "shop": 0.0, "record": 0.0}
    )

    def write(self, gateway: Any, shop: ShopContext) -> tuple[str, str | None]:
        """Read, decide and write the run; its status and message (``succeeded``/``cancelled``). A failed
        batch raises after the batches in flight are recorded."""
        opts, integration, counts = self.options, self.integration, self.counts
        cfg = integration.config
        stock_key = shop.info.stock_key
        rule = AvailabilityRule(
            min_stock_threshold=cfg["min_stock_threshold"],
            texts=shop.texts,
            default_delivery_days=cfg["default_delivery_days"],
        )
        timings = self.timings
        mark = time.perf_counter()
        settings = _settings_fingerprint(rule, stock_key)
        units, examined = _load_units(self.uow, integration.id, rule, settings, opts.full, self.details)
        counts["errors"] += len(self.details)
        timings["read"], mark = time.perf_counter() - mark, time.perf_counter()
        _decide(units, rule)
        counts["examined"] = examined
        pending = [units[k] for k in sorted(units)]
        counts["skipped_unchanged"] = examined - len(pending)
        if opts.limit is not None:
            pending = pending[: opts.limit]
        counts["to_write"] = len(pending)
        total = len(pending)
        timings["decide"] = time.perf_counter() - mark
        doing = "dry run: checking" if opts.dry_run else "writing availability"
        opts.progress(0, total, doing)
        text_ids = _TextIds()
        records = _Records(integration.id, stock_key, self.run_id, settings)
        size = opts.batch_size or _batch_size_for(total)
        chunks = [pending[i : i + size] for i in range(0, total, size)]

        # Two shop connections write batches side by side (disjoint products, so no lock waits): measured
        # on 100,000 products, MariaDB's UPDATEs took 1.4-1.5 s on two connections against 2.5-3.3 s on
        # one. Not more: this is the shop's live database. Each connection is used by one thread at a time.
        gateways: queue.SimpleQueue[Any] = queue.SimpleQueue()
        gateways.put(gateway)
        extra = [PrestaShopGateway.connect(cfg) for _ in range(min(SHOP_WRITERS, len(chunks)) - 1)]
        for g in extra:
            gateways.put(g)
        writers = 1 + len(extra)
        shop_time = threading.Lock()

        def write(number: int, batch: WriteBatch) -> BatchOutcome:
            started = time.perf_counter()
            g = gateways.get()
            try:
                return g.write_batch(  # type: ignore[no-any-return]
                    batch,
                    id_shop=shop.info.id_shop,
                    stock_key=stock_key,
                    combination_text_columns=shop.schema.combination_text_columns,
                    batch_number=number,
                    hook=opts.batch_hook,
                    apply=not opts.dry_run,
                )
            finally:
                gateways.put(g)
                with shop_time:
                    timings["shop"] += time.perf_counter() - started

        # Pipelined: the shop writes the next batches while PostgreSQL records the one it committed, in
        # batch order. A batch that fails is not recorded; those already in flight finish and are recorded
        # if the shop committed them (so both sides agree), no new one starts, and the run fails with the
        # first error. Cancel is checked before each batch after the first.
        done = 0
        cancelled = False
        failure: BaseException | None = None
        in_flight: dict[int, Future[BatchOutcome]] = {}
        submitted = 0
        try:
            with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="shop-writer") as writer:

                def top_up() -> None:
                    nonlocal submitted, cancelled
                    while (
                        not cancelled
                        and failure is None
                        and submitted < len(chunks)
                        and len(in_flight) < writers
                    ):
                        if submitted and opts.cancel():
                            cancelled = True
                            return
                        submitted += 1
                        # The rows are built here, in this thread: text ids are numbered as first met.
                        in_flight[submitted] = writer.submit(
                            write, submitted, _batch_rows(chunks[submitted - 1], text_ids)
                        )

                top_up()
                for number, chunk in enumerate(chunks, start=1):
                    future = in_flight.pop(number, None)
                    if future is None:
                        break  # never started: cancelled or after a failure
                    try:
                        outcome = future.result()
                    except BaseException as exc:  # the shop rolled that batch back: nothing is recorded
                        failure = failure or exc
                        continue
                    self._record_batch(chunk, outcome, records)
                    pause_point(f"shop-sync-batch:{number}")
                    done += len(chunk)
                    opts.progress(done, total, doing)
                    top_up()
        finally:
            for g in extra:
                g.close()
        if failure is not None:
            raise failure
        if cancelled and done < total:
            return "cancelled", f"cancelled after {done} of {total} products"
        log.info(
            "sync run %s timings: %s", self.run_id, ", ".join(f"{k} {v:.3f} s" for k, v in timings.items())
        )
        return "succeeded", None

    def _record_batch(self, chunk: list[_Unit], outcome: BatchOutcome, records: _Records) -> None:
        """Count a batch the shop committed and record ``last_availability`` for what it has."""
        mark = time.perf_counter()
        counts, dry_run = self.counts, self.options.dry_run
        recs: dict[str, tuple[int, int, list[int]]] = {}  # record text → (item key, product key, link ids)
        for unit in chunk:
            if (unit.id_product, 0) in outcome.missing:
                counts["missing_in_shop"] += 1
                self._note_missing(unit.id_product, 0)
                continue
            if not dry_run:
                counts["written"] += 1
            for link in unit.links:
                if (
                    link.id_product_attribute
                    and (unit.id_product, link.id_product_attribute) in outcome.missing
                ):
                    counts["missing_in_shop"] += 1
                    self._note_missing(unit.id_product, link.id_product_attribute)
                    continue
                rec = records.of(link, unit)
                entry = recs.get(rec)
                if entry is None:
                    entry = recs[rec] = (link.item_key, link.product_key, [])
                entry[2].append(link.link_id)
        if not dry_run and recs:
            for rec, (item_key, product_key, ids) in recs.items():
                self.uow.session.execute(
                    _RECORD_SQL,
                    {
                        "record_id": records.id_of(self.uow, rec, item_key, product_key),
                        "run_id": records.run_id,
                        "ids": ids,
                    },
                )
            self.uow.commit()
        self.timings["record"] += time.perf_counter() - mark

    def _note_missing(self, id_product: int, id_attr: int) -> None:
        if len(self.details) < MAX_ERROR_DETAILS:
            what = f"combination {id_product}:{id_attr}" if id_attr else f"product {id_product}"
            self.details.append(
                {"external_id": f"{id_product}:{id_attr}", "reason": f"{what} is no longer in the shop"}
            )
