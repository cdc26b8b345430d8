"""Dialogs behind a small service so that tests need no real message boxes (Picard's
``user_dialog_service``). Errors are shown in the user's words; the traceback only under *Details*."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.runner import TaskError


def describe_error(error: TaskError | BaseException) -> tuple[str, str, str]:
    """(message, hint, details) for an error, in the user's words."""
    exc = error.exception if isinstance(error, TaskError) else error
    details = error.details if isinstance(error, TaskError) else repr(exc)
    if isinstance(exc, RexbitError):
        return t(exc.message), t(exc.hint) if exc.hint else "", details
    return (
        t("Something went wrong"),
        t(
            "The operation failed unexpectedly. Try again; if it keeps failing, "
            "send the details to the administrator."
        ),
        details,
    )


class DialogService:
    """Real dialogs. Tests substitute ``RecordingDialogs``."""

    def error(
        self, parent: QWidget | None, error: TaskError | BaseException, title: str | None = None
    ) -> None:
        message, hint, details = describe_error(error)
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title or t("Error"))
        box.setText(message)
        if hint:
            box.setInformativeText(hint)
        box.setDetailedText(details)
        box.exec()

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes


class RecordingDialogs(DialogService):
    """Records what would have been shown; ``confirm`` answers ``self.answer``."""

    def __init__(self, answer: bool = True) -> None:
        self.errors: list[tuple[str, str, str]] = []
        self.infos: list[tuple[str, str]] = []
        self.confirms: list[tuple[str, str]] = []
        self.answer = answer

    def error(
        self, parent: QWidget | None, error: TaskError | BaseException, title: str | None = None
    ) -> None:
        self.errors.append(describe_error(error))

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.infos.append((title, text))

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        self.confirms.append((title, text))
        return self.answer
