"""The order detail's "Wiadomości" tab: e-mails sent to the customer (attachments, who, state, the
server's answers) and the customer's replies; "Send e-mail…" opens a template, editable before sending.

Everything goes through the messages services on the task runner; sending queues the e-mail (the
worker sends it), the tab shows its state after the next reload.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.messages.compose import OutgoingMessage
from rexbit_desktop.services.messages.outbox import resend_message, send_order_mail
from rexbit_desktop.services.messages.template_admin import list_templates, preview_template
from rexbit_desktop.services.messages.timeline import TimelineEntry
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, register, t
from rexbit_desktop.ui.mail.strings import phrase_mail_error
from rexbit_desktop.ui.runner import TaskError

register(
    {
        "Messages": "Wiadomości",
        "Direction": "Kierunek",
        "Subject": "Temat",
        "Attachments": "Załączniki",
        "Sent to the customer": "Wysłana do klienta",
        "Reply from the customer": "Odpowiedź klienta",
        "Send e-mail…": "Wyślij e-mail…",
        "Send e-mail to {email}": "Wyślij e-mail do {email}",
        "Send": "Wyślij",
        "Template": "Szablon",
        "Message body": "Treść",
        "Mail queued": "Wiadomość w kolejce",
        "The e-mail to {email} is queued; the tab shows when it was sent.": (
            "Wiadomość do {email} czeka w kolejce; zakładka pokaże, kiedy zostanie wysłana."
        ),
        "Mail state queued": "w kolejce",
        "Mail state sending": "wysyłanie",
        "Mail state retrying": "ponowna próba",
        "Mail state sent": "wysłana",
        "Mail state failed": "błąd wysyłki",
        "Mail state uncertain": "niepewna – sprawdź",
        "Mail state received": "odebrana",
        "Attempt {n}: {outcome}": "Próba {n}: {outcome}",
        "Server answer": "Odpowiedź serwera",
        "E-mail sent: {subject}": "Wysłano e-mail: {subject}",
        "Sending the e-mail again requested: {subject}": "Zlecono ponowne wysłanie e-maila: {subject}",
        "No messages yet.": "Brak wiadomości.",
        "Only the plain-text body is sent when you edit it.": (
            "Po zmianie treści wysyłana jest tylko wersja tekstowa."
        ),
        "Send again…": "Wyślij ponownie…",
        "Send again": "Wyślij ponownie",
        "Send the e-mail „{subject}” to {email} again? It may have arrived already.": (
            "Wysłać ponownie e-mail „{subject}” do {email}? Mógł już dotrzeć."
        ),
        "Send the e-mail „{subject}” to {email} again?": "Wysłać ponownie e-mail „{subject}” do {email}?",
        "Sends again message {n} (the earlier attempt: see above).": (
            "Ponowna wysyłka wiadomości nr {n} (wcześniejsza próba – patrz wyżej)."
        ),
        "The e-mail to {email} is queued again; the tab shows when it was sent.": (
            "Wiadomość do {email} ponownie czeka w kolejce; zakładka pokaże, kiedy zostanie wysłana."
        ),
    }
)

RESENDABLE = ("uncertain", "failed")

STATES = {
    s: f"Mail state {s}" for s in ("queued", "sending", "retrying", "sent", "failed", "uncertain", "received")
}
HEADERS = ["When", "Direction", "Subject", "Status", "By", "Attachments"]


def state_label(state: str) -> str:
    return t(STATES[state]) if state in STATES else state


def entry_details(e: TimelineEntry) -> str:
    """The body and, for our e-mails, every attempt with the server's answer."""
    lines = [f"{t('From')}: {e.from_address}"]
    if e.to_address:
        lines.append(f"{t('To')}: {e.to_address}")
    lines.append(f"{t('Subject')}: {e.subject}")
    if e.attachments:
        lines.append(f"{t('Attachments')}: {', '.join(e.attachments)}")
    lines.append("Message-ID: " + e.message_id)
    if e.resend_of:
        lines.append(t("Sends again message {n} (the earlier attempt: see above).", n=e.resend_of))
    for a in e.attempts:
        lines.append(
            t("Attempt {n}: {outcome}", n=a.attempt, outcome=a.outcome)
            + f" ({format_datetime(a.at)})"
            + (f" – {a.reply}" if a.reply else "")
        )
    if e.error:
        lines.append(f"{t('Server answer')}: {e.error}")
    return "\n".join(lines) + "\n\n" + e.body


class SendMailDialog(QDialog):
    """Choose a template, see it rendered for this order, edit, send (queued)."""

    def __init__(self, ctx: AppContext, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.number = number
        self.request_id = uuid.uuid4().hex  # one click, one e-mail (the service ignores a repeat)
        self.preview: OutgoingMessage | None = None
        self.result_message: OutgoingMessage | None = None
        self.setObjectName("send_mail_dialog")
        self.setWindowTitle(t("Send e-mail…"))
        self.resize(720, 560)
        self.template = QComboBox()
        self.template.setObjectName("send_mail_template")
        self.to_label = QLabel("")
        self.subject = QLineEdit()
        self.subject.setObjectName("send_mail_subject")
        self.body = QPlainTextEdit()
        self.body.setObjectName("send_mail_body")
        self.attachments = QLabel("")
        self.attachments.setObjectName("send_mail_attachments")
        note = QLabel(t("Only the plain-text body is sent when you edit it."))
        note.setStyleSheet("color: #666")
        form = QFormLayout()
        form.addRow(t("Template"), self.template)
        form.addRow(t("To"), self.to_label)
        form.addRow(t("Subject"), self.subject)
        form.addRow(t("Attachments"), self.attachments)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText(t("Send"))
        self.send_button.setObjectName("send_mail_send")
        self.send_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(t("Message body")))
        layout.addWidget(self.body, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.template.currentIndexChanged.connect(lambda _i: self._load_preview())
        db, actor = ctx.db, ctx.actor
        ctx.runner.submit(
            lambda _c: list_templates(db.uow(), actor), on_result=self._templates, on_error=self._error
        )

    def _templates(self, templates: Sequence[Any]) -> None:
        self.template.blockSignals(True)
        seen = set()
        for tpl in templates:
            if tpl.code not in seen:
                seen.add(tpl.code)
                self.template.addItem(tpl.name, tpl.code)
        self.template.blockSignals(False)
        self._load_preview()

    def choose(self, code: str) -> None:
        index = self.template.findData(code)
        if index >= 0:
            self.template.setCurrentIndex(index)

    def _load_preview(self) -> None:
        code = self.template.currentData()
        if not code:
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        self.send_button.setEnabled(False)
        self.ctx.runner.submit(
            lambda _c: preview_template(db.uow(), actor, number, str(code)),
            on_result=self._previewed,
            on_error=self._error,
        )

    def _previewed(self, m: OutgoingMessage) -> None:
        self.preview = m
        self.to_label.setText(m.to_address)
        self.subject.setText(m.subject)
        self.body.setPlainText(m.body_text)
        self.attachments.setText(", ".join(m.attachments) or "—")
        self.send_button.setEnabled(True)

    def send(self) -> None:
        if self.preview is None:
            return
        code = str(self.template.currentData())
        subject, body = self.subject.text(), self.body.toPlainText()
        edited = body != self.preview.body_text
        db, actor, number, request = self.ctx.db, self.ctx.actor, self.number, self.request_id
        self.send_button.setEnabled(False)

        def work(_c: Any) -> OutgoingMessage:
            return send_order_mail(
                db.uow(), actor, number, code, subject=subject, body_text=body,
                body_html="" if edited else None, request_id=request,
            )  # fmt: skip

        self.ctx.runner.submit(work, on_result=self._sent, on_error=self._error)

    def _sent(self, m: OutgoingMessage) -> None:
        self.result_message = m
        self.accept()

    def _error(self, error: TaskError) -> None:
        self.send_button.setEnabled(self.preview is not None)
        self.ctx.dialogs.error(self, error)


class MessagesPanel(QWidget):
    sent = Signal()
    """An e-mail was queued (the detail reloads)."""

    def __init__(self, ctx: AppContext, number: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.number = number
        self.entries: list[TimelineEntry] = []
        self.ask_dialog: Callable[[], SendMailDialog] = lambda: SendMailDialog(ctx, self.number(), self)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("detail_messages")
        self.table.setHorizontalHeaderLabels([t(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda row, *_a: self._show(row))
        self.details = QPlainTextEdit()
        self.details.setObjectName("detail_message_body")
        self.details.setReadOnly(True)
        self.send_button = QPushButton(t("Send e-mail…"))
        self.send_button.setObjectName("detail_send_mail")
        self.send_button.clicked.connect(self.open_send_dialog)
        self.resend_button = QPushButton(t("Send again…"))
        self.resend_button.setObjectName("detail_resend_mail")
        self.resend_button.setToolTip(t("Mail state uncertain") + " / " + t("Mail state failed"))
        self.resend_button.setEnabled(False)
        self.resend_button.clicked.connect(self.resend_selected)
        self.empty = QLabel(t("No messages yet."))
        split = QSplitter()
        split.setOrientation(split.orientation().Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        row = QHBoxLayout()
        row.addWidget(self.empty)
        row.addStretch(1)
        row.addWidget(self.resend_button)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addLayout(row)

    def set_entries(self, entries: list[TimelineEntry]) -> None:
        self.entries = entries
        self.empty.setVisible(not entries)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            values = [
                format_datetime(e.at),
                t("Sent to the customer") if e.kind == "sent" else t("Reply from the customer"),
                e.subject,
                state_label(e.state),
                e.by,
                ", ".join(e.attachments),
            ]
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.details.setPlainText("")
        if entries:
            self.table.selectRow(len(entries) - 1)
            self._show(len(entries) - 1)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            self.details.setPlainText(entry_details(self.entries[row]))
        entry = self.selected_entry()
        self.resend_button.setEnabled(
            entry is not None and entry.kind == "sent" and entry.state in RESENDABLE
            and self.ctx.can(Permission.ORDERS_EDIT)
        )  # fmt: skip

    def selected_entry(self) -> TimelineEntry | None:
        row = self.table.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def resend_selected(self) -> None:
        """Send the selected uncertain or failed e-mail again, after a confirmation that defaults to No."""
        entry = self.selected_entry()
        if entry is None or entry.kind != "sent" or entry.state not in RESENDABLE:
            return
        question = (
            "Send the e-mail „{subject}” to {email} again? It may have arrived already."
            if entry.state == "uncertain"
            else "Send the e-mail „{subject}” to {email} again?"
        )
        if not self.ctx.dialogs.confirm(
            self, t("Send again"), t(question, subject=entry.subject, email=entry.to_address)
        ):
            return
        db, actor, message, request = self.ctx.db, self.ctx.actor, entry.id, uuid.uuid4().hex
        self.resend_button.setEnabled(False)

        def done(m: OutgoingMessage) -> None:
            self.sent.emit()
            self.ctx.dialogs.info(
                self,
                t("Mail queued"),
                t(
                    "The e-mail to {email} is queued again; the tab shows when it was sent.",
                    email=m.to_address,
                ),
            )

        def failed(error: TaskError) -> None:
            self._show(self.table.currentRow())
            message_text, hint = phrase_mail_error(error.exception)
            self.ctx.dialogs.info(self, t("Send again"), message_text + (f"\n{hint}" if hint else ""))

        self.ctx.runner.submit(
            lambda _c: resend_message(db.uow(), actor, message, request_id=request),
            on_result=done,
            on_error=failed,
        )

    def open_send_dialog(self) -> None:
        dialog = self.ask_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.result_message is not None:
            m = dialog.result_message
            self.sent.emit()
            self.ctx.dialogs.info(
                self,
                t("Mail queued"),
                t("The e-mail to {email} is queued; the tab shows when it was sent.", email=m.to_address),
            )
