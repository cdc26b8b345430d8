"""How import and sync runs show in the integrations view: status words and colours, counts, durations,
errors with their line numbers."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.services.feeds.runs import ImportRunDTO
from rexbit_desktop.ui.i18n import format_decimal, register, t

RUNS_POLL_MS = 3000

SYNC_KIND_COLUMN = 1


def _status(value: str | None) -> str:
    return t(value) if value else ""


def _status_colour(value: str | None) -> str | None:
    return {"failed": "#b00020", "cancelled": "#a06000", "succeeded": "#1b7a1b"}.get(value or "")


def _kind(value: str) -> str:
    return {"availability": t("availability"), "orders": t("orders"), "stock": t("stock")}.get(value, value)


def _count(run: Any, name: str, kind: str) -> str:
    """A count that means something for this kind of run only (blank for the other kind); the stock push
    counts like the availability sync."""
    same = run.kind == kind or (kind == "availability" and run.kind == "stock")
    return str(getattr(run, name)) if same else ""


def _duration(seconds: float | None) -> str:
    return "" if seconds is None else t("{s} s", s=format_decimal(seconds, 1))


register(
    {
        "rows: {read} · matched: {matched} · unmatched: {unmatched} · ambiguous: {ambiguous} · invalid: {invalid}": (
            "wiersze: {read} · dopasowane: {matched} · niedopasowane: {unmatched} · niejednoznaczne: {ambiguous}"
            " · błędne: {invalid}"
        ),
    }
)


def import_summary(read: int, matched: int, unmatched: int, ambiguous: int, invalid: int) -> str:
    """What a finished import did, in the UI's language."""
    return t(
        "rows: {read} · matched: {matched} · unmatched: {unmatched} · ambiguous: {ambiguous} · invalid: {invalid}",
        read=read,
        matched=matched,
        unmatched=unmatched,
        ambiguous=ambiguous,
        invalid=invalid,
    )


def _run_errors(run: ImportRunDTO) -> str:
    lines = [
        t("line {line}: {reason}", line=e.get("line", "?"), reason=e.get("reason", e))
        if isinstance(e, dict)
        else str(e)
        for e in run.errors
    ]
    if run.status == "succeeded":
        # The service's summary is English ("278 rows: 273 matched…"): said here from the counts.
        lines.insert(
            0, import_summary(run.rows_read, run.matched, run.unmatched, run.ambiguous, run.rows_invalid)
        )
    elif run.message:
        lines.insert(0, run.message)
    return "\n".join(lines) or t("No errors.")
