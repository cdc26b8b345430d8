"""Create an order by hand: customer and shipping address, a company's NIP and billing address, the
delivery method from the configured carriers, lines found by SKU / EAN / name with the catalog's price
and VAT, and an initial payment."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.services.orders.dto import OrderDetailDTO
from rexbit_desktop.services.orders.orders import create_order
from rexbit_desktop.services.orders.product_lookup import (
    ProductChoice,
    delivery_methods,
    find_products_for_order,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_decimal, register, t
from rexbit_desktop.ui.runner import TaskError

register(
    {
        "New order": "Nowe zamówienie",
        "SKU": "SKU",
        "Name": "Nazwa",
        "Quantity": "Ilość",
        "Street": "Ulica",
        "Postcode": "Kod pocztowy",
        "City": "Miasto",
        "E-mail": "E-mail",
        "Phone": "Telefon",
        "Customer and shipping address": "Klient i adres wysyłki",
        "Full name": "Imię i nazwisko",
        "Company": "Firma",
        "Delivery method": "Sposób dostawy",
        "Note": "Notatka",
        "Lines": "Pozycje",
        "Price gross": "Cena brutto",
        "VAT %": "VAT %",
        "Add line": "Dodaj pozycję",
        "Remove line": "Usuń pozycję",
        "Create order": "Utwórz zamówienie",
        "Line {n}: {what}": "Pozycja {n}: {what}",
        "Add at least one line with an SKU.": "Dodaj co najmniej jedną pozycję z SKU.",
        "Find a product: SKU, EAN or name (Enter adds the first)": (
            "Znajdź produkt: SKU, EAN lub nazwa (Enter dodaje pierwszy)"
        ),
        "Invoice for a company": "Faktura na firmę",
        "Billing address": "Adres do faktury",
        "NIP": "NIP",
        "Initial payment": "Wpłata przy zamówieniu",
        "Amount": "Kwota",
        "Payment method": "Forma płatności",
        "Cash": "Gotówka",
        "Bank transfer": "Przelew",
        "Card": "Karta",
        "Payment amount: {what}": "Kwota wpłaty: {what}",
        "not a number": "to nie liczba",
    }
)

PAYMENT_METHODS = [("cash", "Cash"), ("transfer", "Bank transfer"), ("card", "Card")]
BILLING_FIELDS = [
    ("company", "Company"),
    ("vat_id", "NIP"),
    ("street", "Street"),
    ("postcode", "Postcode"),
    ("city", "City"),
]

LINE_COLUMNS = ["SKU", "Name", "Quantity", "Price gross", "VAT %"]
ADDRESS_FIELDS = [
    ("name", "Full name"),
    ("company", "Company"),
    ("street", "Street"),
    ("postcode", "Postcode"),
    ("city", "City"),
    ("email", "E-mail"),
    ("phone", "Phone"),
]


class NewOrderDialog(QDialog):
    created = Signal(str)
    """The number of the new order."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("new_order")
        self.setWindowTitle(t("New order"))
        self.resize(760, 560)
        self.address: dict[str, QLineEdit] = {}
        box = QGroupBox(t("Customer and shipping address"))
        form = QFormLayout(box)
        for key, label in ADDRESS_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"new_{key}")
            self.address[key] = edit
            form.addRow(t(label), edit)
        # The configured carriers (editable: a method typed in is kept as typed).
        self.delivery = QComboBox()
        self.delivery.setEditable(True)
        self.delivery.setObjectName("new_delivery")
        form.addRow(t("Delivery method"), self.delivery)
        self.note = QLineEdit()
        self.note.setObjectName("new_note")
        form.addRow(t("Note"), self.note)

        # A company's invoice: its NIP and billing address (else the invoice goes to the customer).
        self.company_invoice = QCheckBox(t("Invoice for a company"))
        self.company_invoice.setObjectName("new_company_invoice")
        self.billing_box = QGroupBox(t("Billing address"))
        billing_form = QFormLayout(self.billing_box)
        self.billing: dict[str, QLineEdit] = {}
        for key, label in BILLING_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"new_billing_{key}")
            self.billing[key] = edit
            billing_form.addRow(t(label), edit)
        self.billing_box.setVisible(False)
        self.company_invoice.toggled.connect(self.billing_box.setVisible)

        # The product search: a scanner's code or a few letters; Enter (or a click) adds the line.
        self.search = QLineEdit()
        self.search.setObjectName("new_product_search")
        self.search.setPlaceholderText(t("Find a product: SKU, EAN or name (Enter adds the first)"))
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._add_first_found)
        self.found = QListWidget()
        self.found.setObjectName("new_product_results")
        self.found.setMaximumHeight(110)
        self.found.itemActivated.connect(lambda item: self.add_product(item.data(Qt.ItemDataRole.UserRole)))
        self.choices: list[ProductChoice] = []

        self.payment_amount = QLineEdit()
        self.payment_amount.setObjectName("new_payment_amount")
        self.payment_amount.setPlaceholderText("0,00")
        self.payment_method = QComboBox()
        self.payment_method.setObjectName("new_payment_method")
        for code, label in PAYMENT_METHODS:
            self.payment_method.addItem(t(label), code)
        payment_box = QGroupBox(t("Initial payment"))
        payment_form = QFormLayout(payment_box)
        payment_form.addRow(t("Amount"), self.payment_amount)
        payment_form.addRow(t("Payment method"), self.payment_method)

        self.lines = QTableWidget(0, len(LINE_COLUMNS))
        self.lines.setObjectName("new_lines")
        self.lines.setHorizontalHeaderLabels([t(c) for c in LINE_COLUMNS])
        self.lines.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        add = QPushButton(t("Add line"))
        add.clicked.connect(lambda: self.add_line())
        remove = QPushButton(t("Remove line"))
        remove.clicked.connect(lambda: self.lines.removeRow(self.lines.currentRow()))
        lines_box = QGroupBox(t("Lines"))
        ll = QVBoxLayout(lines_box)
        ll.addWidget(self.search)
        ll.addWidget(self.found)
        ll.addWidget(self.lines)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(add)
        row.addWidget(remove)
        ll.addLayout(row)
        self.add_line()  # one empty line to type into by hand

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText(t("Create order"))
        self.create_button.setObjectName("new_create")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        left = QVBoxLayout()
        left.addWidget(box)
        left.addWidget(self.company_invoice)
        left.addWidget(self.billing_box)
        left.addWidget(payment_box)
        left.addStretch(1)
        left_panel = QWidget()
        left_panel.setLayout(left)
        left_panel.setMinimumWidth(400)  # addresses and company names fit without scrolling
        left.setContentsMargins(0, 0, 0, 0)
        columns = QHBoxLayout()
        columns.addWidget(left_panel)
        columns.addWidget(lines_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(buttons)
        self.resize(1100, 640)
        for button in (add, remove):
            button.setAutoDefault(False)  # Enter in the search adds a product, never presses a button
        self.create_button.setAutoDefault(False)
        self._load_delivery_methods()

    def _load_delivery_methods(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor

        def fill(methods: list[tuple[str, str]]) -> None:
            for _code, name in methods:
                self.delivery.addItem(name)
            self.delivery.setCurrentIndex(-1)
            self.delivery.setEditText("")

        self.ctx.runner.submit(
            lambda _c: delivery_methods(db.uow(), actor),
            on_result=fill,
            on_error=lambda e: self.ctx.dialogs.error(self, e),
        )

    # -- product search ---------------------------------------------------------------------------
    def _search_changed(self, text: str) -> None:
        if len(text.strip()) < 2:
            self.found.clear()
            self.choices = []
            return
        self.find_products(text)

    def find_products(self, text: str) -> None:
        db, actor = self.ctx.db, self.ctx.actor

        def show(choices: list[ProductChoice]) -> None:
            if self.search.text() != text:
                return  # typed on meanwhile: a newer search follows
            self.choices = choices
            self.found.clear()
            for c in choices:
                price = format_decimal(c.price_gross, 2) if c.price_gross is not None else "—"
                item = QListWidgetItem(f"{c.sku} · {c.name} · {price} · VAT {format_decimal(c.vat_rate, 0)}%")
                item.setData(Qt.ItemDataRole.UserRole, c)
                self.found.addItem(item)

        self.ctx.runner.submit(
            lambda _c: find_products_for_order(db.uow(), actor, text),
            on_result=show,
            on_error=lambda e: self.ctx.dialogs.error(self, e),
        )

    def _add_first_found(self) -> None:
        if self.choices:
            self.add_product(self.choices[0])

    def add_product(self, choice: ProductChoice) -> None:
        """A line for ``choice`` with the catalog's name, price and VAT; the same SKU again adds one."""
        for r in range(self.lines.rowCount()):
            if self._cell(r, 0).upper() == choice.sku.upper():
                quantity = Decimal(self._cell(r, 2).replace(",", ".") or "0") + 1
                self.lines.item(r, 2).setText(format_decimal(quantity, 0))
                break
        else:
            values = (
                choice.sku,
                choice.name,
                "1",
                format_decimal(choice.price_gross, 2) if choice.price_gross is not None else "",
                format_decimal(choice.vat_rate, 0),
            )
            empty = next((r for r in range(self.lines.rowCount()) if not self._cell(r, 0)), None)
            if empty is None:
                self.add_line(*values)
            else:
                for c, value in enumerate(values):
                    self.lines.setItem(empty, c, QTableWidgetItem(value))
        self.search.clear()
        self.search.setFocus()

    def add_line(
        self, sku: str = "", name: str = "", quantity: str = "1", price: str = "", vat: str = "23"
    ) -> None:
        r = self.lines.rowCount()
        self.lines.insertRow(r)
        for c, value in enumerate((sku, name, quantity, price, vat)):
            self.lines.setItem(r, c, QTableWidgetItem(value))

    def _cell(self, r: int, c: int) -> str:
        item = self.lines.item(r, c)
        return item.text().strip() if item is not None else ""

    def payload(self) -> dict[str, Any]:
        items = []
        for r in range(self.lines.rowCount()):
            sku = self._cell(r, 0)
            if not sku:
                continue
            items.append(
                {
                    "sku": sku,
                    "name": self._cell(r, 1) or None,
                    "quantity": self._cell(r, 2).replace(",", ".") or "1",
                    "price_gross": self._cell(r, 3).replace(",", ".").replace("\u00a0", "").replace(" ", ""),
                    "vat_rate": self._cell(r, 4).replace(",", ".") or "23",
                }
            )
        if not items:
            raise ValidationError(t("Add at least one line with an SKU."))
        address = {k: e.text().strip() for k, e in self.address.items() if e.text().strip()}
        payload: dict[str, Any] = {"items": items, "source": "manual"}
        if address:
            payload["addresses"] = {"customer": address, "shipping": address}
        if self.company_invoice.isChecked():
            billing = {k: e.text().strip() for k, e in self.billing.items() if e.text().strip()}
            if billing:
                billing.setdefault("name", address.get("name", ""))
                payload.setdefault("addresses", {})["billing"] = billing
        delivery = self.delivery.currentText().strip()
        if delivery:
            payload["delivery_method"] = delivery
        amount = self.payment_amount.text().strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
        if amount:
            try:
                paid = Decimal(amount)
            except InvalidOperation:
                raise ValidationError(t("Payment amount: {what}", what=t("not a number"))) from None
            if paid > 0:
                payload["payment"] = {
                    "provider": self.payment_method.currentData(),
                    "status": "paid",
                    "amount": str(paid),
                }
        if self.note.text().strip():
            payload["note"] = self.note.text().strip()
        return payload

    def submit(self) -> None:
        try:
            payload = self.payload()
        except ValidationError as exc:
            self.ctx.dialogs.error(self, exc)
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.create_button.setEnabled(False)

        def done(order: OrderDetailDTO) -> None:
            self.create_button.setEnabled(True)
            self.created.emit(order.number)
            self.accept()

        def failed(error: TaskError) -> None:
            self.create_button.setEnabled(True)
            self.ctx.dialogs.error(self, error)

        self.ctx.runner.submit(
            lambda _c: create_order(db.uow(), actor, payload), on_result=done, on_error=failed
        )
