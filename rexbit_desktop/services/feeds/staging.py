"""Staging one chunk of a run: the feed text read into values (domain/feed_values.py), copied into a
temporary table, then into import_staged_rows with the product each row matches (SKU, then EAN)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete, text

from rexbit_desktop.db.models.integrations import (
    ImportRun,
    ImportRunChunk,
    ImportStagedRow,
)
from rexbit_desktop.domain.feed_values import (
    DEFAULT_NOMINAL_QUANTITY,
    FeedValueReader,
    StagedValues,
)
from rexbit_desktop.faults import pause_point
from rexbit_desktop.services.feeds.runs import (
    MAX_REPORTED_ERRORS,
    NewUow,
    RawRow,
)


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
                    # Staged by an earlier attempt, which may have died before (or while) it applied the
                    # run: a retried job finishes the protocol. Two appliers are safe (apply_run locks
                    # the run and applies a running run only).
                    return _fully_staged(run)
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
        ready = _fully_staged(run)
        pause_point(f"stage:{chunk_no}")
        uow.commit()
    pause_point(f"staged:{chunk_no}")
    return ready


def _fully_staged(run: ImportRun) -> bool:
    return run.status == "running" and run.chunks_total is not None and run.chunks_done >= run.chunks_total


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
