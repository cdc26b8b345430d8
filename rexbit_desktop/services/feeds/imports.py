"""Supplier feed import runs: read the feed in chunks, stage the rows, apply them all at once.

A run goes ``queued → running → succeeded | failed | cancelled``. Reading splits the feed into chunks;
each chunk is staged (values read, rows copied into ``import_staged_rows``) by itself — in a queue job on
any worker host, or in-process with ``--now``. The chunk that completes the run applies it in ONE
set-based transaction: matching (normalised SKU, then EAN; several products = ambiguous, never guessed),
links with supplier availability, stock 0 for items that vanished from the feed. Anything that fails
before that transaction commits leaves every product's availability as it was.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, text, update

from rexbit_desktop.adapters.feeds.errors import FeedEmpty, FeedError, FeedMappingError
from rexbit_desktop.adapters.feeds.reader import open_feed_reader
from rexbit_desktop.adapters.feeds.source import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, open_feed_file
from rexbit_desktop.db.locks import FEED_APPLY, hold_for_transaction
from rexbit_desktop.db.models.integrations import (
    ImportRun,
    ImportRunChunk,
    ImportStagedRow,
    Integration,
    IntegrationTask,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Cancelled, NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.feed_values import (
    DEFAULT_NOMINAL_QUANTITY,
    FEED_FIELDS,
    FeedValueReader,
    StagedValues,
)
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.ops.maintenance import ask_for_vacuum

log = logging.getLogger(__name__)

NewUow = Callable[[], UnitOfWork]
RawRow = Sequence[Any]  # (line, external_id, sku, ean, stock, delivery_days, price) as feed text
ChunkSink = Callable[[int, list[Any]], None]

DEFAULT_CHUNK_ROWS = 20_000  # fewer per-chunk statements; two chunks in memory stay small
MAX_REPORTED_ERRORS = 50
# A running run that has not moved for this long lost its worker (killed, crashed host).
STALE_AFTER_S = 30 * 60
AVAILABILITY_FIELDS = ("stock_quantity", "delivery_days", "purchase_price")


@dataclass(frozen=True)
class ImportRunDTO:
    id: int
    integration_id: int
    task_id: int | None
    status: str
    started_by: str
    job_id: int | None
    rows_read: int
    rows_valid: int
    rows_invalid: int
    matched: int
    unmatched: int
    ambiguous: int
    zeroed: int
    errors: list[dict[str, Any]]
    message: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    row_limit: int | None = None
    task_name: str | None = None
    integration_name: str | None = None


def _run_dto(
    run: ImportRun, task_name: str | None = None, integration_name: str | None = None
) -> ImportRunDTO:
    return ImportRunDTO(
        id=run.id,
        integration_id=run.integration_id,
        task_id=run.task_id,
        status=run.status,
        started_by=run.started_by,
        job_id=run.job_id,
        rows_read=run.rows_read,
        rows_valid=run.rows_valid,
        rows_invalid=run.rows_invalid,
        matched=run.matched,
        unmatched=run.unmatched,
        ambiguous=run.ambiguous,
        zeroed=run.zeroed,
        errors=list(run.errors or []),
        message=run.message,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=run.duration_s,
        row_limit=run.row_limit,
        task_name=task_name,
        integration_name=integration_name,
    )


# ------------------------------------------------------------------ starting runs


def create_import_runs(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    started_by: str | None = None,
) -> list[ImportRunDTO]:
    """Queued runs for one profile (``task_id``) or every enabled profile of a supplier feed."""
    actor.require(Permission.INTEGRATIONS_RUN)
    if limit is not None and limit < 1:
        raise ValidationError("--limit must be at least 1.")
    with uow:
        integration = uow.session.get(Integration, integration_id)
        if integration is None:
            raise NotFound(
                f"There is no integration {integration_id}.", hint="List them with: rexbit integration list"
            )
        if integration.type != "supplier_feed":
            raise ValidationError(
                f"Integration {integration_id} ({integration.name}) is a {integration.type}, not a supplier feed.",
                hint="Feeds are imported from supplier_feed integrations.",
            )
        query = select(IntegrationTask).where(IntegrationTask.integration_id == integration_id)
        if task_id is not None:
            query = query.where(IntegrationTask.id == task_id)
        else:
            query = query.where(IntegrationTask.enabled.is_(True))
        tasks = list(uow.session.scalars(query.order_by(IntegrationTask.id)))
        if not tasks:
            if task_id is not None:
                raise NotFound(f"Integration {integration_id} has no import profile {task_id}.")
            raise ValidationError(
                f"Integration {integration_id} ({integration.name}) has no enabled import profile.",
                hint="Add one with: rexbit integration task-create --integration=ID --config=FILE.json",
            )
        runs = [
            ImportRun(
                integration_id=integration_id,
                task_id=t.id,
                status="queued",
                started_by=started_by or actor.login,
                row_limit=limit,
            )
            for t in tasks
        ]
        uow.session.add_all(runs)
        uow.session.flush()
        dtos = [_run_dto(r, t.name, integration.name) for r, t in zip(runs, tasks, strict=True)]
        uow.commit()
    return dtos


def set_run_job(uow: UnitOfWork, run_id: int, job_id: int) -> None:
    with uow:
        uow.session.execute(update(ImportRun).where(ImportRun.id == run_id).values(job_id=job_id))
        uow.commit()


# ------------------------------------------------------------------ reading


def _profile_snapshot(task: IntegrationTask, run: ImportRun) -> dict[str, Any]:
    return {
        "source_location": task.source_location,
        "format": task.format,
        "options": dict(task.options or {}),
        "mappings": dict(task.mappings or {}),
    }


def read_feed(
    new_uow: NewUow,
    run_id: int,
    sink: ChunkSink,
    *,
    chunk_rows: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> int:
    """Reads the run's feed and hands each chunk to ``sink``; returns the number of chunks.

    ``chunk_rows``: rows per chunk; by default the profile's ``chunk_rows`` option, else 20,000.

    Marks the run running, then records the number of chunks. Raises ``FeedError`` (the run is then
    failed) when the feed cannot be fetched, read or mapped, or has no rows.
    """
    with new_uow() as uow:
        run = uow.session.get(ImportRun, run_id, with_for_update=True)
        if run is None:
            raise NotFound(f"There is no import run {run_id}.")
        if run.status != "queued":
            raise ValidationError(f"Import run {run_id} is {run.status}; only a queued run can start.")
        task = uow.session.get(IntegrationTask, run.task_id) if run.task_id else None
        if task is None:
            raise NotFound(f"The import profile of run {run_id} no longer exists.")
        profile = _profile_snapshot(task, run)
        run.status = "running"
        run.started_at = func.now()  # type: ignore[assignment]
        run.profile = profile
        limit = run.row_limit
        uow.commit()

    options = profile["options"]
    chunk_rows = chunk_rows or int(options.get("chunk_rows") or DEFAULT_CHUNK_ROWS)
    chunks = rows = 0
    try:
        max_bytes = int(options.get("max_bytes") or DEFAULT_MAX_BYTES)
        timeout_s = float(options.get("timeout_s") or DEFAULT_TIMEOUT_S)
        with open_feed_file(profile["source_location"], max_bytes=max_bytes, timeout_s=timeout_s) as path:
            reader = open_feed_reader(path, profile["format"], options, profile["mappings"])
            total = path.stat().st_size
            if not ({"sku", "ean"} & set(reader.mappings)):
                raise FeedMappingError(
                    "The import profile maps neither sku nor ean; rows could not be matched to products.",
                    hint='Add e.g. "mappings": {"sku": "Indeks", "ean": "EAN", ...}.',
                )
            resolved = {
                **profile,
                "mappings": dict(reader.mappings),
                "decimal": reader.decimal,
                "value_maps": reader.value_maps,
            }
            # Chunks are read with these values (detected decimal separator, preset value maps),
            # possibly while the feed is still being read: store them before the first chunk.
            _store_profile(new_uow, run_id, resolved)
            seen: set[str] = set()
            positions = {f: i + 1 for i, f in enumerate(FEED_FIELDS)}
            progress(0, total, "reading the feed")
            for chunk in reader.chunks(FEED_FIELDS, chunk_rows, limit):
                if cancel():
                    raise Cancelled("The import was cancelled; nothing was applied.")
                for f in reader.explicit_fields - seen:
                    i = positions.get(f)
                    if i is not None and any(r[i] is not None for r in chunk):
                        seen.add(f)
                sink(chunks, chunk)
                chunks += 1
                rows += len(chunk)
                progress(reader.tell() or total, total, f"read {rows:,} rows".replace(",", " "))
            if rows == 0:
                raise FeedEmpty(
                    "The feed has no rows; nothing was changed.",
                    hint="An empty feed would zero every product's stock, so it is refused.",
                )
            unseen = sorted(f for f in reader.explicit_fields - seen if f in positions and f != "external_id")
            if profile["format"] == "xml" and unseen:
                raise FeedMappingError(
                    "No record of the feed has "
                    + ", ".join(f"{f} → '{reader.mappings[f]}'" for f in unseen)
                    + ".",
                    hint="Record children: " + ", ".join(reader.headers[:30]),
                )
            resolved["headers"] = reader.headers
    except (RexbitError, OSError) as exc:
        reason = exc.message if isinstance(exc, RexbitError) else f"Cannot read the feed: {exc}"
        fail_run(new_uow, run_id, reason, status="cancelled" if isinstance(exc, Cancelled) else "failed")
        if isinstance(exc, OSError):
            raise FeedError(reason) from exc
        raise

    with new_uow() as uow:
        run = uow.session.get(ImportRun, run_id, with_for_update=True)
        assert run is not None
        run.profile = resolved
        run.chunks_total = chunks
        task = uow.session.get(IntegrationTask, run.task_id) if run.task_id else None
        if task is not None:
            task.last_headers = list(resolved["headers"])
        uow.commit()
    return chunks


def _store_profile(new_uow: NewUow, run_id: int, profile: dict[str, Any]) -> None:
    with new_uow() as uow:
        uow.session.execute(update(ImportRun).where(ImportRun.id == run_id).values(profile=profile))
        uow.commit()


def store_chunk(uow: UnitOfWork, run_id: int, chunk_no: int, rows: list[RawRow]) -> None:
    """Keeps a chunk in the database for a chunk job (which may run on another host)."""
    with uow:
        uow.session.add(ImportRunChunk(run_id=run_id, chunk_no=chunk_no, rows=[list(r) for r in rows]))
        uow.commit()


def load_chunk(uow: UnitOfWork, run_id: int, chunk_no: int) -> list[RawRow] | None:
    with uow:
        chunk = uow.session.get(ImportRunChunk, (run_id, chunk_no))
        return None if chunk is None else list(chunk.rows)


# ------------------------------------------------------------------ staging


def _value_reader(profile: dict[str, Any]) -> FeedValueReader:
    options = profile.get("options") or {}
    nominal = options.get("nominal_quantity", DEFAULT_NOMINAL_QUANTITY)
    return FeedValueReader(
        decimal=profile.get("decimal"),
        nominal_quantity=Decimal(str(nominal)),
        value_maps=profile.get("value_maps") or options.get("value_maps") or {},
    )


# A chunk is copied into a temporary table, then staged with the product each row matches: normalised SKU
# first, EAN (as GTIN-14) only when no SKU matched; several products = ambiguous (no product). One index
# probe per row, so a chunk costs the same whatever the catalog's size (about 30 ms per 10,000 rows), and
# this runs while the next chunk is being read; the apply step no longer joins products.
_CHUNK_TABLE = """
CREATE TEMP TABLE staging_chunk (
    run_id bigint, line integer, chunk_no integer, external_id text, sku text, gtin text,
    stock_quantity numeric, delivery_days integer, purchase_price numeric, error text
) ON COMMIT DROP
"""
_COPY_STAGED = (
    "COPY staging_chunk (run_id, line, chunk_no, external_id, sku, gtin, stock_quantity,"
    " delivery_days, purchase_price, error) FROM STDIN"
)
_STAGE_MATCHED = """
INSERT INTO import_staged_rows (run_id, line, chunk_no, external_id, sku, gtin, stock_quantity,
                                delivery_days, purchase_price, error, product_id, candidates)
SELECT c.run_id, c.line, c.chunk_no, c.external_id, c.sku, c.gtin, c.stock_quantity,
       c.delivery_days, c.purchase_price, c.error,
       CASE WHEN by_sku.n = 1 THEN by_sku.product_id WHEN by_sku.n = 0 AND by_ean.n = 1 THEN by_ean.product_id END,
       CASE WHEN by_sku.n > 0 THEN by_sku.n ELSE by_ean.n END
FROM staging_chunk c
CROSS JOIN LATERAL (
    SELECT count(*) AS n, min(p.id) AS product_id FROM products p
    WHERE c.error IS NULL AND c.sku IS NOT NULL AND upper(btrim(p.sku)) = upper(c.sku)
) by_sku
CROSS JOIN LATERAL (
    SELECT count(*) AS n, min(p.id) AS product_id FROM products p
    WHERE by_sku.n = 0 AND c.error IS NULL AND c.gtin IS NOT NULL
      AND p.ean IS NOT NULL AND btrim(p.ean) <> '' AND lpad(btrim(p.ean), 14, '0') = c.gtin
) by_ean
"""


def read_chunk_values(reader: FeedValueReader, rows: list[RawRow]) -> list[StagedValues]:
    return reader.read_rows(rows)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: str | None) -> str:
    """A text value in COPY's text format (NULL is \\N)."""
    if value is None:
        return "\\N"
    return value.translate(_COPY_ESCAPES)


def stage_chunk(
    new_uow: NewUow,
    run_id: int,
    chunk_no: int,
    rows: list[RawRow] | None = None,
    *,
    staged: list[StagedValues] | None = None,
) -> bool:
    """Reads the values of one chunk and copies them into the staging table.

    ``rows`` None: the chunk stored for this run (queue mode); ``staged``: values already read. Returns
    True when this chunk completed the run's reading, i.e. the caller should apply the run. Idempotent:
    a retried chunk replaces itself.
    """
    from_table = rows is None and staged is None
    with new_uow() as uow:
        run = uow.session.get(ImportRun, run_id)
        if run is None or run.status != "running":
            return False
        if staged is None:
            if rows is None:
                chunk = uow.session.get(ImportRunChunk, (run_id, chunk_no))
                if chunk is None:
                    return False  # already staged by an earlier attempt
                rows = list(chunk.rows)
            staged = read_chunk_values(_value_reader(dict(run.profile or {})), rows)
        if staged:
            # A retried chunk replaces itself; the line range lets the primary key find it at once.
            uow.session.execute(
                delete(ImportStagedRow).where(
                    ImportStagedRow.run_id == run_id,
                    ImportStagedRow.line.between(min(r.line for r in staged), max(r.line for r in staged)),
                    ImportStagedRow.chunk_no == chunk_no,
                )
            )
        uow.session.execute(text(_CHUNK_TABLE))
        raw: Any = uow.session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(_COPY_STAGED) as copy:
            # COPY's text format written here: a third of the cost of write_row per value.
            prefix = f"{run_id}\t"
            chunk_text = f"\t{chunk_no}\t"
            copy.write(
                "".join(
                    prefix
                    + str(v.line)
                    + chunk_text
                    + "\t".join(
                        (
                            _copy_field(v.external_id),
                            _copy_field(v.sku),
                            v.gtin or "\\N",
                            "\\N" if v.stock_quantity is None else str(v.stock_quantity),
                            "\\N" if v.delivery_days is None else str(v.delivery_days),
                            "\\N" if v.purchase_price is None else str(v.purchase_price),
                            _copy_field(v.error),
                        )
                    )
                    + "\n"
                    for v in staged
                )
            )
        uow.session.execute(text(_STAGE_MATCHED))
        removed = uow.session.execute(
            delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id, ImportRunChunk.chunk_no == chunk_no)
        ).rowcount  # type: ignore[attr-defined]
        if from_table and not removed:
            # Another attempt at this chunk (a stalled job rescued while it still ran, or a read that
            # started over) staged it meanwhile: counting it twice would apply the run before its last
            # chunk. Nothing of this attempt is kept.
            return False
        warnings = [{"line": s.line, "reason": s.warning, "level": "warning"} for s in staged if s.warning]
        # The run row is the meeting point of all chunks: lock it only for the count.
        run = uow.session.get(ImportRun, run_id, with_for_update=True, populate_existing=True)
        assert run is not None
        if run.status != "running":
            return False
        if warnings and len(run.errors or []) < MAX_REPORTED_ERRORS:
            run.errors = [*(run.errors or []), *warnings][:MAX_REPORTED_ERRORS]
        run.chunks_done = run.chunks_done + 1
        ready = run.chunks_total is not None and run.chunks_done >= run.chunks_total
        uow.commit()
    return ready


def reading_finished(new_uow: NewUow, run_id: int) -> bool:
    """After reading: True when every chunk is already staged (then the reader applies the run)."""
    with new_uow() as uow:
        run = uow.session.get(ImportRun, run_id)
        return bool(
            run is not None
            and run.status == "running"
            and run.chunks_total is not None
            and run.chunks_done >= run.chunks_total
        )


# ------------------------------------------------------------------ applying

# One row per feed item: the last valid line wins; an item with only invalid lines is kept (with its
# error) so that it does not count as vanished. The valid ones are what each item should look like now
# (its product was matched when its chunk was staged). Values stay typed here: the JSON of an offer is
# built below only for the links that change, so an hourly run of an unchanged feed builds no JSON and
# writes (and locks) no link at all.
_APPLY_FEED_ROWS = """
CREATE TEMP TABLE feed_rows ON COMMIT DROP AS
SELECT DISTINCT ON (external_id COLLATE "C")
       external_id, sku, gtin, stock_quantity, delivery_days, purchase_price, line, error,
       product_id, candidates,
       sku AS external_sku,
       CASE WHEN left(gtin, 1) = '0' THEN substr(gtin, 2) ELSE gtin END AS external_ean
FROM import_staged_rows
WHERE run_id = :run_id AND external_id IS NOT NULL
ORDER BY external_id COLLATE "C", (error IS NULL) DESC, line DESC
"""

_APPLY_COUNTS = """
SELECT
    count(*) FILTER (WHERE (CASE WHEN l.link_source = 'manual' THEN l.product_id ELSE n.product_id END)
                     IS NOT NULL) AS matched,
    count(*) FILTER (WHERE n.candidates > 1 AND COALESCE(l.link_source, 'auto') <> 'manual') AS ambiguous,
    count(*) AS total
FROM (SELECT * FROM feed_rows WHERE error IS NULL) n
LEFT JOIN integration_product_links l ON l.integration_id = :integration_id AND l.external_id = n.external_id
"""

_APPLY_UPDATE = """
UPDATE integration_product_links l SET
    product_id = CASE WHEN l.link_source = 'manual' THEN l.product_id ELSE n.product_id END,
    external_sku = n.external_sku,
    external_ean = n.external_ean,
    supplier_availability = COALESCE(l.supplier_availability, '{{}}'::jsonb) || {availability},{offer_columns}
    metadata = l.metadata || CAST(:task_metadata AS jsonb),
    updated_at = now()
FROM (SELECT * FROM feed_rows WHERE error IS NULL) n
WHERE l.integration_id = :integration_id AND l.external_id = n.external_id
  AND (   (l.link_source <> 'manual' AND l.product_id IS DISTINCT FROM n.product_id)
       OR l.external_sku IS DISTINCT FROM n.external_sku
       OR l.external_ean IS DISTINCT FROM n.external_ean
       OR {availability_changed}
       OR l.metadata->'import_task_id' IS DISTINCT FROM to_jsonb(CAST(:task_id AS bigint)))
"""

_APPLY_INSERT = """
INSERT INTO integration_product_links
    (integration_id, product_id, external_id, external_sku, external_ean, link_source,
     supplier_availability, offer_stock, offer_delivery_days, metadata)
SELECT :integration_id, n.product_id, n.external_id, n.external_sku, n.external_ean, 'auto',
       {availability},
       {offer_stock}, {offer_delivery_days},
       CAST(:task_metadata AS jsonb)
FROM (SELECT * FROM feed_rows WHERE error IS NULL) n
WHERE NOT EXISTS (
    SELECT 1 FROM integration_product_links l
    WHERE l.integration_id = :integration_id AND l.external_id = n.external_id
)
"""

_APPLY_AMBIGUOUS_EXAMPLES = """
SELECT n.line, n.external_id, n.candidates,
       (SELECT string_agg(p.sku, ', ' ORDER BY p.sku) FROM products p
        WHERE (n.sku IS NOT NULL AND upper(btrim(p.sku)) = upper(n.sku))
           OR (n.gtin IS NOT NULL AND p.ean IS NOT NULL AND lpad(btrim(p.ean), 14, '0') = n.gtin)) AS skus
FROM feed_rows n
WHERE n.error IS NULL AND n.candidates > 1
ORDER BY n.line LIMIT 20
"""

# Items of this profile that the feed no longer lists: the supplier has none of them.
_APPLY_ZERO_VANISHED = """
UPDATE integration_product_links l
SET supplier_availability = COALESCE(l.supplier_availability, '{}'::jsonb)
        || jsonb_build_object('stock_quantity', 0, 'updated_at', CAST(:now AS text)),
    offer_stock = 0,
    updated_at = now()
WHERE l.integration_id = :integration_id
  AND l.metadata->>'import_task_id' = CAST(:task_id AS text)
  AND COALESCE(l.supplier_availability->>'stock_quantity', '') NOT IN ('0', '0.0', '0.000')
  AND NOT EXISTS (SELECT 1 FROM feed_rows f WHERE f.external_id = l.external_id)
"""


def _mapped_columns(mapped: set[str]) -> list[tuple[str, str]]:
    """(field, SQL value) of the fields this profile maps: a second profile of the same supplier
    (prices only, say) does not blank the first one's stock."""
    return [
        (name, f"trim_scale(n.{name})" if name != "delivery_days" else f"n.{name}")
        for name in AVAILABILITY_FIELDS
        if name in mapped
    ]


def _availability_sql(mapped: set[str], contractor_id: int | None) -> str:
    """The offer of a valid ``feed_rows n`` row as JSON, with its ``updated_at``: one object per row (building
    and merging three cost twice as much: 0.5–0.65 s against 0.3–0.35 s per 100,000 rows)."""
    parts = ["'contractor_id', CAST(:contractor_id AS bigint)"] if contractor_id is not None else []
    parts += [f"'{name}', {column}" for name, column in _mapped_columns(mapped)]
    parts += ["'updated_at', CAST(:now AS text)"]
    return "jsonb_build_object(" + ", ".join(parts) + ")"


# The typed offer columns from the values this run parsed: what rexbit_offer_stock / _delivery_days
# (migration 0009) give for the JSON written beside them — staged stock is numeric(14,3), never negative,
# so always a plain number; staged days are a non-negative integer, a "bad offer" (-1) above 9999 — and
# without the cost of reading the JSON back (0.35 s per 100,000 new links). A field the profile does not
# map keeps its column (update) or gets the rule's value for an absent key (insert).
_OFFER_STOCK = "COALESCE(n.stock_quantity, 0)"
_OFFER_DELIVERY_DAYS = "CASE WHEN n.delivery_days BETWEEN 0 AND 9999 THEN n.delivery_days WHEN n.delivery_days IS NOT NULL THEN -1 END"


def _offer_columns_insert(mapped: set[str]) -> dict[str, str]:
    return {
        "offer_stock": _OFFER_STOCK if "stock_quantity" in mapped else "0",
        "offer_delivery_days": _OFFER_DELIVERY_DAYS if "delivery_days" in mapped else "NULL",
    }


def _offer_columns_update(mapped: set[str]) -> str:
    sets = [f"offer_stock = {_OFFER_STOCK}"] if "stock_quantity" in mapped else []
    sets += [f"offer_delivery_days = {_OFFER_DELIVERY_DAYS}"] if "delivery_days" in mapped else []
    return "".join(f"\n    {x}," for x in sets)


def _availability_changed_sql(mapped: set[str]) -> str:
    """True when ``l.supplier_availability || availability`` differs from ``l.supplier_availability``:
    compared key by key on the typed values, without building the row's JSON (jsonb compares numbers
    by value, so 10 = 10.0 as before; a key that is missing differs from a JSON null)."""
    current = "l.supplier_availability"
    conds = [
        "(CAST(:contractor_id AS bigint) IS NOT NULL"
        f" AND {current}->'contractor_id' IS DISTINCT FROM to_jsonb(CAST(:contractor_id AS bigint)))"
    ]
    conds += [
        f"{current}->'{name}' IS DISTINCT FROM COALESCE(to_jsonb({column}), 'null'::jsonb)"
        for name, column in _mapped_columns(mapped)
    ]
    return "(" + " OR ".join(conds) + ")"


def apply_run(new_uow: NewUow, run_id: int, *, progress: Progress = no_progress) -> ImportRunDTO:
    """Applies a fully staged run in one transaction; a failure fails the run and changes nothing."""
    try:
        return _apply(new_uow, run_id, progress)
    except RexbitError as exc:
        fail_run(new_uow, run_id, exc.message)
        raise
    except Exception as exc:
        fail_run(new_uow, run_id, f"Applying the run failed: {exc}")
        raise


def _apply(new_uow: NewUow, run_id: int, progress: Progress) -> ImportRunDTO:
    clock = time.monotonic()
    with new_uow() as uow:
        s = uow.session
        run = s.get(ImportRun, run_id, with_for_update=True)
        if run is None:
            raise NotFound(f"There is no import run {run_id}.")
        if run.status != "running":
            return _run_dto(run)
        integration = s.get(Integration, run.integration_id)
        assert integration is not None
        # Bulk statements on fresh temporary tables: estimates are rough, and with JIT on PostgreSQL spent
        # seconds compiling plans for a sub-second join; sorts of 100k keys should not spill to disk.
        s.execute(text("SET LOCAL jit = off"))
        s.execute(text("SET LOCAL work_mem = '64MB'"))
        # Every join here is feed-sized (100k rows): hash joins. Nested loops of index probes came from
        # stale link estimates (right after a first import the table still looks empty to the planner):
        # 100k probes for the update, the counts and the vanished anti-join, each ~10× a hash join.
        s.execute(text("SET LOCAL enable_nestloop = off"))
        # One apply per supplier at a time: two runs must not interleave their links.
        hold_for_transaction(s, FEED_APPLY, integration.id)
        counts = s.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE error IS NULL) FROM import_staged_rows"
                " WHERE run_id = :run_id"
            ),
            {"run_id": run_id},
        ).one()
        rows_read, rows_valid = int(counts[0]), int(counts[1])
        errors = [
            {"line": line, "reason": reason, "level": "error"}
            for line, reason in s.execute(
                text(
                    "SELECT line, error FROM import_staged_rows WHERE run_id = :run_id AND error IS NOT NULL"
                    " ORDER BY line LIMIT :n"
                ),
                {"run_id": run_id, "n": MAX_REPORTED_ERRORS},
            )
        ]
        if rows_read == 0:
            raise FeedEmpty("The feed has no rows; nothing was changed.")
        if rows_valid == 0:
            first = f" First: line {errors[0]['line']}: {errors[0]['reason']}." if errors else ""
            raise FeedError(f"None of the {rows_read} rows is valid; nothing was changed.{first}")
        progress(0, None, "matching products")
        profile = dict(run.profile or {})
        options = profile.get("options") or {}
        mapped = set((profile.get("mappings") or {}).keys())
        now = s.execute(text("SELECT now()")).scalar_one()
        params = {
            "run_id": run_id,
            "integration_id": integration.id,
            "contractor_id": integration.contractor_id,
            "task_id": run.task_id,
            "task_metadata": json.dumps({"import_task_id": run.task_id}),
            "now": now.isoformat(),
        }
        # The temporary table gets a unique index: every join on it stays linear
        # whatever the (stale) estimates say — links may just have been written.
        s.execute(text(_APPLY_FEED_ROWS), params)
        s.execute(text("CREATE UNIQUE INDEX ON feed_rows (external_id)"))
        # Estimates for the joins with the links (update, counts, vanished items): hash joins, no sorts.
        s.execute(text("ANALYZE feed_rows"))
        matched, ambiguous, total = s.execute(text(_APPLY_COUNTS), params).one()
        unmatched = total - matched - ambiguous
        progress(0, None, "writing supplier offers")
        availability = _availability_sql(mapped, integration.contractor_id)
        changed = _availability_changed_sql(mapped)
        update_sql = _APPLY_UPDATE.format(
            availability=availability,
            availability_changed=changed,
            offer_columns=_offer_columns_update(mapped),
        )
        updated = s.execute(text(update_sql), params).rowcount  # type: ignore[attr-defined]
        insert_sql = _APPLY_INSERT.format(availability=availability, **_offer_columns_insert(mapped))
        inserted = s.execute(text(insert_sql), params).rowcount  # type: ignore[attr-defined]
        ambiguous_rows = [
            {
                "line": line,
                "reason": f"'{ext}' matches {n} products ({skus}); not linked",
                "level": "ambiguous",
            }
            for line, ext, n, skus in s.execute(text(_APPLY_AMBIGUOUS_EXAMPLES), params)
        ]
        zeroed = 0
        full_run = run.row_limit is None
        if full_run and options.get("zero_missing", True) and "stock_quantity" in mapped:
            zeroed = s.execute(text(_APPLY_ZERO_VANISHED), params).rowcount or 0  # type: ignore[attr-defined]
        s.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
        run.status = "succeeded"
        run.rows_read = rows_read
        run.rows_valid = rows_valid
        run.rows_invalid = rows_read - rows_valid
        run.matched, run.unmatched, run.ambiguous = int(matched), int(unmatched), int(ambiguous)
        run.zeroed = zeroed
        run.errors = (errors + ambiguous_rows + list(run.errors or []))[:MAX_REPORTED_ERRORS]
        run.message = (
            f"{rows_read} rows: {matched} matched, {unmatched} unmatched, {ambiguous} ambiguous, "
            f"{rows_read - rows_valid} invalid" + (f", {zeroed} vanished set to 0" if zeroed else "")
        )
        # clock_timestamp(), not now(): now() is when this transaction began, before the work it did.
        run.finished_at = func.clock_timestamp()  # type: ignore[assignment]
        s.flush()
        s.refresh(run)
        run.duration_s = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        dto = _run_dto(run)
        uow.commit()
    log.info("import run %s applied in %.2fs: %s", run_id, time.monotonic() - clock, dto.message)
    # Every changed offer left a dead row and cleared the visibility map: see services/ops/maintenance.py.
    ask_for_vacuum(new_uow(), (updated or 0) + (inserted or 0) + zeroed)
    return dto


def fail_run(new_uow: NewUow, run_id: int, reason: str, *, status: str = "failed") -> None:
    """Ends a run without applying it: its staged rows go, availability stays as it was."""
    with new_uow() as uow:
        s = uow.session
        run = s.get(ImportRun, run_id, with_for_update=True)
        if run is None or run.status in ("succeeded", "failed", "cancelled"):
            return
        s.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
        s.execute(delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id))
        run.status = status
        run.message = reason
        # clock_timestamp(), not now(): now() is when this transaction began, before the work it did.
        run.finished_at = func.clock_timestamp()  # type: ignore[assignment]
        s.flush()
        s.refresh(run)
        if run.finished_at is not None:
            run.duration_s = (run.finished_at - run.started_at).total_seconds()
        uow.commit()


def fail_stale_runs(uow: UnitOfWork, *, older_than_s: float = STALE_AFTER_S) -> list[int]:
    """Runs whose worker stopped (killed, host down) stay 'running'; mark them failed and say why."""
    with uow:
        s = uow.session
        stale = list(
            s.scalars(
                select(ImportRun.id).where(
                    ImportRun.status.in_(("running", "queued")),
                    ImportRun.updated_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s),
                )
            )
        )
        for run_id in stale:
            s.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
            s.execute(delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id))
        if stale:
            s.execute(
                update(ImportRun)
                .where(ImportRun.id.in_(stale))
                .values(
                    status="failed",
                    message="The run stopped before it finished (worker killed or job lost); "
                    "nothing was applied.",
                    finished_at=func.now(),
                )
            )
        uow.commit()
    return stale


# ------------------------------------------------------------------ running in-process


@dataclass
class _InlineSink:
    """Stages chunks in-process. Values are read here while a helper thread copies the previous chunk
    into PostgreSQL: on two cores, parsing and the server's COPY work overlap."""

    new_uow: NewUow
    run_id: int
    _reader: FeedValueReader | None = field(default=None)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "rexbit-stage"))
    _pending: Future[bool] | None = field(default=None)

    def __call__(self, chunk_no: int, rows: list[RawRow]) -> None:
        if self._reader is None:
            # read_feed stored the resolved profile (detected decimal, value maps) before this call.
            with self.new_uow() as uow:
                run = uow.session.get(ImportRun, self.run_id)
                self._reader = _value_reader(dict(run.profile or {}) if run else {})
        staged = read_chunk_values(self._reader, rows)
        self.flush()
        self._pending = self._pool.submit(stage_chunk, self.new_uow, self.run_id, chunk_no, staged=staged)

    def flush(self) -> None:
        """Waits for the chunk being copied; re-raises what went wrong there."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._pool.shutdown(wait=True)


def execute_run_now(
    new_uow: NewUow,
    run_id: int,
    *,
    chunk_rows: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> ImportRunDTO:
    """Reads, stages and applies a queued run here (``--now``): the same steps as the queue jobs."""
    sink = _InlineSink(new_uow, run_id)
    try:
        try:
            read_feed(new_uow, run_id, sink, chunk_rows=chunk_rows, progress=progress, cancel=cancel)
        finally:
            sink.close()
    except RexbitError:
        return get_run(new_uow(), run_id)
    except BaseException as exc:
        fail_run(new_uow, run_id, f"The import stopped: {exc!r}")
        raise
    if not reading_finished(new_uow, run_id):
        fail_run(new_uow, run_id, "Not every chunk was staged.")
        return get_run(new_uow(), run_id)
    try:
        return apply_run(new_uow, run_id, progress=progress)
    except RexbitError:
        return get_run(new_uow(), run_id)


def import_now(
    new_uow: NewUow,
    actor: Actor,
    *,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    chunk_rows: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> list[ImportRunDTO]:
    runs = create_import_runs(new_uow(), actor, integration_id=integration_id, task_id=task_id, limit=limit)
    return [
        execute_run_now(new_uow, r.id, chunk_rows=chunk_rows, progress=progress, cancel=cancel) for r in runs
    ]


# ------------------------------------------------------------------ history


def get_run(uow: UnitOfWork, run_id: int) -> ImportRunDTO:
    with uow:
        row = uow.session.execute(
            select(ImportRun, IntegrationTask.name, Integration.name)
            .join(Integration, Integration.id == ImportRun.integration_id)
            .outerjoin(IntegrationTask, IntegrationTask.id == ImportRun.task_id)
            .where(ImportRun.id == run_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"There is no import run {run_id}.")
        return _run_dto(row[0], row[1], row[2])


def list_runs(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int | None = None,
    task_id: int | None = None,
    limit: int = 50,
) -> list[ImportRunDTO]:
    """Run history, newest first, with the first errors of each run (for the UI and the CLI)."""
    actor.require(Permission.VIEW)
    with uow:
        query = (
            select(ImportRun, IntegrationTask.name, Integration.name)
            .join(Integration, Integration.id == ImportRun.integration_id)
            .outerjoin(IntegrationTask, IntegrationTask.id == ImportRun.task_id)
            .order_by(ImportRun.id.desc())
            .limit(limit)
        )
        if integration_id is not None:
            query = query.where(ImportRun.integration_id == integration_id)
        if task_id is not None:
            query = query.where(ImportRun.task_id == task_id)
        return [_run_dto(r, tn, inn) for r, tn, inn in uow.session.execute(query)]


def enabled_supplier_profiles(uow: UnitOfWork) -> list[tuple[int, int]]:
    """(integration id, profile id) of every enabled profile of every enabled supplier feed."""
    with uow:
        return [
            (int(i), int(t))
            for i, t in uow.session.execute(
                select(Integration.id, IntegrationTask.id)
                .join(IntegrationTask, IntegrationTask.integration_id == Integration.id)
                .where(
                    Integration.type == "supplier_feed",
                    Integration.enabled.is_(True),
                    IntegrationTask.enabled.is_(True),
                )
                .order_by(Integration.id, IntegrationTask.id)
            )
        ]
