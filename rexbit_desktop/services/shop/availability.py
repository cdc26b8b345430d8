"""Supplier availability → the PrestaShop database (``rexbit supplier sync-availability``).

One unit of writing is a shop product: its product-level row (``id_product_attribute = 0``) and the
combinations linked to our products. The product level allows orders if any combination does (the rule
in ``domain/availability.py`` over all its combinations' offers). Counts in ``sync_runs`` and in the
result are shop products.

Consistency: each batch is one MariaDB transaction; the ``last_availability`` of its links (table
``shop_sync_state``, see ``last_availability()``) is written to PostgreSQL only after the shop committed. A lost connection leaves the batch unwritten on both
sides (the shop rolls back, we record nothing), and the next run writes it (``sync_only_changed``
compares with what was recorded). If PostgreSQL fails after the shop committed, the next run writes
the same values again — harmless.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text

from rexbit_desktop.adapters.prestashop.gateway import (
    BatchHook,
    BatchOutcome,
    PrestaShopGateway,
    WriteBatch,
)
from rexbit_desktop.db.locks import SHOP_AVAILABILITY_SYNC, held_while
from rexbit_desktop.db.models import SyncRun
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.availability import Availability, AvailabilityRule, SupplierOffer
from rexbit_desktop.domain.errors import Conflict, RexbitError, ValidationError
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.bulk import gc_paused
from rexbit_desktop.services.shop.connection import (
    PRESTASHOP_TYPE,
    ShopContext,
    ShopIntegration,
    load_shop_integration,
    open_shop,
)

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 10_000
SHOP_WRITERS = 2
MIN_BATCH_SIZE = 2_000


def _batch_size_for(total: int) -> int:
    """At least four batches when there is enough to write, so that the shop writes one batch while
    PostgreSQL records the previous one; at most 10,000 shop products per shop transaction."""
    return max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, -(-total // 4)))


MAX_ERROR_DETAILS = 50

JSON_KEYS = (
    "examined",
    "to_write",
    "written",
    "skipped_unchanged",
    "missing_in_shop",
    "errors",
    "duration_s",
)


@dataclass(frozen=True)
class SyncResult:
    sync_run_id: int
    integration_id: int
    status: str  # succeeded | failed | cancelled
    dry_run: bool
    full: bool
    examined: int
    to_write: int
    written: int
    skipped_unchanged: int
    missing_in_shop: int
    errors: int
    duration_s: float
    message: str | None = None
    error_details: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """The ``--json`` output: exactly these keys."""
        return {k: getattr(self, k) for k in JSON_KEYS}


@dataclass(frozen=True)
class SyncRunView:
    id: int
    integration_id: int
    kind: str
    status: str
    started_by: str
    dry_run: bool
    full: bool
    examined: int
    to_write: int
    written: int
    skipped_unchanged: int
    missing_in_shop: int
    errors: int
    message: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    # Orders runs (kind "orders"): our orders created and updated, shop orders read again.
    created: int = 0
    updated: int = 0
    retried: int = 0


class ProductListingDisabled(ValidationError):
    """Product listing is disabled for this integration."""


# ---------------------------------------------------------------- reading our side

# What a run reads, in one statement, where the data is:
# - offers of enabled supplier_feed integrations (a disabled feed's offers are stale) for the shop's
#   products, from the typed columns generated from supplier_availability (models/integrations.py:
#   offer_stock NULL or offer_delivery_days -1 = a value that is not a plain number: a "bad" offer, left
#   out, reported);
# - the best offer of each of our products (highest stock, then fewest delivery days, unknown last) and
#   of each shop product over its linked items (first in the window): the rule's first step;
# - the decision key of both, exactly AvailabilityRule's cache key (allowed → delivery days or the
#   default, denied → -1), compared with what was last committed (shop_sync_state) together with the
#   settings' fingerprint, so an unchanged run sends nothing but a count back to Python; one window
#   (one sort) per run does the product level and the comparison;
# - the links of every shop product with a changed link (or all with :full) as 'ok' rows, the number of
#   shop products examined, and the first bad offers and bad external ids.
_READ_SQL = text(
    """
    WITH feeds AS (
        SELECT id FROM integrations WHERE type = 'supplier_feed' AND enabled
    ), best_offer AS (
        -- In the order of ix_integration_product_links_offers: no sort when the table is vacuumed.
        SELECT DISTINCT ON (o.product_id) o.product_id, o.offer_stock AS stock, o.offer_delivery_days AS days
        FROM integration_product_links o
        WHERE o.integration_id = ANY (ARRAY(SELECT id FROM feeds)) AND o.supplier_availability IS NOT NULL
          AND o.offer_stock IS NOT NULL AND (o.offer_delivery_days IS NULL OR o.offer_delivery_days >= 0)
        ORDER BY o.product_id, o.offer_stock DESC, o.offer_delivery_days ASC NULLS LAST
    ), shop_links AS MATERIALIZED (
        SELECT s.id, s.external_id, b.stock, b.days,
               s.external_id ~ '^[0-9]+(:[0-9]+)?$' AND length(s.external_id) <= 18 AS valid
        FROM integration_product_links s
        JOIN best_offer b ON b.product_id = s.product_id
        WHERE s.integration_id = :shop
    ), keyed AS (
        SELECT l.id, l.id_product, l.id_attr, l.stock, l.days, l.item_key,
               coalesce(r.item_key = l.item_key, false) AS item_same,
               r.product_key AS last_product_key
        FROM (SELECT id, stock, days,
                     CASE WHEN valid THEN split_part(external_id, ':', 1)::bigint END AS id_product,
                     CASE WHEN valid THEN coalesce(nullif(split_part(external_id, ':', 2), ''), '0')::bigint
                     END AS id_attr,
                     CASE WHEN stock >= :threshold THEN coalesce(days, :default_days) ELSE -1 END AS item_key
              FROM shop_links WHERE valid) l
        LEFT JOIN shop_sync_state st ON st.link_id = l.id
        -- A record made under other settings counts as nothing recorded.
        LEFT JOIN shop_sync_records r
            ON r.id = st.record_id AND r.integration_id = :shop AND r.settings_fingerprint = :settings
        WHERE l.id_product > 0
    ), windowed AS MATERIALIZED (
        SELECT k.*,
               first_value(item_key) OVER w AS product_key,
               bool_and(item_same) OVER w AS items_same,
               min(last_product_key) OVER w AS last_min,
               max(last_product_key) OVER w AS last_max,
               row_number() OVER w AS n
        FROM keyed k
        WINDOW w AS (PARTITION BY id_product ORDER BY stock DESC, days ASC NULLS LAST
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    )
    SELECT 'ok' AS kind, id, id_product, id_attr, item_key, product_key, stock, days, NULL AS raw
    FROM windowed
    WHERE :full OR NOT (items_same AND last_min = product_key AND last_max = product_key)
    UNION ALL
    SELECT 'examined', count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM windowed WHERE n = 1
    UNION ALL
    (SELECT 'badext', id, NULL, NULL, NULL, NULL, NULL, NULL, external_id FROM shop_links
     WHERE CASE WHEN valid THEN split_part(external_id, ':', 1)::bigint <= 0 ELSE true END
     ORDER BY id LIMIT 50)
    UNION ALL
    (SELECT 'bad', o.id, NULL, NULL, NULL, NULL, NULL, NULL,
            concat_ws(', ', btrim(o.supplier_availability->>'stock_quantity'),
                      btrim(o.supplier_availability->>'delivery_days'))
     FROM integration_product_links o
     -- ix_integration_product_links_bad_offers: only the bad ones are indexed.
     WHERE o.supplier_availability IS NOT NULL AND (o.offer_stock IS NULL OR o.offer_delivery_days < 0)
       AND o.integration_id IN (SELECT id FROM feeds)
       AND o.product_id IN (SELECT product_id FROM integration_product_links WHERE integration_id = :shop)
     ORDER BY o.id LIMIT 50)
    """
)

# What the shop committed: the shared record of a decision (get or create; a run has a handful) ...
_RECORD_ID_SQL = text(
    """
    INSERT INTO shop_sync_records AS r
        (integration_id, digest, settings_fingerprint, item_key, product_key, record)
    VALUES (:shop, :digest, :settings, :item_key, :product_key, CAST(:rec AS jsonb))
    ON CONFLICT (integration_id, digest) DO UPDATE SET digest = EXCLUDED.digest
    RETURNING r.id
    """
)

# ... and, per record, the link ids that now have it as one array. shop_sync_state rows are narrow;
# fillfactor 70 keeps rewrites HOT.
_RECORD_SQL = text(
    """
    INSERT INTO shop_sync_state AS st (link_id, record_id, sync_run_id, written_at)
    SELECT link_id, :record_id, :run_id, now()
    FROM unnest(CAST(:ids AS bigint[])) AS link_id
    ON CONFLICT (link_id) DO UPDATE
    SET record_id = EXCLUDED.record_id, sync_run_id = EXCLUDED.sync_run_id, written_at = EXCLUDED.written_at
    """
)


@dataclass
class _Link:
    link_id: int
    id_product_attribute: int
    item_key: int  # decision keys computed with the read (see _READ_SQL), recorded with what is written
    product_key: int
    offers: list[SupplierOffer] = field(default_factory=list)
    decision: Availability | None = None


@dataclass
class _Unit:
    """One shop product and its linked items."""

    id_product: int
    links: list[_Link] = field(default_factory=list)
    product_decision: Availability | None = None


def _settings_fingerprint(rule: AvailabilityRule, stock_key: tuple[int, int]) -> str:
    """Everything besides the best offers that decides what is written: changing any setting (texts,
    threshold, default days, stock keying) makes every product differ from what was recorded."""
    canonical = json.dumps(
        [
            str(rule.threshold),
            rule.default_delivery_days,
            sorted((i, t.available_now, t.available_later, t.unavailable) for i, t in rule.texts.items()),
            list(stock_key),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha1(canonical.encode()).hexdigest()


def _load_units(
    uow: UnitOfWork,
    integration_id: int,
    rule: AvailabilityRule,
    settings: str,
    full: bool,
    errors: list[dict[str, Any]],
) -> tuple[dict[int, _Unit], int]:
    """The shop products to write (all with ``full``, else those that changed) and how many were examined."""
    units: dict[int, _Unit] = {}
    examined = 0
    # JIT compiling costs seconds and saves nothing on one pass over 200,000 rows; the sort fits in memory.
    uow.session.execute(text("SET LOCAL jit = off"))
    uow.session.execute(text("SET LOCAL work_mem = '64MB'"))
    # Every join here is bulk; DISTINCT ON's estimate (200 rows) would otherwise pick 100,000 index probes.
    uow.session.execute(text("SET LOCAL enable_nestloop = off"))
    params = {
        "shop": integration_id,
        "threshold": rule.threshold,
        "default_days": rule.default_delivery_days,
        "settings": settings,
        "full": full,
    }
    for kind, link_id, id_product, id_attr, item_key, product_key, stock, days, raw in uow.session.execute(
        _READ_SQL, params
    ):
        if kind == "ok":
            unit = units.get(id_product)
            if unit is None:
                unit = units[id_product] = _Unit(id_product)
            unit.links.append(_Link(link_id, id_attr, item_key, product_key, [SupplierOffer(stock, days)]))
        elif kind == "examined":
            examined = int(link_id)
        elif kind == "bad":
            errors.append(
                {
                    "link_id": link_id,
                    "reason": f"supplier offer has a bad stock_quantity/delivery_days ({raw})",
                }
            )
        else:  # badext
            errors.append({"link_id": link_id, "reason": f"external id '{raw}' is not 'product:combination'"})
    return units, examined


# ---------------------------------------------------------------- deciding


def _decide(units: dict[int, _Unit], rule: AvailabilityRule) -> None:
    for unit in units.values():
        for link in unit.links:
            link.decision = rule.decide(link.offers)
        if len(unit.links) == 1:
            unit.product_decision = unit.links[0].decision
        else:
            unit.product_decision = rule.decide(o for link in unit.links for o in link.offers)
        assert unit.product_decision is not None


class _Records:
    """``last_availability`` as a shared record (``shop_sync_records``): equal for every link with the same
    decisions (and so the same fingerprint); the run and time are kept per link."""

    def __init__(self, integration_id: int, stock_key: tuple[int, int], run_id: int, settings: str) -> None:
        self.integration_id = integration_id
        self.stock_key = list(stock_key)
        self.settings = settings
        self.run_id = run_id
        self._texts: dict[tuple[int, int, int, int], str] = {}
        self._ids: dict[str, int] = {}

    def of(self, link: _Link, unit: _Unit) -> str:
        assert link.decision is not None and unit.product_decision is not None
        key = (id(link.decision), id(unit.product_decision), link.item_key, link.product_key)
        text_ = self._texts.get(key)
        if text_ is None:
            record = link.decision.as_record()
            record.update(
                product=unit.product_decision.as_record(),
                stock_key=self.stock_key,
                fingerprint=f"{self.settings}:{link.item_key}:{link.product_key}",
            )
            text_ = self._texts[key] = json.dumps(record, ensure_ascii=False, sort_keys=True)
        return text_

    def id_of(self, uow: UnitOfWork, rec: str, item_key: int, product_key: int) -> int:
        record_id = self._ids.get(rec)
        if record_id is None:
            record_id = self._ids[rec] = uow.session.execute(
                _RECORD_ID_SQL,
                {
                    "shop": self.integration_id,
                    "digest": hashlib.sha1(rec.encode()).hexdigest(),
                    "settings": self.settings,
                    "item_key": item_key,
                    "product_key": product_key,
                    "rec": rec,
                },
            ).scalar_one()
        return record_id


class _TextIds:
    """Numbers the distinct decisions of a run for the text staging table."""

    def __init__(self) -> None:
        self._ids: dict[int, tuple[int, Availability]] = {}

    def id_for(self, decision: Availability) -> int:
        entry = self._ids.get(id(decision))
        if entry is None:
            entry = (len(self._ids) + 1, decision)
            self._ids[id(decision)] = entry
        return entry[0]

    def rows(self, used: set[int]) -> list[tuple[int, int, str, str]]:
        return [
            (text_id, id_lang, now, later)
            for text_id, decision in self._ids.values()
            if text_id in used
            for id_lang, now, later in decision.texts
        ]


def _batch_rows(units: list[_Unit], text_ids: _TextIds) -> WriteBatch:
    batch = WriteBatch()
    used: set[int] = set()
    for unit in units:
        assert unit.product_decision is not None
        pid = text_ids.id_for(unit.product_decision)
        used.add(pid)
        batch.item_rows.append((unit.id_product, 0, unit.product_decision.out_of_stock, pid))
        for link in unit.links:
            if link.id_product_attribute:
                assert link.decision is not None
                tid = text_ids.id_for(link.decision)
                used.add(tid)
                batch.item_rows.append(
                    (unit.id_product, link.id_product_attribute, link.decision.out_of_stock, tid)
                )
    batch.text_rows = text_ids.rows(used)
    return batch


# ---------------------------------------------------------------- the use case


def sync_availability(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    limit: int | None = None,
    dry_run: bool = False,
    full: bool = False,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
    batch_size: int | None = None,
    batch_hook: BatchHook | None = None,
) -> SyncResult:
    """Write the best supplier offer's availability into the shop. See the module docstring."""
    actor.require(Permission.INTEGRATIONS_RUN)
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")
    if batch_size is not None and batch_size < 1:
        raise ValidationError("The batch size must be at least 1.")
    started = time.perf_counter()
    with uow, _one_sync_per_shop(uow, integration_id):
        integration = load_shop_integration(uow.session, integration_id)
        _refuse_unless_listing(integration)
        run = SyncRun(
            integration_id=integration.id,
            kind="availability",
            status="running",
            started_by=actor.login,
            dry_run=dry_run,
            full=full,
        )
        uow.session.add(run)
        uow.commit()
        run_id = run.id

        counts = {k: 0 for k in JSON_KEYS if k != "duration_s"}
        details: list[dict[str, Any]] = []
        status, message = "succeeded", None
        try:
            status, message = _run(
                uow,
                integration,
                run_id,
                counts,
                details,
                limit=limit,
                dry_run=dry_run,
                full=full or not integration.config["sync_only_changed"],
                progress=progress,
                cancel=cancel,
                batch_size=batch_size,
                batch_hook=batch_hook,
            )
        except RexbitError as exc:
            uow.rollback()
            counts["errors"] += 1
            details.append({"reason": exc.message})
            status, message = "failed", str(exc)
            log.info("availability sync of integration %s failed: %s", integration.id, exc.message)
        duration = round(time.perf_counter() - started, 3)
        finished = uow.session.get(SyncRun, run_id)
        assert finished is not None
        run = finished
        for key, value in counts.items():
            setattr(run, key, value)
        run.status = status
        run.message = message
        run.error_details = details[:MAX_ERROR_DETAILS]
        run.finished_at = datetime.now(UTC)
        run.duration_s = duration
        uow.commit()
    return SyncResult(
        sync_run_id=run_id,
        integration_id=integration.id,
        status=status,
        dry_run=dry_run,
        full=full,
        duration_s=duration,
        message=message,
        error_details=details[:MAX_ERROR_DETAILS],
        **counts,
    )


def _one_sync_per_shop(uow: UnitOfWork, integration_id: int) -> AbstractContextManager[None]:
    """Two syncs of one shop at once (a schedule and an operator) would race on last_availability.

    A session-level lock: the run commits per batch, and a transaction-level lock would be released by
    the first commit.
    """
    bind = uow.session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return held_while(
        engine,
        SHOP_AVAILABILITY_SYNC,
        integration_id,
        busy=lambda: Conflict(
            f"An availability sync of integration {integration_id} is already running.",
            hint="Wait for it to finish (see the last sync runs), then run again if needed.",
        ),
    )


def _refuse_unless_listing(integration: ShopIntegration) -> None:
    if not integration.config["product_listing_enabled"]:
        raise ProductListingDisabled(
            f"Product listing is disabled for integration {integration.id} ({integration.name}): "
            "the availability sync writes nothing to this shop.",
            hint='Set "product_listing_enabled": true in the integration\'s configuration to allow it.',
        )
    if not integration.enabled:
        raise ValidationError(
            f"Integration {integration.id} ({integration.name}) is disabled.", hint="Enable it first."
        )


def _run(
    uow: UnitOfWork,
    integration: ShopIntegration,
    run_id: int,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    *,
    limit: int | None,
    dry_run: bool,
    full: bool,
    progress: Progress,
    cancel: CancelCheck,
    batch_size: int | None,
    batch_hook: BatchHook | None,
) -> tuple[str, str | None]:
    gateway, shop = open_shop(integration)
    try:
        with gc_paused():  # 100,000 links become objects: see services/bulk.py
            return _sync_with(
                uow,
                gateway,
                shop,
                integration,
                run_id,
                counts,
                details,
                limit=limit,
                dry_run=dry_run,
                full=full,
                progress=progress,
                cancel=cancel,
                batch_size=batch_size,
                batch_hook=batch_hook,
            )
    finally:
        gateway.close()


def _sync_with(
    uow: UnitOfWork,
    gateway: Any,
    shop: ShopContext,
    integration: ShopIntegration,
    run_id: int,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    *,
    limit: int | None,
    dry_run: bool,
    full: bool,
    progress: Progress,
    cancel: CancelCheck,
    batch_size: int | None,
    batch_hook: BatchHook | None,
) -> tuple[str, str | None]:
    cfg = integration.config
    stock_key = shop.info.stock_key
    rule = AvailabilityRule(
        min_stock_threshold=cfg["min_stock_threshold"],
        texts=shop.texts,
        default_delivery_days=cfg["default_delivery_days"],
    )
    timings = {"read": 0.0, "decide": 0.0, "shop": 0.0, "record": 0.0}
    mark = time.perf_counter()
    settings = _settings_fingerprint(rule, stock_key)
    units, examined = _load_units(uow, integration.id, rule, settings, full, details)
    counts["errors"] += len(details)
    timings["read"], mark = time.perf_counter() - mark, time.perf_counter()
    _decide(units, rule)
    counts["examined"] = examined
    pending = [units[k] for k in sorted(units)]
    counts["skipped_unchanged"] = examined - len(pending)
    if limit is not None:
        pending = pending[:limit]
    counts["to_write"] = len(pending)
    total = len(pending)
    timings["decide"] = time.perf_counter() - mark
    progress(0, total, "dry run: checking" if dry_run else "writing availability")
    text_ids = _TextIds()
    records = _Records(integration.id, stock_key, run_id, settings)
    size = batch_size or _batch_size_for(total)
    chunks = [pending[i : i + size] for i in range(0, total, size)]

    # Two shop connections write batches side by side (disjoint products, so no lock waits): measured on
    # 100,000 products, MariaDB's UPDATEs took 1.4-1.5 s on two connections against 2.5-3.3 s on one.
    # Not more: this is the shop's live database. Each connection is used by one thread at a time.
    gateways: queue.SimpleQueue[Any] = queue.SimpleQueue()
    gateways.put(gateway)
    extra = [PrestaShopGateway.connect(integration.config) for _ in range(min(SHOP_WRITERS, len(chunks)) - 1)]
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
                hook=batch_hook,
                apply=not dry_run,
            )
        finally:
            gateways.put(g)
            with shop_time:
                timings["shop"] += time.perf_counter() - started

    # Pipelined: the shop writes the next batches while PostgreSQL records the one it committed, in
    # batch order. A batch that fails is not recorded; those already in flight finish and are recorded if
    # the shop committed them (so both sides agree), no new one starts, and the run fails with the first
    # error. Cancel is checked before each batch after the first.
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
                    not cancelled and failure is None and submitted < len(chunks) and len(in_flight) < writers
                ):
                    if submitted and cancel():
                        cancelled = True
                        return
                    submitted += 1
                    # The rows are built here, in this thread: text ids are numbered as they are first met.
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
                except BaseException as exc:  # the shop rolled that batch back: nothing of it is recorded
                    failure = failure or exc
                    continue
                _record_batch(uow, chunk, outcome, counts, details, records, dry_run, timings)
                done += len(chunk)
                progress(done, total, "dry run: checking" if dry_run else "writing availability")
                top_up()
    finally:
        for g in extra:
            g.close()
    if failure is not None:
        raise failure
    if cancelled and done < total:
        return "cancelled", f"cancelled after {done} of {total} products"
    log.info("sync run %s timings: %s", run_id, ", ".join(f"{k} {v:.3f} s" for k, v in timings.items()))
    return "succeeded", None


def _record_batch(
    uow: UnitOfWork,
    chunk: list[_Unit],
    outcome: BatchOutcome,
    counts: dict[str, int],
    details: list[dict[str, Any]],
    records: _Records,
    dry_run: bool,
    timings: dict[str, float],
) -> None:
    """Count a batch the shop committed and record ``last_availability`` for what it has."""
    mark = time.perf_counter()
    recs: dict[str, tuple[int, int, list[int]]] = {}  # record text → (item key, product key, link ids)
    for unit in chunk:
        if (unit.id_product, 0) in outcome.missing:
            counts["missing_in_shop"] += 1
            _note_missing(details, unit.id_product, 0)
            continue
        if not dry_run:
            counts["written"] += 1
        for link in unit.links:
            if link.id_product_attribute and (unit.id_product, link.id_product_attribute) in outcome.missing:
                counts["missing_in_shop"] += 1
                _note_missing(details, unit.id_product, link.id_product_attribute)
                continue
            rec = records.of(link, unit)
            entry = recs.get(rec)
            if entry is None:
                entry = recs[rec] = (link.item_key, link.product_key, [])
            entry[2].append(link.link_id)
    if not dry_run and recs:
        for rec, (item_key, product_key, ids) in recs.items():
            uow.session.execute(
                _RECORD_SQL,
                {
                    "record_id": records.id_of(uow, rec, item_key, product_key),
                    "run_id": records.run_id,
                    "ids": ids,
                },
            )
        uow.commit()
    timings["record"] += time.perf_counter() - mark


def _note_missing(details: list[dict[str, Any]], id_product: int, id_attr: int) -> None:
    if len(details) < MAX_ERROR_DETAILS:
        what = f"combination {id_product}:{id_attr}" if id_attr else f"product {id_product}"
        details.append(
            {"external_id": f"{id_product}:{id_attr}", "reason": f"{what} is no longer in the shop"}
        )


def sync_all_availability(
    uow: UnitOfWork, actor: Actor, *, progress: Progress = no_progress, cancel: CancelCheck = never_cancelled
) -> list[SyncResult]:
    """The 30-minute schedule: every enabled PrestaShop integration with product listing enabled."""
    actor.require(Permission.INTEGRATIONS_RUN)
    from rexbit_desktop.db.models import Integration

    with uow:
        rows = uow.session.execute(
            select(Integration.id, Integration.config)
            .where(Integration.type == PRESTASHOP_TYPE, Integration.enabled.is_(True))
            .order_by(Integration.id)
        ).all()
    ids = [i for i, cfg in rows if bool((cfg or {}).get("product_listing_enabled"))]
    results = []
    for integration_id in ids:
        if cancel():
            break
        try:
            results.append(
                sync_availability(uow, actor, integration_id=integration_id, progress=progress, cancel=cancel)
            )
        except RexbitError as exc:
            # One shop must not keep the others from their sync (e.g. a sync of it is already running).
            log.warning("availability sync of integration %s skipped: %s", integration_id, exc.message)
    return results


def last_availability(
    uow: UnitOfWork, actor: Actor, *, integration_id: int, external_id: str
) -> dict[str, Any] | None:
    """What the last sync committed for one shop link (None if nothing yet): ``out_of_stock``,
    ``texts``, ``product`` (the product level), ``stock_key``, ``fingerprint``, ``sync_run_id``,
    ``synced_at``."""
    actor.require(Permission.VIEW)
    from rexbit_desktop.db.models import IntegrationProductLink, ShopSyncRecord, ShopSyncState

    with uow:
        row = uow.session.execute(
            select(ShopSyncRecord.record, ShopSyncState.sync_run_id, ShopSyncState.written_at)
            .join(IntegrationProductLink, IntegrationProductLink.id == ShopSyncState.link_id)
            .join(ShopSyncRecord, ShopSyncRecord.id == ShopSyncState.record_id)
            .where(
                IntegrationProductLink.integration_id == integration_id,
                IntegrationProductLink.external_id == external_id,
            )
        ).one_or_none()
    if row is None:
        return None
    record, run_id, written_at = row
    return {
        **record,
        "sync_run_id": run_id,
        "synced_at": written_at.astimezone(UTC).isoformat(timespec="seconds"),
    }


def list_sync_runs(
    uow: UnitOfWork, actor: Actor, *, integration_id: int | None = None, limit: int = 20
) -> list[SyncRunView]:
    """The last sync runs of every kind (availability, orders), newest first (for the integrations view)."""
    actor.require(Permission.VIEW)
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if integration_id is not None:
        query = query.where(SyncRun.integration_id == integration_id)
    with uow:
        return [
            SyncRunView(
                r.id,
                r.integration_id,
                r.kind,
                r.status,
                r.started_by,
                r.dry_run,
                r.full,
                r.examined,
                r.to_write,
                r.written,
                r.skipped_unchanged,
                r.missing_in_shop,
                r.errors,
                r.message,
                r.started_at,
                r.finished_at,
                r.duration_s,
                r.created,
                r.updated,
                r.retried,
            )
            for r in uow.session.scalars(query)
        ]
