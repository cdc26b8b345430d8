"""*Ustawienia* of orders: statuses (order, colours, labels, mapping), numbering, reservations,
automation switches, carriers, company data. Read and saved through ``services.order_settings``;
editable only with the ``settings.edit`` right (manager, admin) — the service refuses anyway.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.numbering import Reset
from rexbit_desktop.domain.order_settings import (
    Automation,
    Carrier,
    Company,
    Numbering,
    OrderSettings,
    StatusLabel,
)
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.orders.settings import get_order_settings, save_order_settings
from rexbit_desktop.services.stock.stock import list_warehouses
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import language, register, t
from rexbit_desktop.ui.runner import TaskContext, TaskError

register(
    {
        "Statuses": "Statusy",
        "Code": "Kod",
        "Name": "Nazwa",
        "E-mail": "E-mail",
        "Label (Polish)": "Etykieta (polska)",
        "Label (English)": "Etykieta (angielska)",
        "Colour": "Kolor",
        "Order": "Kolejność",
        "Mapping": "Mapowanie",
        "Numbering": "Numeracja",
        "Prefix": "Prefiks",
        "Pattern": "Wzorzec",
        "Suffix": "Sufiks",
        "Padding": "Dopełnienie zerami",
        "Reset": "Zerowanie licznika",
        "yearly": "co rok",
        "monthly": "co miesiąc",
        "Initial status": "Status początkowy",
        "Reservations and warehouse": "Rezerwacje i magazyn",
        "Reservation expiry": "Wygaśnięcie rezerwacji",
        "never": "nigdy",
        " h": " godz.",
        "Default warehouse": "Magazyn domyślny",
        "(flagged as default)": "(oznaczony jako domyślny)",
        "Automation": "Automatyzacja",
        "Reserve stock when an order enters 'awaiting fulfillment'": "Rezerwuj towar przy przejściu do „Do realizacji”",
        "Issue the WZ when the order enters": "Wystaw WZ przy przejściu do",
        "never (by hand)": "nigdy (ręcznie)",
        "Release reservations when an order is cancelled": "Zwalniaj rezerwacje przy anulowaniu",
        "Complete an order when its carrier reports it delivered": (
            "Zamykaj zamówienie, gdy przewoźnik potwierdzi doręczenie"
        ),
        "Carriers": "Przewoźnicy",
        "Tracking URL template ({tracking})": "Szablon adresu śledzenia ({tracking})",
        "Tracking number required": "Wymaga numeru przesyłki",
        "Add carrier": "Dodaj przewoźnika",
        "Remove carrier": "Usuń przewoźnika",
        "Company data (documents)": "Dane firmy (na dokumentach)",
        "Company name": "Nazwa firmy",
        "Street": "Ulica",
        "Postcode": "Kod pocztowy",
        "City": "Miasto",
        "Country": "Kraj",
        "VAT ID (NIP)": "NIP",
        "Phone": "Telefon",
        "Bank account": "Rachunek bankowy",
        "Save settings": "Zapisz ustawienia",
        "Reload": "Wczytaj ponownie",
        "Settings saved.": "Ustawienia zapisane.",
        "Only a manager or an administrator may change these settings.": (
            "Tylko kierownik lub administrator może zmieniać te ustawienia."
        ),
        "Mapping must look like prestashop=3, other=5.": "Mapowanie ma postać prestashop=3, inny=5.",
        "The order of status '{code}' must be a whole number.": "Kolejność statusu „{code}” musi być liczbą całkowitą.",
    }
)

STATUS_COLUMNS = ["Code", "Label (Polish)", "Label (English)", "Colour", "Order", "Mapping"]
CARRIER_COLUMNS = ["Code", "Name", "Tracking URL template ({tracking})", "Tracking number required"]
COMPANY_FIELDS = [
    ("name", "Company name"),
    ("street", "Street"),
    ("postcode", "Postcode"),
    ("city", "City"),
    ("country", "Country"),
    ("vat_id", "VAT ID (NIP)"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("bank_account", "Bank account"),
]


def _mapping_text(mapping: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items())


def _parse_mapping(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValidationError(t("Mapping must look like prestashop=3, other=5."))
        out[key.strip()] = value.strip()
    return out


class OrderSettingsPanel(QWidget):
    saved = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings: OrderSettings | None = None
        self.editable = ctx.can(Permission.SETTINGS_EDIT)
        self.warehouses: list[tuple[str, str]] = []

        self.notice = QLabel(t("Only a manager or an administrator may change these settings."))
        self.notice.setObjectName("settings_notice")
        self.notice.setStyleSheet("color: #8a6d3b; background: #fcf8e3; padding: 6px")
        self.notice.setVisible(not self.editable)

        # statuses
        self.status_table = QTableWidget(0, len(STATUS_COLUMNS))
        self.status_table.setObjectName("settings_statuses")
        self.status_table.setHorizontalHeaderLabels([t(c) for c in STATUS_COLUMNS])
        self.status_table.verticalHeader().setVisible(False)
        self.status_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.status_table.horizontalHeader().setStretchLastSection(True)
        self.status_table.cellDoubleClicked.connect(self._pick_colour)
        self.status_table.setMinimumHeight(375)
        statuses_box = QGroupBox(t("Statuses"))
        QVBoxLayout(statuses_box).addWidget(self.status_table)

        # numbering + workflow
        self.prefix = QLineEdit()
        self.pattern = QLineEdit()
        self.suffix = QLineEdit()
        self.padding = QSpinBox()
        self.padding.setRange(0, 12)
        self.reset = QComboBox()
        for r in Reset:
            self.reset.addItem(t(r.value), r.value)
        self.initial_status = QComboBox()
        self.initial_status.setObjectName("settings_initial_status")
        numbering_box = QGroupBox(t("Numbering"))
        form = QFormLayout(numbering_box)
        form.addRow(t("Prefix"), self.prefix)
        form.addRow(t("Pattern"), self.pattern)
        form.addRow(t("Suffix"), self.suffix)
        form.addRow(t("Padding"), self.padding)
        form.addRow(t("Reset"), self.reset)
        form.addRow(t("Initial status"), self.initial_status)
        self.pattern.setObjectName("settings_pattern")
        self.prefix.setObjectName("settings_prefix")

        # reservations + automation
        self.expiry = QSpinBox()
        self.expiry.setObjectName("settings_expiry")
        self.expiry.setRange(0, 24 * 365)
        self.expiry.setSuffix(t(" h"))
        self.expiry.setSpecialValueText(t("never"))  # 0 = reservations never expire
        self.default_warehouse = QComboBox()
        self.default_warehouse.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        reservations_box = QGroupBox(t("Reservations and warehouse"))
        form2 = QFormLayout(reservations_box)
        form2.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form2.addRow(t("Reservation expiry"), self.expiry)
        form2.addRow(t("Default warehouse"), self.default_warehouse)
        self.reserve_on = QCheckBox(t("Reserve stock when an order enters 'awaiting fulfillment'"))
        self.reserve_on.setObjectName("settings_reserve_on")
        self.issue_wz_on = QComboBox()
        self.issue_wz_on.setObjectName("settings_issue_wz_on")
        self.release_on_cancel = QCheckBox(t("Release reservations when an order is cancelled"))
        automation_box = QGroupBox(t("Automation"))
        form3 = QFormLayout(automation_box)
        form3.addRow(self.reserve_on)
        form3.addRow(t("Issue the WZ when the order enters"), self.issue_wz_on)
        form3.addRow(self.release_on_cancel)
        self.complete_on_delivery = QCheckBox(t("Complete an order when its carrier reports it delivered"))
        self.complete_on_delivery.setObjectName("settings_complete_on_delivery")
        form3.addRow(self.complete_on_delivery)

        # carriers
        self.carrier_table = QTableWidget(0, len(CARRIER_COLUMNS))
        self.carrier_table.setObjectName("settings_carriers")
        self.carrier_table.setHorizontalHeaderLabels([t(c) for c in CARRIER_COLUMNS])
        self.carrier_table.verticalHeader().setVisible(False)
        self.carrier_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.carrier_table.horizontalHeader().setStretchLastSection(True)
        self.carrier_table.setMinimumHeight(150)
        self.add_carrier = QPushButton(t("Add carrier"))
        self.add_carrier.setObjectName("settings_add_carrier")
        self.add_carrier.clicked.connect(lambda: self._add_carrier_row(Carrier("", "", "")))
        self.remove_carrier = QPushButton(t("Remove carrier"))
        self.remove_carrier.clicked.connect(
            lambda: self.carrier_table.removeRow(self.carrier_table.currentRow())
        )
        carriers_box = QGroupBox(t("Carriers"))
        cl = QVBoxLayout(carriers_box)
        cl.addWidget(self.carrier_table)
        crow = QHBoxLayout()
        crow.addStretch(1)
        crow.addWidget(self.add_carrier)
        crow.addWidget(self.remove_carrier)
        cl.addLayout(crow)

        # company
        self.company_edits: dict[str, QLineEdit] = {}
        company_box = QGroupBox(t("Company data (documents)"))
        form4 = QFormLayout(company_box)
        for key, label in COMPANY_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"settings_company_{key}")
            self.company_edits[key] = edit
            form4.addRow(t(label), edit)

        self.save_button = QPushButton(t("Save settings"))
        self.save_button.setObjectName("settings_save")
        self.save_button.clicked.connect(self.save)
        self.reload_button = QPushButton(t("Reload"))
        self.reload_button.clicked.connect(self.load)

        grid = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(statuses_box)
        left.addWidget(carriers_box)
        right = QVBoxLayout()
        right.addWidget(numbering_box)
        right.addWidget(reservations_box)
        right.addWidget(automation_box)
        right.addWidget(company_box)
        right.addStretch(1)
        grid.addLayout(left, 3)
        grid.addLayout(right, 2)
        content = QWidget()
        content.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self._apply_editable()

    def _apply_editable(self) -> None:
        editable = self.editable
        triggers = (
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            if editable
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.status_table.setEditTriggers(triggers)
        self.carrier_table.setEditTriggers(triggers)
        for w in (
            self.prefix,
            self.pattern,
            self.suffix,
            *self.company_edits.values(),
        ):
            w.setReadOnly(not editable)
        for w2 in (
            self.padding,
            self.reset,
            self.initial_status,
            self.expiry,
            self.default_warehouse,
            self.reserve_on,
            self.issue_wz_on,
            self.release_on_cancel,
            self.complete_on_delivery,
            self.add_carrier,
            self.remove_carrier,
            self.save_button,
        ):
            w2.setEnabled(editable)

    # -- load / fill ------------------------------------------------------------------------------
    def load(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor

        def work(_c: TaskContext) -> tuple[OrderSettings, list[tuple[str, str]]]:
            settings = get_order_settings(db.uow(), actor)
            warehouses = [(w.code, w.name) for w in list_warehouses(db.uow(), actor)]
            return settings, warehouses

        self.ctx.runner.submit(work, on_result=self._loaded, on_error=self._error)

    def _error(self, error: TaskError | BaseException) -> None:
        self.ctx.dialogs.error(self, error)

    def _loaded(self, result: tuple[OrderSettings, list[tuple[str, str]]]) -> None:
        self.settings, self.warehouses = result
        self.fill(self.settings)

    def fill(self, s: OrderSettings) -> None:
        ordered = sorted(s.statuses.items(), key=lambda kv: (kv[1].order, kv[0]))
        self.status_table.setRowCount(len(ordered))
        for r, (code, label) in enumerate(ordered):
            code_item = QTableWidgetItem(code)
            code_item.setFlags(code_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            colour_item = QTableWidgetItem(label.colour)
            # Picked with the colour dialog (double click), never typed: no inline editor over the colour.
            colour_item.setFlags(colour_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            colour_item.setBackground(QColor(label.colour))
            colour_item.setForeground(
                QColor("#ffffff") if QColor(label.colour).lightness() < 150 else QColor("#000")
            )
            values = [
                code_item,
                QTableWidgetItem(label.label_pl),
                QTableWidgetItem(label.label_en),
                colour_item,
                QTableWidgetItem(str(label.order)),
                QTableWidgetItem(_mapping_text(label.mapping)),
            ]
            for c, item in enumerate(values):
                self.status_table.setItem(r, c, item)
        self.prefix.setText(s.numbering.prefix)
        self.pattern.setText(s.numbering.pattern)
        self.suffix.setText(s.numbering.suffix)
        self.padding.setValue(s.numbering.padding)
        self.reset.setCurrentIndex(max(self.reset.findData(s.numbering.reset), 0))
        self.initial_status.clear()
        for code, label in ordered:
            self.initial_status.addItem(label.label_pl if language() == "pl" else label.label_en, code)
        self.initial_status.setCurrentIndex(max(self.initial_status.findData(s.initial_status), 0))
        self.expiry.setValue(s.reservation_expiry_hours)
        self.default_warehouse.clear()
        self.default_warehouse.addItem(t("(flagged as default)"), None)
        for code, name in self.warehouses:
            self.default_warehouse.addItem(f"{code} — {name}", code)
        self.default_warehouse.setCurrentIndex(max(self.default_warehouse.findData(s.default_warehouse), 0))
        self.reserve_on.setChecked(s.automation.reserve_on_awaiting_fulfillment)
        self.issue_wz_on.clear()
        for code in ("picking", "ready_for_shipment"):
            lbl = s.statuses.get(code)
            self.issue_wz_on.addItem(
                (lbl.label_pl if language() == "pl" else lbl.label_en) if lbl else s.label(code), code
            )
        self.issue_wz_on.addItem(t("never (by hand)"), "never")
        self.issue_wz_on.setCurrentIndex(max(self.issue_wz_on.findData(s.automation.issue_wz_on), 0))
        self.release_on_cancel.setChecked(s.automation.release_reservations_on_cancel)
        self.complete_on_delivery.setChecked(s.automation.complete_on_delivery)
        self.carrier_table.setRowCount(0)
        for carrier in s.carriers:
            self._add_carrier_row(carrier)
        for key, edit in self.company_edits.items():
            edit.setText(str(getattr(s.company, key) or ""))

    def _add_carrier_row(self, carrier: Carrier) -> None:
        r = self.carrier_table.rowCount()
        self.carrier_table.insertRow(r)
        for c, value in enumerate((carrier.code, carrier.name, carrier.tracking_url)):
            self.carrier_table.setItem(r, c, QTableWidgetItem(value))
        required = QTableWidgetItem("")
        required.setFlags((required.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable)
        required.setCheckState(
            Qt.CheckState.Checked if carrier.tracking_required else Qt.CheckState.Unchecked
        )
        self.carrier_table.setItem(r, 3, required)

    def _pick_colour(self, row: int, column: int) -> None:
        if column != 3 or not self.editable:
            return
        item = self.status_table.item(row, 3)
        colour = QColorDialog.getColor(QColor(item.text()), self)
        if colour.isValid():
            self.set_status_colour(row, colour.name())

    def set_status_colour(self, row: int, colour: str) -> None:
        item = self.status_table.item(row, 3)
        item.setText(colour)
        item.setBackground(QColor(colour))

    # -- collect / save ---------------------------------------------------------------------------
    def _cell(self, table: QTableWidget, r: int, c: int) -> str:
        item = table.item(r, c)
        return item.text().strip() if item is not None else ""

    def _checked(self, table: QTableWidget, r: int, c: int) -> bool:
        item = table.item(r, c)
        return item is None or item.checkState() == Qt.CheckState.Checked

    def collect(self) -> OrderSettings:
        """The form as settings (raises ``ValidationError`` with what to fix)."""
        assert self.settings is not None
        statuses: dict[str, StatusLabel] = {}
        for r in range(self.status_table.rowCount()):
            code = self._cell(self.status_table, r, 0)
            try:
                order = int(self._cell(self.status_table, r, 4))
            except ValueError:
                raise ValidationError(
                    t("The order of status '{code}' must be a whole number.", code=code)
                ) from None
            statuses[code] = StatusLabel(
                label_pl=self._cell(self.status_table, r, 1),
                label_en=self._cell(self.status_table, r, 2),
                colour=self._cell(self.status_table, r, 3),
                order=order,
                mapping=_parse_mapping(self._cell(self.status_table, r, 5)),
            )
        carriers = [
            Carrier(
                self._cell(self.carrier_table, r, 0),
                self._cell(self.carrier_table, r, 1),
                self._cell(self.carrier_table, r, 2),
                tracking_required=self._checked(self.carrier_table, r, 3),
            )
            for r in range(self.carrier_table.rowCount())
        ]
        company: dict[str, Any] = {key: edit.text().strip() for key, edit in self.company_edits.items()}
        return replace(
            self.settings,
            initial_status=str(self.initial_status.currentData() or self.settings.initial_status),
            statuses=statuses,
            numbering=Numbering(
                prefix=self.prefix.text(),
                pattern=self.pattern.text().strip(),
                suffix=self.suffix.text(),
                padding=self.padding.value(),
                reset=str(self.reset.currentData()),
            ),
            default_warehouse=self.default_warehouse.currentData(),
            reservation_expiry_hours=self.expiry.value(),
            automation=Automation(
                reserve_on_awaiting_fulfillment=self.reserve_on.isChecked(),
                issue_wz_on=str(self.issue_wz_on.currentData()),
                release_reservations_on_cancel=self.release_on_cancel.isChecked(),
                complete_on_delivery=self.complete_on_delivery.isChecked(),
            ),
            carriers=carriers,
            company=Company(**company),
        )

    def save(self) -> None:
        try:
            settings = self.collect()
        except ValidationError as exc:
            self._error(exc)
            return
        db, actor = self.ctx.db, self.ctx.actor

        def done(saved: OrderSettings) -> None:
            self.settings = saved
            self.fill(saved)
            self.saved.emit(saved)
            self.ctx.dialogs.info(self, t("Settings"), t("Settings saved."))

        self.ctx.runner.submit(
            lambda _c: save_order_settings(db.uow(), actor, settings), on_result=done, on_error=self._error
        )
