"""Reading a supplier feed into chunks: the run starts (``queued → running``), the profile's feed is
fetched and read (CSV or XML, ``adapters/feeds``), each chunk is handed to the caller's sink, and the
number of chunks is recorded when the reading ends. A feed that cannot be read, mapped, or has no rows
fails the run. Also: keeping a chunk in the database for a chunk job (``store_chunk``).

What happens to the chunks, and who applies the run, is the run protocol in ``imports.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, update

from rexbit_desktop.adapters.feeds.errors import FeedEmpty, FeedError, FeedMappingError
from rexbit_desktop.adapters.feeds.reader import open_feed_reader
from rexbit_desktop.adapters.feeds.source import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, open_feed_file
from rexbit_desktop.db.models.integrations import (
    ImportRun,
    ImportRunChunk,
    IntegrationTask,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Cancelled, NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.feed_values import FEED_FIELDS
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.faults import pause_point
from rexbit_desktop.services.feeds.runs import ChunkSink, NewUow, RawRow, fail_run, failure_code

DEFAULT_CHUNK_ROWS = 20_000  # fewer per-chunk statements; two chunks in memory stay small


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
            raise NotFound(
                f"There is no import run {run_id}.", code="import_run_not_found", params={"run": run_id}
            )
        if run.status != "queued":
            raise ValidationError(
                f"Import run {run_id} is {run.status}; only a queued run can start.",
                code="import_run_not_queued",
                params={"run": run_id, "status": run.status},
            )
        task = uow.session.get(IntegrationTask, run.task_id) if run.task_id else None
        if task is None:
            raise NotFound(
                f"The import profile of run {run_id} no longer exists.",
                code="import_run_profile_gone",
                params={"run": run_id},
            )
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
        with open_feed_file(
            profile["source_location"],
            max_bytes=max_bytes,
            timeout_s=timeout_s,
            headers=options.get("http_headers"),
        ) as path:
            reader = open_feed_reader(path, profile["format"], options, profile["mappings"])
            total = path.stat().st_size
            if not ({"sku", "ean"} & set(reader.mappings)):
                raise FeedMappingError(
                    "The import profile maps neither sku nor ean; rows could not be matched to products.",
                    hint='Add e.g. "mappings": {"sku": "Indeks", "ean": "EAN", ...}.',
                    code="profile_needs_sku_or_ean",
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
                    raise Cancelled("The import was cancelled; nothing was applied.", code="import_cancelled")
                for f in reader.explicit_fields - seen:
                    i = positions.get(f)
                    if i is not None and any(r[i] is not None for r in chunk):
                        seen.add(f)
                sink(chunks, chunk)
                pause_point(f"read:{chunks}")
                chunks += 1
                rows += len(chunk)
                progress(reader.tell() or total, total, f"read {rows:,} rows".replace(",", " "))
            if rows == 0:
                raise FeedEmpty(
                    "The feed has no rows; nothing was changed.",
                    hint="An empty feed would zero every product's stock, so it is refused.",
                    code="feed_empty",
                )
            unseen = sorted(f for f in reader.explicit_fields - seen if f in positions and f != "external_id")
            if profile["format"] == "xml" and unseen:
                raise FeedMappingError(
                    "No record of the feed has "
                    + ", ".join(f"{f} → '{reader.mappings[f]}'" for f in unseen)
                    + ".",
                    hint="Record children: " + ", ".join(reader.headers[:30]),
                    code="feed_mapping_unseen",
                    params={
                        "fields": {f: reader.mappings[f] for f in unseen},
                        "headers": reader.headers[:30],
                    },
                )
            resolved["headers"] = reader.headers
    except (RexbitError, OSError) as exc:
        reason = exc.message if isinstance(exc, RexbitError) else f"Cannot read the feed: {exc}"
        fail_run(
            new_uow,
            run_id,
            reason,
            status="cancelled" if isinstance(exc, Cancelled) else "failed",
            **failure_code(exc),
        )
        if isinstance(exc, OSError):
            raise FeedError(reason, code="feed_cannot_read") from exc
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
    pause_point("read-done")
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
