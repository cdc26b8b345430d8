"""The order detail window: payment, addresses, items, WZ documents, status history, reservations, notes;
actions: change status (only allowed transitions), reserve, issue WZ, cancel, ship, print.

Every read and action goes through the order services on the task runner; after an action the detail
is reloaded from the database (it never patches itself from what it sent).

Over 500 lines: one window's layout and its actions; the tabs' filling, labels and the ship dialog
are in rooms of their own.
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

from rexbit_desktop.domain.orders import OrderStatus, permission_for
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.messages.timeline import TimelineEntry, order_timeline
from rexbit_desktop.services.orders.dto import OrderDetailDTO
from rexbit_desktop.services.orders.orders import add_note, cancel_order, get_order, reserve_order, ship_order
from rexbit_desktop.services.orders.pdfs import render_document_pdf, render_order_pdf
from rexbit_desktop.services.orders.settings import get_order_settings
from rexbit_desktop.services.orders.workflow import transition_order
from rexbit_desktop.services.shop.flowback import ShopOrderInfo, shop_order_info
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_datetime, format_money, format_quantity, language, register, t, tn
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
from rexbit_desktop.ui.orders.printing import Printing, open_pdf, open_with_system_viewer, pdf_path
from rexbit_desktop.ui.orders.ship_dialog import ShipDialog
from rexbit_desktop.ui.orders.shipment_dialog import ShipmentsPanel, open_create_dialog
from rexbit_desktop.ui.runner import TaskContext, TaskError
from rexbit_desktop.ui.widgets.tables import fill_table, make_table

register(
    {
        "Order {number}": "Zamówienie {number}",
        "Items": "Pozycje",
        "Gross total": "Wartość brutto",
        "Payment": "Płatność",
        "Fulfilment": "Realizacja",
        "Warehouse": "Magazyn",
        "Status": "Status",
        "Reserved": "Zarezerwowane",
        "Addresses": "Adresy",
        "WZ documents": "Dokumenty WZ",
        "Status history": "Historia statusów",
        "Automated": "Automat",
        "stopped, a loop of rules": "zatrzymany, pętla reguł",
        "Set status": "Ustaw status",
        "Send e-mail template": "Wyślij szablon e-mail",
        "Print documents": "Drukuj dokumenty",
        "Call webhook": "Wywołaj webhook",
        "Set tag": "Ustaw znacznik",
        "Assign warehouse": "Przypisz magazyn",
        "Reservations": "Rezerwacje",
        "Notes": "Notatki",
        "Name": "Nazwa",
        "SKU": "SKU",
        "Quantity": "Ilość",
        "Unit price": "Cena jedn.",
        "VAT": "VAT",
        "Gross": "Brutto",
        "Missing": "Brakuje",
        "Issued": "Wydano",
        "Net total": "Wartość netto",
        "Amount paid": "Zapłacono",
        "Shipping": "Wysyłka",
        "Delivery": "Dostawa",
        "Source": "Źródło",
        "Created": "Utworzono",
        "Provider": "Operator płatności",
        "Amount": "Kwota",
        "Paid at": "Zapłacono dnia",
        "No address": "Brak adresu",
        "Document": "Dokument",
        "Type": "Typ",
        "When": "Kiedy",
        "From": "Od",
        "To": "Do",
        "By": "Kto",
        "Expires": "Wygasa",
        "Released": "Zwolniono",
        "Add note": "Dodaj notatkę",
        "Write a note…": "Wpisz notatkę…",
        "Change status to…": "Zmień status na…",
        "Change status": "Zmień status",
        "Reserve stock": "Rezerwuj towar",
        "Issue WZ": "Wystaw WZ",
        "Cancel order": "Anuluj zamówienie",
        "Ship…": "Wyślij…",
        "Print order confirmation": "Drukuj potwierdzenie zamówienia",
        "Order {number} is reserved only in part ({short}). Start picking anyway?": (
            "Zamówienie {number} jest zarezerwowane tylko częściowo ({short}). Rozpocząć kompletowanie mimo to?"
        ),
        "Scan every item first (Pick check). Not scanned yet: {missing}.": (
            "Najpierw zeskanuj wszystkie pozycje (Kompletacja). Niezeskanowane: {missing}."
        ),
        "Confirm order {number} as packed although {missing} was not scanned?": (
            "Zatwierdzić zamówienie {number} jako spakowane, choć nie zeskanowano: {missing}?"
        ),
        "Ctrl+→ next status · Ctrl+P print WZ · Ctrl+S ship · Alt+↓/↑ next/previous order": (
            "Ctrl+→ następny status · Ctrl+P drukuj WZ · Ctrl+S wyślij · Alt+↓/↑ następne/poprzednie zamówienie"
        ),
        "Print packing list": "Drukuj listę kompletacyjną",
        "Open PDF": "Otwórz PDF",
        "Cancel order {number}? Reservations are released and issued goods go back with a storno.": (
            "Anulować zamówienie {number}? Rezerwacje zostaną zwolnione, a wydany towar wróci dokumentem storna."
        ),
        "Ship order {number}": "Wysyłka zamówienia {number}",
        "Carrier": "Przewoźnik",
        "Tracking number": "Numer przesyłki",
        "Only a manager may cancel orders.": "Tylko kierownik może anulować zamówienia.",
        "The WZ is issued when the order enters '{status}'.": "WZ jest wystawiane przy przejściu do „{status}”.",
        "No further status change is possible.": "Dalsza zmiana statusu nie jest możliwa.",
        "Reserved {n} item(s); missing {m}.": "Zarezerwowano pozycji: {n}; brakuje: {m}.",
        "Reservation": "Rezerwacja",
        "Status changed": "Status zmieniony",
        "Order {number}: {status}.": "Zamówienie {number}: {status}.",
        "Documents issued: {docs}.": "Wystawione dokumenty: {docs}.",
        "Tracking": "Śledzenie",
        "WZ (goods issue)": "WZ (wydanie zewnętrzne)",
        "Storno (goods back)": "Storno (zwrot na magazyn)",
        "Reservation document": "Dokument rezerwacji",
        "Packing list": "Lista kompletacyjna",
        "Reservation open": "otwarta",
        "Reservation released": "zwolniona",
        "Reservation partly released": "częściowo zwolniona",
        "Document active": "aktywny",
        "Document cancelled": "anulowany",
        "Status comment": "Komentarz",
        "Order created": "Utworzono zamówienie",
        "Customer address": "Adres klienta",
        "Billing address": "Adres do faktury",
        "Shipping address": "Adres wysyłki",
        "Pickup point": "Punkt odbioru",
        "Shop order": "Zamówienie w sklepie",
        "#{id} (ref.\u00a0{reference})": "#{id} (ref.\u00a0{reference})",
    }
)


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


class OrderDetailDialog(DetailTabs, QDialog):
    changed = Signal()
    """Emitted after an action changed the order (the list reloads)."""
    loaded = Signal(object)

    def __init__(self, ctx: AppContext, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.number = number
        self.order: OrderDetailDTO | None = None
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

        def work(_c: TaskContext) -> tuple[OrderDetailDTO, Any, ShopOrderInfo | None, list[TimelineEntry]]:
            detail = get_order(db.uow(), actor, number)
            settings = get_order_settings(db.uow(), actor)
            shop = shop_order_info(db.uow(), actor, order_id=detail.id) if detail.external_order_id else None
            return detail, settings, shop, order_timeline(db.uow(), actor, detail.number)

        self.ctx.runner.submit(work, on_result=self._loaded, on_error=self._error)

    def _loaded(self, result: tuple[OrderDetailDTO, Any, ShopOrderInfo | None, list[TimelineEntry]]) -> None:
        order, settings, self.shop_order, messages = result
        self.order = order
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
        self.shipments_panel.load(order.number)
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

    def transition_to(self, code: str, comment: str | None = None) -> None:
        if (
            code == OrderStatus.READY_FOR_SHIPMENT.value
            and comment is None
            and self.pick_check.lines
            and not self.pick_check.complete()
        ):
            # Packed only what was scanned: the check must be complete (or a manager confirms it).
            self.lower_tabs.setCurrentWidget(self.pick_check)
            self.pick_check.scan.setFocus()
            self.ctx.dialogs.info(
                self,
                t("Pick check"),
                t(
                    "Scan every item first (Pick check). Not scanned yet: {missing}.",
                    missing=self.pick_check.missing_text(),
                ),
            )
            return
        if code == OrderStatus.SHIPPED.value:
            # One shipping rule: "shipped" always records the carrier (and the tracking number it needs).
            self._ship()
            return
        order = self.order
        if (
            code == OrderStatus.PICKING.value
            and order is not None
            and any(i.missing for i in order.items)
            and not self.ctx.dialogs.confirm(
                self,
                t("Picking"),
                t(
                    "Order {number} is reserved only in part ({short}). Start picking anyway?",
                    number=order.number,
                    short=tn("{n} unit short", int(sum((i.missing for i in order.items), Decimal(0)))),
                ),
            )
        ):
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(result: Any) -> None:
            message = t("Order {number}: {status}.", number=number, status=self.status_labels.get(code, code))
            docs = list(getattr(result, "issued_documents", []) or [])
            if docs:
                message += " " + t("Documents issued: {docs}.", docs=", ".join(docs))
            self._after_action(message)

        self._run(lambda: transition_order(db.uow(), actor, number, code, comment=comment), done)

    def next_status(self) -> None:
        """Ctrl+→: the first status offered (the next step of the flow), without an extra OK box."""
        for i in range(self.transition_combo.count()):
            item = self.transition_combo.model().item(i)  # type: ignore[attr-defined]
            if item.isEnabled() and self.transition_button.isEnabled():
                self.transition_to(str(self.transition_combo.itemData(i)))
                return

    def print_wz(self) -> None:
        """Ctrl+P: print the order's WZ (the printer remembered for WZ)."""
        self.print_document("wz")

    def go(self, step: int) -> None:
        """Alt+↓ / Alt+↑: the next / previous order of the list in this window."""
        target = self.navigate(self.number, step) if self.navigate else None
        if target:
            self.number = target
            self.show_message("")
            self.load()

    def _override_pick_check(self) -> None:
        """A manager sends the order on without a full check; the history says who and what was missing."""
        if not self.ctx.can(Permission.ORDERS_CANCEL):
            self.ctx.dialogs.info(self, t("Pick check"), t("Only a manager may confirm an incomplete check."))
            return
        missing = self.pick_check.missing_text()
        if not self.ctx.dialogs.confirm(
            self,
            t("Pick check"),
            t(
                "Confirm order {number} as packed although {missing} was not scanned?",
                number=self.number,
                missing=missing,
            ),
        ):
            return
        who = self.ctx.actor.display_name or self.ctx.actor.login
        self.transition_to(
            OrderStatus.READY_FOR_SHIPMENT.value,
            comment=t("Pick check confirmed by {who} with {missing} not scanned.", who=who, missing=missing),
        )

    def _change_status(self) -> None:
        code = self.transition_combo.currentData()
        if code:
            self.transition_to(str(code))

    def _reserve(self) -> None:
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(result: Any) -> None:
            lines = getattr(result, "lines", []) or []
            missing = sum(1 for line in lines if getattr(line, "missing", 0))
            self._after_action(t("Reserved {n} item(s); missing {m}.", n=len(lines) - missing, m=missing))

        self._run(lambda: reserve_order(db.uow(), actor, number), done)

    def _issue_wz(self) -> None:
        # The WZ is a consequence of the warehouse flow: entering the configured status issues it.
        self.transition_to(self.wz_on)

    def _cancel(self) -> None:
        if not self.ctx.dialogs.confirm(
            self,
            t("Cancel order"),
            t(
                "Cancel order {number}? Reservations are released and issued goods go back with a storno.",
                number=self.number,
            ),
        ):
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        self._run(lambda: cancel_order(db.uow(), actor, number), lambda _r: self._after_action())

    def ask_ship(self) -> ShipDialog:
        dialog = ShipDialog(self.number, self.carriers, self, tracking_optional=self.tracking_optional)
        if self._last_ship:  # a refused shipment: what was typed is offered again
            carrier, tracking = self._last_ship
            index = dialog.carrier.findData(carrier)
            if index >= 0:
                dialog.carrier.setCurrentIndex(index)
            else:
                dialog.carrier.setEditText(carrier)
            dialog.tracking.setText(tracking)
        return dialog

    def _ship(self) -> None:
        dialog = self.ask_ship()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.ship(dialog.carrier_code(), dialog.tracking.text())

    def ship(self, carrier: str, tracking: str) -> None:
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        self._last_ship = (carrier, tracking)

        def done(_r: Any) -> None:
            self._last_ship = None
            self._after_action(
                t(
                    "Order {number}: {status}.",
                    number=number,
                    status=self.status_labels.get("shipped", "shipped"),
                )
            )

        self._run(
            lambda: ship_order(db.uow(), actor, number, carrier=carrier, tracking=tracking),
            done,
        )

    def create_shipment(self) -> None:
        open_create_dialog(
            self.ctx,
            self,
            self.number,
            lambda _s: self._after_action(),
            show=self.show_shipment_dialog,
            on_failed=lambda: self.shipments_panel.load(self.number),
        )

    def _add_note(self) -> None:
        body = self.note_edit.toPlainText().strip()
        if not body:
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(_note: Any) -> None:
            self.note_edit.clear()
            self.load()

        self._run(lambda: add_note(db.uow(), actor, number, body), done)

    # -- PDFs -------------------------------------------------------------------------------------
    def _pdf_path(self, name: str) -> Path:
        return pdf_path(self.ctx, name)

    def _open(self, path: Path) -> None:
        self.show_message(t("Saved: {path}", path=str(path)))
        open_pdf(self.ctx, self, path, lambda p: self.open_file(p) is not False)

    def print_document(self, kind: str) -> None:
        """Write the PDF into the user's documents folder (the path is shown) and print it through the
        print dialog (the printer remembered for this document type)."""
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        out = self._pdf_path(f"{kind}-{number}")

        def done(paths: list[Path]) -> None:
            self.show_message(t("Saved: {path}", path=", ".join(str(p) for p in paths)))
            for p in paths:
                self.printing.print_pdf(self, p, kind)

        self._run(lambda: render_order_pdf(db.uow(), actor, number, kind=kind, out=out), done)

    def _open_selected_document(self) -> None:
        row = self.documents_table.currentRow()
        if row < 0 and self.documents_table.rowCount():
            row = 0
        item = self.documents_table.item(row, 0) if row >= 0 else None
        if item is not None and item.text():
            self.open_document(item.text())

    def open_document(self, document_number: str) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        out = self._pdf_path(document_number)

        def work() -> Path:
            render_document_pdf(db.uow(), actor, document_number, out)
            return out

        self._run(work, self._open)
