"""Applying a staged run in ONE set-based transaction: changed links updated, new links inserted, items
that vanished from the feed set to 0 — all or nothing; then the counts and a VACUUM request."""

from __future__ import annotations

import contextlib
import json
import logging
import time

from sqlalchemy import delete, func, text

from rexbit_desktop.adapters.feeds.errors import FeedEmpty, FeedError
from rexbit_desktop.db.locks import FEED_APPLY, hold_for_transaction
from rexbit_desktop.db.models.integrations import (
    ImportRun,
    ImportStagedRow,
    Integration,
)
from rexbit_desktop.domain.errors import NotFound, RexbitError
from rexbit_desktop.domain.messages import one_line
from rexbit_desktop.domain.progress import Progress, no_progress
from rexbit_desktop.faults import pause_point
from rexbit_desktop.services.feeds.runs import (
    MAX_REPORTED_ERRORS,
    ImportRunDTO,
    NewUow,
    _run_dto,
    fail_run,
    failure_code,
)
from rexbit_desktop.services.ops.maintenance import ask_for_vacuum

log = logging.getLogger(__name__)


AVAILABILITY_FIELDS = ("stock_quantity", "delivery_days", "purchase_price")

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

# Lines whose item (normalised key) appears again: the last valid line is used, the others are reported.
_APPLY_DUPLICATE_LINES = """
SELECT s.line, s.external_id, f.line AS used, count(*) OVER () AS total
FROM import_staged_rows s
JOIN feed_rows f ON f.external_id = s.external_id
WHERE s.run_id = :run_id AND s.line <> f.line
ORDER BY s.line
LIMIT :n
"""

# One offer per supplier and product: when several items of the feed match one product, the first line
# keeps the match and the others are left unlinked (reported; a manual link still wins).
_APPLY_ONE_OFFER_PER_PRODUCT = """
WITH firsts AS (
    SELECT product_id, min(line) AS line FROM feed_rows
    WHERE error IS NULL AND product_id IS NOT NULL
    GROUP BY product_id HAVING count(*) > 1
)
UPDATE feed_rows f SET product_id = NULL
FROM firsts
WHERE f.product_id = firsts.product_id AND f.line <> firsts.line AND f.error IS NULL
RETURNING f.line, f.external_id, firsts.line
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
        fail_run(new_uow, run_id, exc.message, **failure_code(exc))
        raise
    except Exception as exc:
        # One readable line for the run (no SQL statement with its parameters); the details go to the log.
        log.exception("applying import run %s failed", run_id)
        with contextlib.suppress(Exception):  # the database may be gone: the sweep fails the run later
            fail_run(new_uow, run_id, f"Applying the run failed: {one_line(exc)}", code="import_apply_failed")
        raise


def _apply(new_uow: NewUow, run_id: int, progress: Progress) -> ImportRunDTO:
    clock = time.monotonic()
    with new_uow() as uow:
        s = uow.session
        run = s.get(ImportRun, run_id, with_for_update=True)
        if run is None:
            raise NotFound(
                f"There is no import run {run_id}.", code="import_run_not_found", params={"run": run_id}
            )
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
            raise FeedEmpty("The feed has no rows; nothing was changed.", code="feed_empty")
        if rows_valid == 0:
            first = f" First: line {errors[0]['line']}: {errors[0]['reason']}." if errors else ""
            raise FeedError(
                f"None of the {rows_read} rows is valid; nothing was changed.{first}",
                code="feed_no_valid_rows",
                params={"rows": rows_read},
            )
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
        duplicates = s.execute(
            text(_APPLY_DUPLICATE_LINES), {"run_id": run_id, "n": MAX_REPORTED_ERRORS}
        ).all()
        duplicate_lines = int(duplicates[0].total) if duplicates else 0
        problems = [
            {
                "line": line,
                "reason": f"'{key}' appears again on line {used}, which is used; this line is ignored",
                "level": "duplicate",
            }
            for line, key, used, _total in duplicates
        ]
        same_product = sorted(s.execute(text(_APPLY_ONE_OFFER_PER_PRODUCT), params).all())
        problems += [
            {
                "line": line,
                "reason": f"'{key}' matches the same product as line {first}; not linked"
                " (one offer per supplier and product)",
                "level": "duplicate",
            }
            for line, key, first in same_product[:MAX_REPORTED_ERRORS]
        ]
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
        run.errors = (errors + ambiguous_rows + problems + list(run.errors or []))[:MAX_REPORTED_ERRORS]
        run.message = (
            f"{rows_read} rows: {matched} matched, {unmatched} unmatched, {ambiguous} ambiguous, "
            f"{rows_read - rows_valid} invalid"
            + (f", {duplicate_lines} duplicate lines ignored" if duplicate_lines else "")
            + (f", {len(same_product)} items of an already matched product" if same_product else "")
            + (f", {zeroed} vanished set to 0" if zeroed else "")
        )
        # clock_timestamp(), not now(): now() is when this transaction began, before the work it did.
        run.finished_at = func.clock_timestamp()  # type: ignore[assignment]
        s.flush()
        s.refresh(run)
        run.duration_s = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        dto = _run_dto(run)
        pause_point("apply")
        uow.commit()
    pause_point("applied")
    log.info("import run %s applied in %.2fs: %s", run_id, time.monotonic() - clock, dto.message)
    # Every changed offer left a dead row and cleared the visibility map: see services/ops/maintenance.py.
    ask_for_vacuum(new_uow(), (updated or 0) + (inserted or 0) + zeroed)
    return dto
