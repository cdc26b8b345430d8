"""*Webhooki*: endpoints (URL, types, on/off), their latest deliveries with every attempt's answer, "send
again", a test message, and copying the secret for the receiver (administrators; never shown on screen).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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

from rexbit_desktop.domain.automation import WEBHOOK_TYPES
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.automation import webhooks as hook_services
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, register, t
from rexbit_desktop.ui.runner import TaskError

register(
    {
        "Webhooks": "Webhooki",
        "Only a manager or an administrator may change webhooks.": (
            "Webhooki może zmieniać tylko kierownik lub administrator."
        ),
        "Endpoint": "Odbiorca",
        "Types": "Typy",
        "Pending": "Oczekuje",
        "Delivered": "Dostarczone",
        "Failed": "Nieudane",
        "Why off": "Dlaczego wyłączony",
        "Add endpoint": "Dodaj odbiorcę",
        "Send a test": "Wyślij test",
        "Copy secret": "Kopiuj sekret",
        "Send again": "Wyślij ponownie",
        "Deliveries": "Dostawy",
        "Attempts": "Próby",
        "Last answer": "Ostatnia odpowiedź",
        "Order no.": "Nr zamówienia",
        "Allow private and local addresses (administrator)": "Zezwól na adresy prywatne i lokalne (administrator)",
        "The secret is on the clipboard: give it to the receiver.": (
            "Sekret jest w schowku: przekaż go odbiorcy."
        ),
        "The new endpoint's secret is on the clipboard: give it to the receiver.": (
            "Sekret nowego odbiorcy jest w schowku: przekaż go odbiorcy."
        ),
        "Test sent: {status}, answer {code}.": "Wysłano test: {status}, odpowiedź {code}.",
        "Queued again.": "Ponownie w kolejce.",
        "pending": "oczekuje",
        "delivered": "dostarczono",
        "failed": "nieudane",
        "delivery cancelled": "anulowano",
        "Name": "Nazwa",
        "When": "Kiedy",
        "Type": "Typ",
        "Status": "Status",
    }
)

_STATUS = {
    "pending": t("pending"),
    "delivered": t("delivered"),
    "failed": t("failed"),
    "cancelled": t("delivery cancelled"),
}


def _table(columns: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class EndpointDialog(QDialog):
    def __init__(self, can_allow_private: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Add endpoint"))
        self.name = QLineEdit()
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://…")
        self.types = {kind: QCheckBox(kind) for kind in WEBHOOK_TYPES}
        self.types["orders.updated"].setChecked(True)
        self.allow_private = QCheckBox(t("Allow private and local addresses (administrator)"))
        self.allow_private.setEnabled(can_allow_private)
        form = QFormLayout(self)
        form.addRow(t("Name"), self.name)
        form.addRow("URL", self.url)
        types = QVBoxLayout()
        for box in self.types.values():
            types.addWidget(box)
        form.addRow(t("Types"), types)
        form.addRow("", self.allow_private)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, object]:
        return {
            "name": self.name.text(),
            "url": self.url.text(),
            "event_types": [k for k, box in self.types.items() if box.isChecked()],
            "allow_private": self.allow_private.isChecked(),
        }


class WebhooksPanel(QWidget):
    ENDPOINT_COLUMNS = ("Name", "URL", "Types", "On", "Pending", "Delivered", "Failed", "Why off")
    DELIVERY_COLUMNS = ("When", "Type", "Order no.", "Status", "Attempts", "Last answer")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.editable = ctx.can(Permission.SETTINGS_EDIT)
        self.admin = ctx.can(Permission.INTEGRATIONS_EDIT)
        self.endpoints: list[hook_services.EndpointDTO] = []
        self.deliveries: list[hook_services.DeliveryDTO] = []
        self.notice = QLabel(t("Only a manager or an administrator may change webhooks."))
        self.notice.setStyleSheet("color: #8a6d3b; background: #fcf8e3; padding: 6px")
        self.notice.setVisible(not self.editable)
        self.endpoint_table = _table([t(c) for c in self.ENDPOINT_COLUMNS], "webhook_endpoints")
        self.endpoint_table.itemSelectionChanged.connect(self.load_deliveries)
        self.delivery_table = _table([t(c) for c in self.DELIVERY_COLUMNS], "webhook_deliveries")
        self.delivery_table.itemSelectionChanged.connect(self._show_attempts)
        self.attempts = QPlainTextEdit()
        self.attempts.setObjectName("webhook_attempts")
        self.attempts.setReadOnly(True)
        self.add_button = QPushButton(t("Add endpoint"))
        self.add_button.clicked.connect(self.add_endpoint)
        self.toggle_button = QPushButton(t("Switch on/off"))
        self.toggle_button.clicked.connect(self.toggle)
        self.test_button = QPushButton(t("Send a test"))
        self.test_button.clicked.connect(self.send_test)
        self.secret_button = QPushButton(t("Copy secret"))
        self.secret_button.clicked.connect(self.copy_secret)
        self.resend_button = QPushButton(t("Send again"))
        self.resend_button.clicked.connect(self.send_again)
        for b in (self.add_button, self.toggle_button, self.test_button, self.resend_button):
            b.setEnabled(self.editable)
        self.secret_button.setEnabled(self.admin)
        top = QHBoxLayout()
        for b in (self.add_button, self.toggle_button, self.test_button, self.secret_button):
            top.addWidget(b)
        top.addStretch(1)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.addWidget(self.endpoint_table)
        upper_layout.addLayout(top)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.addWidget(QLabel(t("Deliveries")))
        lower_layout.addWidget(self.delivery_table)
        row = QHBoxLayout()
        row.addWidget(self.resend_button)
        row.addStretch(1)
        lower_layout.addLayout(row)
        lower_layout.addWidget(QLabel(t("Attempts")))
        lower_layout.addWidget(self.attempts)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(splitter)
        self.ask_endpoint = self._ask_endpoint  # tests replace it (no modal loop)

    def _error(self, error: TaskError | BaseException) -> None:
        self.ctx.dialogs.error(self, error)

    # -- endpoints -------------------------------------------------------------------------------
    def load(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: hook_services.list_endpoints(db.uow(), actor),
            on_result=self._fill,
            on_error=self._error,
        )

    def _fill(self, found: list[hook_services.EndpointDTO]) -> None:
        self.endpoints = found
        self.endpoint_table.setRowCount(len(found))
        for r, e in enumerate(found):
            values = (
                e.name,
                e.url,
                ", ".join(e.event_types),
                "✓" if e.enabled else "",
                str(e.pending),
                str(e.delivered),
                str(e.failed),
                e.disabled_reason or "",
            )
            for c, value in enumerate(values):
                self.endpoint_table.setItem(r, c, QTableWidgetItem(value))

    def selected(self) -> hook_services.EndpointDTO | None:
        row = self.endpoint_table.currentRow()
        return self.endpoints[row] if 0 <= row < len(self.endpoints) else None

    def _ask_endpoint(self) -> dict[str, object] | None:
        dialog = EndpointDialog(self.admin, self)
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def add_endpoint(self) -> None:
        values = self.ask_endpoint()
        if values is None:
            return
        db, actor = self.ctx.db, self.ctx.actor

        def done(result: tuple[hook_services.EndpointDTO, str]) -> None:
            QGuiApplication.clipboard().setText(result[1])
            self.ctx.dialogs.info(
                self,
                t("Webhooks"),
                t("The new endpoint's secret is on the clipboard: give it to the receiver."),
            )
            self.load()

        self.ctx.runner.submit(
            lambda _c: hook_services.add_endpoint(db.uow(), actor, **values),  # type: ignore[arg-type]
            on_result=done,
            on_error=self._error,
        )

    def toggle(self) -> None:
        e = self.selected()
        if e is None:
            return
        db, actor, key, enabled = self.ctx.db, self.ctx.actor, e.id, not e.enabled
        self.ctx.runner.submit(
            lambda _c: hook_services.update_endpoint(db.uow(), actor, key, enabled=enabled),
            on_result=lambda _r: self.load(),
            on_error=self._error,
        )

    def send_test(self) -> None:
        e = self.selected()
        if e is None:
            return
        db, actor, key = self.ctx.db, self.ctx.actor, e.id

        def done(d: hook_services.DeliveryDTO) -> None:
            code = d.history[-1].status_code if d.history else None
            self.ctx.dialogs.info(
                self,
                t("Webhooks"),
                t("Test sent: {status}, answer {code}.").format(
                    status=_STATUS.get(d.status, d.status), code=code if code is not None else "—"
                ),
            )
            self.load()

        self.ctx.runner.submit(
            lambda _c: hook_services.test_endpoint(db, actor, key), on_result=done, on_error=self._error
        )

    def copy_secret(self) -> None:
        e = self.selected()
        if e is None:
            return
        db, actor, key = self.ctx.db, self.ctx.actor, e.id

        def done(secret: str) -> None:
            QGuiApplication.clipboard().setText(secret)
            self.ctx.dialogs.info(
                self, t("Webhooks"), t("The secret is on the clipboard: give it to the receiver.")
            )

        self.ctx.runner.submit(
            lambda _c: hook_services.endpoint_secret(db.uow(), actor, key),
            on_result=done,
            on_error=self._error,
        )

    # -- deliveries ------------------------------------------------------------------------------
    def load_deliveries(self) -> None:
        e = self.selected()
        if e is None:
            return
        db, actor, name = self.ctx.db, self.ctx.actor, e.name
        self.ctx.runner.submit(
            lambda _c: hook_services.list_deliveries(db.uow(), actor, endpoint=name, limit=100),
            on_result=self._fill_deliveries,
            on_error=self._error,
        )

    def _fill_deliveries(self, found: list[hook_services.DeliveryDTO]) -> None:
        self.deliveries = found
        self.delivery_table.setRowCount(len(found))
        for r, d in enumerate(found):
            values = (
                format_datetime(d.created_at),
                d.type,
                d.order_number or "",
                _STATUS.get(d.status, d.status),
                str(d.attempts),
                str(d.last_status_code or "") + (f" {d.last_error}" if d.last_error else ""),
            )
            for c, value in enumerate(values):
                self.delivery_table.setItem(r, c, QTableWidgetItem(value))
        self.attempts.clear()

    def _show_attempts(self) -> None:
        row = self.delivery_table.currentRow()
        if not 0 <= row < len(self.deliveries):
            return
        d = self.deliveries[row]
        lines = [f"webhook-id: {d.msg_id}"]
        for a in d.history:
            lines.append(
                f"#{a.attempt}  {format_datetime(a.at)}  {a.status_code or '—'}  {a.duration_ms} ms  {a.response or ''}"
            )
        self.attempts.setPlainText("\n".join(lines))

    def send_again(self) -> None:
        row = self.delivery_table.currentRow()
        if not 0 <= row < len(self.deliveries):
            return
        db, actor, delivery_id = self.ctx.db, self.ctx.actor, self.deliveries[row].id

        def done(_r: None) -> None:
            self.ctx.dialogs.info(self, t("Webhooks"), t("Queued again."))
            self.load_deliveries()

        self.ctx.runner.submit(
            lambda _c: hook_services.send_again(db.uow(), actor, delivery_id),
            on_result=done,
            on_error=self._error,
        )
