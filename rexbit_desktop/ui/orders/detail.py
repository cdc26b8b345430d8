"""The order detail window: payment, addresses, items, WZ documents, status history, reservations, notes;
actions: change status (only allowed transitions), reserve, issue WZ, cancel, ship, print.

Every read and action goes through the order services on the task runner; after an action the detail
is reloaded from the database (it never patches itself from what it sent).

One load is one unit of work (``services.orders.window``): the detail, the settings, the shop order,
the e-mails and the shipments together. This module lays the window out and fills it; what the buttons
do is ``detail_actions.py``, the tabs' filling ``detail_tabs.py``, the words ``detail_labels.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.orders import OrderStatus, permission_for
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.orders.dto import OrderDetailDTO
from rexbit_desktop.services.orders.window import OrderWindowDTO, load_order_window
from rexbit_desktop.services.shop.flowback import ShopOrderInfo
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, format_money, format_quantity, language, t
from rexbit_desktop.ui.orders.detail_actions import DetailActions
from rexbit_desktop.ui.orders.detail_labels import (
    DOCUMENT_STATUSES,
    DOCUMENT_TYPES,
    RESERVATION_STATUSES,
    _word,
)
from rexbit_desktop.ui.orders.detail_tabs import DetailTabs
from rexbit_desktop.ui.orders.labels import order_fulfillment_label, payment_label
from rexbit_desktop.ui.orders.messages import MessagesPanel
from rexbit_desktop.ui.orders.pick_check import PickCheck
from rexbit_desktop.ui.orders.printing import Printing, open_with_system_viewer
from rexbit_desktop.ui.orders.shipments_panel import ShipmentsPanel
from rexbit_desktop.ui.runner import TaskError
from rexbit_desktop.ui.widgets.tables import fill_table, make_table

ITEM_HEADERS = [
    "SKU",
    "Name",
    "Quantity",
    "Unit price",
    "VAT",
    "Gross",
    "Warehouse",
    "Reserved",
    "Missing",
    "Issued",
]


def _action_label(label: str) -> str:
    """An automation step as the services wrote it ("Set status: paid"), its verb in the UI's language."""
    verb, sep, rest = label.partition(": ")
    return t(verb) + sep + rest


class OrderDetailDialog(DetailActions, DetailTabs, QDialog):
    changed = Signal()
    """Emitted after an action changed the order (the list reloads)."""
    loaded = Signal(object)

    def __init__(self, ctx: AppContext, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.number = number
        self.order: OrderDetailDTO | None = None
        self.settings: OrderSettings | None = None
        self.shop_order: ShopOrderInfo | None = None
        self.carriers: list[tuple[str, str]] = []
        self.wz_on = "ready_for_shipment"
        self.open_file: Callable[[Path], bool | None] = open_with_system_viewer
        self.printing = Printing(ctx)
        self.tracking_optional: list[str] = []
        self.tracking_links: dict[str, str] = {}
        self.carrier_names: dict[str, str] = {}
        self._last_ship: tuple[str, str] | None = None
        # The "create shipment" dialog is shown by this (tests and screenshots answer it themselves).
        self.show_shipment_dialog: Callable[[Any], bool] | None = None
        self.setObjectName("order_detail")
        self.setWindowTitle(t("Order {number}", number=number))
        self.resize(1150, 760)

        # header
        self.title_label = QLabel(number)
        self.title_label.setObjectName("detail_title")
        self.title_label.setStyleSheet("font-size: 16pt; font-weight: bold")
        self.status_label = QLabel("")
        self.status_label.setObjectName("detail_status")
        self.summary_label = QLabel("")
        self.summary_label.setObjectName("detail_summary")
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addWidget(self.status_label)
        header.addStretch(1)
        header.addWidget(self.summary_label)

        # actions
        self.transition_combo = QComboBox()
        self.transition_combo.setObjectName("detail_transitions")
        self.transition_combo.setMinimumWidth(200)
        self.transition_button = QPushButton(t("Change status"))
        self.transition_button.setObjectName("detail_transition")
        self.transition_button.clicked.connect(self._change_status)
        self.reserve_button = QPushButton(t("Reserve stock"))
        self.reserve_button.setObjectName("detail_reserve")
        self.reserve_button.clicked.connect(self._reserve)
        self.wz_button = QPushButton(t("Issue WZ"))
        self.wz_button.setObjectName("detail_issue_wz")
        self.wz_button.clicked.connect(self._issue_wz)
        self.ship_button = QPushButton(t("Ship…"))
        self.ship_button.setObjectName("detail_ship")
        self.ship_button.clicked.connect(self._ship)
        self.cancel_button = QPushButton(t("Cancel order"))
        self.cancel_button.setObjectName("detail_cancel")
        self.cancel_button.clicked.connect(self._cancel)
        self.print_confirmation = QPushButton(t("Print order confirmation"))
        self.print_confirmation.setObjectName("detail_print_confirmation")
        self.print_confirmation.clicked.connect(lambda: self.print_document("confirmation"))
        self.print_packing = QPushButton(t("Print packing list"))
        self.print_packing.setObjectName("detail_print_packing")
        self.print_packing.clicked.connect(lambda: self.print_document("packing"))
        actions = QHBoxLayout()
        actions.addWidget(QLabel(t("Change status to…")))
        actions.addWidget(self.transition_combo)
        actions.addWidget(self.transition_button)
        actions.addSpacing(12)
        for b in (self.reserve_button, self.wz_button, self.ship_button, self.cancel_button):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.print_confirmation)
        actions.addWidget(self.print_packing)

        # items + lower tabs (left), payment + addresses (right)
        self.items_table = make_table(ITEM_HEADERS, "detail_items", stretch=1)
        self.documents_table = make_table(
            ["Document", "Type", "Status", "Warehouse", "When"], "detail_documents", stretch=0
        )
        self.documents_table.doubleClicked.connect(lambda _i: self._open_selected_document())
        self.open_pdf_button = QPushButton(t("Open PDF"))
        self.open_pdf_button.setObjectName("detail_open_pdf")
        self.open_pdf_button.clicked.connect(self._open_selected_document)
        docs = QWidget()
        docs_layout = QVBoxLayout(docs)
        docs_layout.setContentsMargins(0, 0, 0, 0)
        docs_layout.addWidget(self.documents_table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_pdf_button)
        docs_layout.addLayout(row)
        self.history_table = make_table(["When", "From", "To", "By", "Status comment"], "detail_history")
        self.reservations_table = make_table(
            ["SKU", "Warehouse", "Reserved", "Released", "Status", "Expires"], "detail_reservations"
        )
        self.notes_list = QListWidget()
        self.notes_list.setObjectName("detail_notes")
        self.notes_list.setWordWrap(True)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("detail_note_edit")
        self.note_edit.setPlaceholderText(t("Write a note…"))
        self.note_edit.setMaximumHeight(70)
        self.note_button = QPushButton(t("Add note"))
        self.note_button.setObjectName("detail_add_note")
        self.note_button.clicked.connect(self._add_note)
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addWidget(self.notes_list, 1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        notes_layout.addLayout(note_row)
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setObjectName("detail_tabs")
        self.lower_tabs.addTab(self.history_table, t("Status history"))
        self.lower_tabs.addTab(docs, t("WZ documents"))
        self.lower_tabs.addTab(self.reservations_table, t("Reservations"))
        self.lower_tabs.addTab(notes, t("Notes"))
        # Carrier shipments (services/shipping): their own panel, reloaded with the detail.
        self.shipments_panel = ShipmentsPanel(ctx)
        self.shipments_panel.create_button.clicked.connect(self.create_shipment)
        self.shipments_panel.changed.connect(self._after_action)
        self.lower_tabs.insertTab(1, self.shipments_panel, t("Shipments"))
        self.create_shipment_button = QPushButton(t("Create shipment…"))
        self.create_shipment_button.setObjectName("detail_create_shipment")
        self.create_shipment_button.clicked.connect(self.create_shipment)
        actions.insertWidget(actions.count() - 3, self.create_shipment_button)
        self.messages_panel = MessagesPanel(ctx, lambda: self.number, self)
        self.messages_panel.sent.connect(self.load)
        self.lower_tabs.addTab(self.messages_panel, t("Messages"))
        self.pick_check = PickCheck()
        self.pick_check.setObjectName("detail_pick_check")
        self.pick_check.override_requested.connect(self._override_pick_check)
        self.lower_tabs.addTab(self.pick_check, t("Pick check"))  # current by itself while picking

        items_box = QGroupBox(t("Items"))
        QVBoxLayout(items_box).addWidget(self.items_table)
        left = QSplitter()
        left.setOrientation(left.orientation().Vertical)
        left.addWidget(items_box)
        left.addWidget(self.lower_tabs)

        self.payment_box = QGroupBox(t("Payment"))
        self.payment_grid = QGridLayout(self.payment_box)
        self.addresses_box = QGroupBox(t("Addresses"))
        self.addresses_layout = QVBoxLayout(self.addresses_box)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.payment_box)
        right_layout.addWidget(self.addresses_box, 1)
        right.setMinimumWidth(300)
        right.setMaximumWidth(400)

        body = QSplitter()
        body.addWidget(left)
        body.addWidget(right)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)

        self.message_label = QLabel("")
        self.message_label.setObjectName("detail_message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setStyleSheet("color: #1b5e20; padding: 2px 4px")
        self.message_label.hide()
        self.keys_label = QLabel(
            t("Ctrl+→ next status · Ctrl+P print WZ · Ctrl+S ship · Alt+↓/↑ next/previous order")
        )
        self.keys_label.setObjectName("detail_keys")
        self.keys_label.setStyleSheet("color: #757575")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(actions)
        layout.addWidget(self.message_label)
        layout.addWidget(body, 1)
        layout.addWidget(self.keys_label)
        self._set_actions_enabled(False)
        self.navigate: Callable[[str, int], str | None] | None = None
        """Set by the list: the number of the next (+1) / previous (-1) order in the list's order."""
        for keys, action in (
            ("Ctrl+Right", self.next_status),
            ("Ctrl+P", lambda: self.print_wz()),
            ("Ctrl+S", self._ship),
            ("Alt+Down", lambda: self.go(1)),
            ("Alt+Up", lambda: self.go(-1)),
        ):
            QShortcut(QKeySequence(keys), self, activated=action)
        # A scanner ends every code with Enter: Enter must never press a button of this window.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # QDialog would press its default button (a scanner's Enter)
            return
        super().keyPressEvent(event)

    # -- loading ----------------------------------------------------------------------------------
    def load(self) -> None:
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        self.ctx.runner.submit(
            lambda _c: load_order_window(db.uow(), actor, number),
            on_result=self._loaded,
            on_error=self._error,
        )

    def _loaded(self, window: OrderWindowDTO) -> None:
        order, settings, self.shop_order, messages = (
            window.detail,
            window.settings,
            window.shop,
            window.timeline,
        )
        self.order = order
        self.settings = settings
        self.number = order.number
        self.carriers = [(c.code, c.name) for c in settings.carriers]
        self.tracking_optional = [c.code for c in settings.carriers if not c.tracking_required]
        self.tracking_links = {c.code.lower(): c.tracking_url for c in settings.carriers if c.tracking_url}
        self.carrier_names = {c.code.lower(): c.name for c in settings.carriers}
        self.wz_on = settings.automation.issue_wz_on
        self.status_labels = {
            k: (v.label_pl if language() == "pl" else v.label_en) for k, v in settings.statuses.items()
        }
        self.setWindowTitle(t("Order {number}", number=order.number))
        self.title_label.setText(order.number)
        colour = QColor(order.status_colour)
        text_colour = "#ffffff" if colour.lightness() < 150 else "#000000"
        self.status_label.setText(f" {self.status_labels.get(order.status, order.status)} ")
        self.status_label.setStyleSheet(
            f"background: {order.status_colour}; color: {text_colour}; border-radius: 4px; padding: 3px 8px;"
            " font-weight: bold"
        )
        self.summary_label.setText(
            f"{t('Gross total')}: <b>{format_money(order.total_gross, order.currency)}</b> &nbsp; "
            f"{t('Payment')}: {payment_label(order.payment_status)} &nbsp; "
            f"{t('Fulfilment')}: "
            + order_fulfillment_label(
                order.fulfillment_status,
                sum((i.reserved for i in order.items), Decimal(0)),
                sum((i.missing for i in order.items), Decimal(0)),
            )
        )
        self._fill_items(order)
        self._fill_payment(order)
        self._fill_addresses(order)
        fill_table(
            self.documents_table,
            [
                (
                    d.number or "",
                    _word(DOCUMENT_TYPES, d.type),
                    _word(DOCUMENT_STATUSES, d.status),
                    d.warehouse_code or "",
                    format_datetime(d.created_at),
                )
                for d in order.documents
                if d.type in ("issue_wz", "storno")
            ],
        )
        rows = [
            (
                h.created_at,
                format_datetime(h.created_at),
                self.status_labels.get(h.from_status or "", h.from_status or ""),
                self.status_labels.get(h.to_status, h.to_status),
                h.changed_by,
                # The services write "created" on an order's first history row: said in the UI's language.
                t("Order created") if h.comment == "created" and h.from_status is None else h.comment or "",
            )
            for h in order.history
        ]
        # What automation rules did: "Automat: <rule> → <action>", with the reason when it failed.
        rows += [
            (
                a.created_at,
                format_datetime(a.created_at),
                "",
                "",
                t("Automated"),
                (
                    f"{t('Automated')}: {a.rule} → {_action_label(a.action)}"
                    if a.rule
                    else f"{t('Automated')}: {t('stopped, a loop of rules')}"
                )
                + ("" if a.ok else f" ✗ {a.message}"),
            )
            for a in order.automation
        ]
        # The e-mails sent show in the history too (their replies and details: the Messages tab).
        rows += [
            (m.at, format_datetime(m.at), "", "", m.by, t("E-mail sent: {subject}", subject=m.subject))
            for m in messages
            if m.kind == "sent" and m.state == "sent"
        ]
        # A resend asked for (the order's mail_resent audit row): who asked and when, sent or not yet.
        rows += [
            (
                m.requested_at or m.at,
                format_datetime(m.requested_at or m.at),
                "",
                "",
                m.by,
                t("Sending the e-mail again requested: {subject}", subject=m.subject),
            )
            for m in messages
            if m.kind == "sent" and m.resend_of is not None
        ]
        rows.sort(key=lambda r: r[0])
        fill_table(self.history_table, [r[1:] for r in rows])
        self.messages_panel.set_entries(messages)
        fill_table(
            self.reservations_table,
            [
                (
                    r.sku or "",
                    r.warehouse_code,
                    format_quantity(r.reserved_qty),
                    format_quantity(r.released_qty),
                    _word(RESERVATION_STATUSES, r.status),
                    format_datetime(r.expires_at),
                )
                for r in order.reservations
            ],
            right=(2, 3),
        )
        self.notes_list.clear()
        for note in order.notes:
            item = QListWidgetItem(f"{format_datetime(note.created_at)} · {note.author}\n{note.body}")
            self.notes_list.addItem(item)
        self.pick_check.set_order(order)
        picking = order.status == OrderStatus.PICKING.value
        self.pick_check.scan.setEnabled(picking)
        self.pick_check.override_button.setEnabled(picking and self.ctx.can(Permission.ORDERS_CANCEL))
        if picking:
            self.lower_tabs.setCurrentWidget(self.pick_check)
        self._update_actions(order)
        self.shipments_panel.number = order.number
        self.shipments_panel.show_shipments(window.shipments)
        self.loaded.emit(order)

    # -- actions ----------------------------------------------------------------------------------
    def _set_actions_enabled(self, enabled: bool) -> None:
        for w in (
            self.transition_combo,
            self.transition_button,
            self.reserve_button,
            self.wz_button,
            self.ship_button,
            self.cancel_button,
            self.print_confirmation,
            self.print_packing,
            self.note_button,
            self.create_shipment_button,
        ):
            w.setEnabled(enabled)

    def _update_actions(self, order: OrderDetailDTO) -> None:
        can = self.ctx.can
        allowed = [s for s in order.allowed_transitions if s != OrderStatus.CANCELLED.value]
        self.transition_combo.clear()
        for code in allowed:
            self.transition_combo.addItem(self.status_labels.get(code, code), code)
            if not can(permission_for(OrderStatus(code))):
                # Offered only what this user may choose: others stay visible but disabled.
                model_item = self.transition_combo.model().item(self.transition_combo.count() - 1)  # type: ignore[attr-defined]
                model_item.setEnabled(False)
        may_edit = can(Permission.ORDERS_EDIT)
        self.transition_combo.setEnabled(bool(allowed) and may_edit)
        self.transition_button.setEnabled(bool(allowed) and may_edit)
        self.transition_button.setToolTip("" if allowed else t("No further status change is possible."))
        stock_open = order.status not in ("cancelled", "shipped", "completed", "return_requested", "returned")
        self.reserve_button.setEnabled(may_edit and stock_open)
        self.wz_button.setEnabled(may_edit and self.wz_on in order.allowed_transitions)
        self.wz_button.setToolTip(
            t(
                "The WZ is issued when the order enters '{status}'.",
                status=self.status_labels.get(self.wz_on, self.wz_on),
            )
        )
        self.ship_button.setEnabled(may_edit and OrderStatus.SHIPPED.value in order.allowed_transitions)
        self.create_shipment_button.setEnabled(may_edit and order.status not in ("draft", "cancelled"))
        may_cancel = can(Permission.ORDERS_CANCEL)
        self.cancel_button.setEnabled(may_cancel and OrderStatus.CANCELLED.value in order.allowed_transitions)
        self.cancel_button.setToolTip("" if may_cancel else t("Only a manager may cancel orders."))
        self.print_confirmation.setEnabled(True)
        self.print_packing.setEnabled(True)
        self.note_button.setEnabled(True)

    def _error(self, error: TaskError) -> None:
        self.ctx.dialogs.error(self, error)

    def _after_action(self, message: str | None = None) -> None:
        """A change that succeeded: reload, and say what happened in the window (no extra OK box)."""
        self.changed.emit()
        self.load()
        self.show_message(message or "")

    def show_message(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setVisible(bool(message))

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.ctx.runner.submit(lambda _c: fn(), on_result=done, on_error=self._error)
