"""Dialogs behind a small service so that tests need no real message boxes (Picard's
``user_dialog_service``). Errors are shown in the user's words (``ui.messages``); the technical details
go to the log and to the clipboard through *Kopiuj szczegóły* — never a traceback in a dialog.
Confirmations of what cannot be undone default to *Nie*: Enter does not cancel an order."""

from __future__ import annotations

import logging

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.messages import phrase_error
from rexbit_desktop.ui.runner import TaskError

log = logging.getLogger(__name__)

register(
    {
        "Copy details": "Kopiuj szczegóły",
        "Yes": "Tak",
        "No": "Nie",
    }
)


def describe_error(error: TaskError | BaseException) -> tuple[str, str, str]:
    """(message, hint, details) for an error, in the user's words."""
    exc = error.exception if isinstance(error, TaskError) else error
    details = error.details if isinstance(error, TaskError) else repr(exc)
    if isinstance(exc, RexbitError):
        message, hint = phrase_error(exc)
        return message, hint, details
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

    def error_box(
        self, parent: QWidget | None, error: TaskError | BaseException, title: str | None = None
    ) -> QMessageBox:
        message, hint, details = describe_error(error)
        log.warning("error shown to the user: %s\n%s", message, details)
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title or t("Error"))
        box.setText(message)
        if hint:
            box.setInformativeText(hint)
        close = box.addButton(t("Close"), QMessageBox.ButtonRole.AcceptRole)
        copy = QPushButton(t("Copy details"), box)
        copy.setObjectName("copy_details")
        box.addButton(copy, QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()  # an action button would close the box: copying keeps it open
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(f"{message}\n{hint}\n\n{details}"))
        box.setDefaultButton(close)
        box.setEscapeButton(close)
        return box

    def error(
        self, parent: QWidget | None, error: TaskError | BaseException, title: str | None = None
    ) -> None:
        self.error_box(parent, error, title).exec()

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.NoButton, parent
        )
        box.addButton(t("OK"), QMessageBox.ButtonRole.AcceptRole)
        box.exec()

    def confirm_box(self, parent: QWidget | None, title: str, text: str) -> QMessageBox:
        """Yes/No in the user's language; *No* is the default (Enter and Escape answer No)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        yes = box.addButton(QMessageBox.StandardButton.Yes)
        no = box.addButton(QMessageBox.StandardButton.No)
        yes.setText(t("Yes"))
        no.setText(t("No"))
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        return box

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        box = self.confirm_box(parent, title, text)
        box.exec()
        return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)


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
