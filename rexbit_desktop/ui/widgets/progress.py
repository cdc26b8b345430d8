"""Long work with a progress dialog and a *Cancel* button.

``run_with_progress`` submits ``fn(ctx)`` to the task runner, shows a modeless ``QProgressDialog`` that
follows ``ctx.progress(done, total, message)`` (busy indicator while ``total`` is None) and sets the
cancel token when the user clicks *Cancel*; the work polls ``ctx.cancelled()`` and stops (raising
``Cancelled``). The result or error goes to the callbacks on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.runner import CancelToken, TaskContext, TaskError, TaskRunner

register(
    {"Cancelling…": "Anulowanie…", "{done} of {total}": "{done} z {total}", "{done} done": "Gotowe: {done}"}
)


class ProgressDialog(QProgressDialog):
    def __init__(self, parent: QWidget | None, title: str, label: str = "") -> None:
        super().__init__(label or title, t("Cancel"), 0, 0, parent)
        self.setObjectName("progress_dialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(300)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.token: CancelToken | None = None
        self.canceled.connect(self._cancel)

    def _cancel(self) -> None:
        self.setLabelText(t("Cancelling…"))
        if self.token is not None:
            self.token.cancel()

    def report(self, done: int, total: int | None, message: str = "") -> None:
        if total:
            self.setMaximum(max(total, 1))
            self.setValue(min(done, total))
            text = t("{done} of {total}", done=done, total=total)
        else:
            self.setMaximum(0)  # busy indicator
            text = t("{done} done", done=done)
        if self.token is None or not self.token.cancelled():
            self.setLabelText(f"{message}\n{text}" if message else text)


def run_with_progress(
    parent: QWidget | None,
    runner: TaskRunner,
    title: str,
    fn: Callable[[TaskContext], Any],
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[TaskError], None] | None = None,
    label: str = "",
) -> ProgressDialog:
    dialog = ProgressDialog(parent, title, label)

    def done(value: Any) -> None:
        dialog.close()
        if on_result:
            on_result(value)

    def failed(error: TaskError) -> None:
        dialog.close()
        if on_error:
            on_error(error)

    dialog.show()
    token = CancelToken()
    dialog.token = token

    def work(ctx: TaskContext) -> Any:
        # The dialog's token and the runner's are merged: either one cancels.
        return fn(TaskContext(progress=ctx.progress, cancelled=lambda: token.cancelled() or ctx.cancelled()))

    runner_token = runner.submit(work, on_result=done, on_error=failed, on_progress=dialog.report)
    dialog.canceled.connect(runner_token.cancel)
    return dialog
