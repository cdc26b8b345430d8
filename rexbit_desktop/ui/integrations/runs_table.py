"""How import and sync runs show in the integrations view: status words and colours, counts, durations,
errors with their line numbers."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.services.feeds.runs import ImportRunDTO
from rexbit_desktop.ui.i18n import format_decimal, register, t
from rexbit_desktop.ui.messages import phrase_error

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


# Why a run failed, by the code the run keeps (the service's errors' codes are phrased by ui/messages).
RUN_FAILURES = {
    "feed_unreachable": "The supplier's feed could not be downloaded; nothing was changed.",
    "feed_too_large": "The feed is larger than the profile's size limit; nothing was changed.",
    "feed_unreadable": "The feed is not a readable CSV or XML file; nothing was changed.",
    "feed_unsafe": "The XML feed declares entities or an external DTD and was refused; nothing was changed.",
    "feed_mapping_error": "The profile maps a column the feed does not have; nothing was changed.",
    "feed_cannot_read": "The feed file could not be read; nothing was changed.",
    "import_failed": "The import failed; nothing was changed.",
    "import_apply_failed": "Applying the import failed; nothing was changed.",
    "import_stopped": "The import stopped; nothing was changed.",
    "import_chunk_missing": "Part of the feed went missing while it was read; nothing was changed.",
    "import_run_stalled": "The run stopped before it finished (worker killed or job lost); nothing was changed.",
    "import_run_orphaned": "The run stopped before it finished: none of its jobs waits or runs any more.",
    "import_run_abandoned": "The run stopped before it finished: the program running it was closed or lost the database.",
    "import_skipped_still_queued": "Skipped: the previous import of this profile is still waiting in the queue.",
}
register(
    {
        RUN_FAILURES["feed_unreachable"]: "Nie udało się pobrać pliku dostawcy; nic nie zmieniono.",
        RUN_FAILURES["feed_too_large"]: "Plik dostawcy przekracza limit rozmiaru profilu; nic nie zmieniono.",
        RUN_FAILURES[
            "feed_unreadable"
        ]: "Plik dostawcy nie jest czytelnym plikiem CSV ani XML; nic nie zmieniono.",
        RUN_FAILURES["feed_unsafe"]: (
            "Plik XML deklaruje encje lub zewnętrzny DTD i został odrzucony; nic nie zmieniono."
        ),
        RUN_FAILURES[
            "feed_mapping_error"
        ]: "Profil wskazuje kolumnę, której nie ma w pliku; nic nie zmieniono.",
        RUN_FAILURES["feed_cannot_read"]: "Nie udało się odczytać pliku dostawcy; nic nie zmieniono.",
        RUN_FAILURES["import_failed"]: "Import się nie powiódł; nic nie zmieniono.",
        RUN_FAILURES["import_apply_failed"]: "Zapisanie importu się nie powiodło; nic nie zmieniono.",
        RUN_FAILURES["import_stopped"]: "Import został przerwany; nic nie zmieniono.",
        RUN_FAILURES["import_chunk_missing"]: "Część pliku zaginęła podczas odczytu; nic nie zmieniono.",
        RUN_FAILURES["import_run_stalled"]: (
            "Import przerwał się przed końcem (proces zatrzymany lub zadanie utracone); nic nie zmieniono."
        ),
        RUN_FAILURES["import_run_orphaned"]: (
            "Import przerwał się przed końcem: żadne z jego zadań już nie czeka ani nie działa."
        ),
        RUN_FAILURES["import_run_abandoned"]: (
            "Import przerwał się przed końcem: program, który go wykonywał, zamknięto lub stracił połączenie z bazą."
        ),
        RUN_FAILURES["import_skipped_still_queued"]: (
            "Pominięto: poprzedni import tego profilu wciąż czeka w kolejce."
        ),
    }
)


def failed_run_message(run: Any) -> str:
    """Why a run failed or was cancelled, in the UI's language from the code it keeps; the stored
    (English) message only for runs from before the code was kept."""
    code = getattr(run, "message_code", None)
    if code in RUN_FAILURES:
        return t(RUN_FAILURES[code])
    if code:
        message, hint = phrase_error(RexbitError(run.message, code=code, params=run.message_params))
        return f"{message} {hint}".strip() if hint and "\n" not in hint else message
    return str(run.message or "")


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
        lines.insert(0, failed_run_message(run))
    return "\n".join(lines) or t("No errors.")
