"""*Wyślij e-mail do zaznaczonych…* in the orders list: choose a template, then one e-mail per selected
order goes to the outbox (``send_bulk_mail``: the worker sends them); the orders that cannot get one (no
e-mail address …) are listed in the user's words, the others are queued.

The button sits in the list's bulk bar (``add_bulk_mail``); the orders view owns the bar.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.messages.outbox import BulkResult, send_bulk_mail
from rexbit_desktop.services.messages.template_admin import TemplateDTO, list_templates
from rexbit_desktop.ui.i18n import register, t, tn
from rexbit_desktop.ui.mail.strings import phrase_mail_error
from rexbit_desktop.ui.runner import TaskError

if TYPE_CHECKING:
    from rexbit_desktop.ui.orders.bulk import BulkBar

register(
    {
        "Send e-mail to the selected…": "Wyślij e-mail do zaznaczonych…",
        "E-mail…": "E-mail…",
        "E-mail to the selected orders": "E-mail do zaznaczonych zamówień",
        "Selected: {orders}. Each customer gets one e-mail from the chosen template.": (
            "Zaznaczono: {orders}. Każdy klient dostanie jeden e-mail z wybranego szablonu."
        ),
        "Send": "Wyślij",
        "Cancel": "Anuluj",
        "Queued: {queued}.": "W kolejce do wysłania: {queued}.",
        "Queued: {queued}. Not sent: {refused}.": "W kolejce do wysłania: {queued}. Nie wysłano: {refused}.",
        "{number}: {reason}": "{number}: {reason}",
        "Queued before (not added again): {n}.": "Dodane wcześniej (nie dodano ponownie): {n}.",
    }
)


class BulkMailDialog(QDialog):
    """Choose the template for the selection (the same click sends each customer one e-mail)."""

    def __init__(self, templates: list[TemplateDTO], count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bulk_mail_dialog")
        self.setWindowTitle(t("E-mail to the selected orders"))
        self.template = QComboBox()
        self.template.setObjectName("bulk_mail_template")
        seen: dict[str, str] = {}
        for tpl in templates:
            if tpl.code not in seen or tpl.language == "pl":
                seen[tpl.code] = tpl.name
        for code, name in seen.items():
            self.template.addItem(name, code)
        text = QLabel(
            t(
                "Selected: {orders}. Each customer gets one e-mail from the chosen template.",
                orders=tn("{n} order", count),
            )
        )
        text.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("Send"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(t("Template"), self.template)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choose(self, code: str) -> None:
        index = self.template.findData(code)
        if index >= 0:
            self.template.setCurrentIndex(index)


def refusal_reason(code: str | None, params: dict[str, Any]) -> str:
    message, _hint = phrase_mail_error(RexbitError(str(params.get("message", "")), code=code, params=params))
    return message


def result_text(result: BulkResult) -> str:
    queued = tn("{n} order", sum(1 for m in result.sent if m.created))
    earlier = sum(1 for m in result.sent if not m.created)
    if not result.refusals:
        lines = [t("Queued: {queued}.", queued=queued)]
    else:
        lines = [
            t(
                "Queued: {queued}. Not sent: {refused}.",
                queued=queued,
                refused=tn("{n} order", len(result.refusals)),
            )
        ]
    if earlier:
        lines.append(t("Queued before (not added again): {n}.", n=earlier))
    for number, (code, params) in list(result.refusals.items())[:30]:
        lines.append(t("{number}: {reason}", number=number, reason=refusal_reason(code, params)))
    if len(result.refusals) > 30:
        lines.append("…")
    return "\n".join(lines)


class BulkMailButton(QPushButton):
    def __init__(self, bar: BulkBar) -> None:
        super().__init__(t("E-mail…"), bar)  # short: the bulk bar is full; the tooltip says the rest
        self.setObjectName("bulk_mail")
        self.setToolTip(t("Send e-mail to the selected…"))
        self.bar = bar
        self.ctx = bar.ctx
        self.last_result: BulkResult | None = None
        self.ask_dialog = lambda templates, count: BulkMailDialog(templates, count, self)
        self.setEnabled(self.ctx.can(Permission.ORDERS_EDIT))
        self.clicked.connect(self.start)

    def start(self) -> None:
        numbers = self.bar._numbers()
        if not numbers:
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: list_templates(db.uow(), actor),
            on_result=lambda templates: self._choose(templates, numbers),
            on_error=self._failed,
        )

    def _choose(self, templates: list[TemplateDTO], numbers: list[str]) -> None:
        dialog = self.ask_dialog(templates, len(numbers))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        code = str(dialog.template.currentData() or "")
        if not code:
            return
        db, actor, request = self.ctx.db, self.ctx.actor, uuid.uuid4().hex
        self.setEnabled(False)
        self.ctx.runner.submit(
            lambda _c: send_bulk_mail(db.uow(), actor, numbers, code, request_id=request),
            on_result=self._sent,
            on_error=self._failed,
        )

    def _sent(self, result: BulkResult) -> None:
        self.setEnabled(True)
        self.last_result = result
        self.ctx.dialogs.info(self, t("E-mail to the selected orders"), result_text(result))

    def _failed(self, error: TaskError) -> None:
        self.setEnabled(True)
        self.ctx.dialogs.error(self, error)


def add_bulk_mail(bar: BulkBar) -> BulkMailButton:
    """Put the button into the bulk bar, before the print button."""
    button = BulkMailButton(bar)
    layout = bar.layout()
    layout.insertWidget(layout.indexOf(bar.print_button), button)  # type: ignore[attr-defined]
    return button
