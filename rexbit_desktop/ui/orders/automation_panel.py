"""*Automatyzacja*: the rules (event → conditions → actions) with an editor and the dry run.

Reads and saves through ``services.automation.rules``; a manager or an administrator may change rules,
everyone may look and try the dry run ("which orders would this rule match now?").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.automation import (
    ACTION_LABELS,
    ACTION_PARAMS,
    BUILTIN_RELEASE,
    BUILTIN_RESERVE,
    BUILTIN_RULE_NAMES,
    BUILTIN_WZ,
    EVENT_LABELS,
    FIELDS,
    ActionType,
    EventType,
    Op,
    Rule,
    rule_to_dict,
)
from rexbit_desktop.domain.orders import DEFAULT_LABELS
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.automation import rules as rule_services
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import language, register, t
from rexbit_desktop.ui.orders.labels import payment_label, source_label
from rexbit_desktop.ui.runner import TaskError

register(
    {
        "Automation rules": "Reguły automatyzacji",
        "Only a manager or an administrator may change automation rules.": (
            "Reguły automatyzacji może zmieniać tylko kierownik lub administrator."
        ),
        "On": "Wł.",
        "Priority": "Priorytet",
        "Event": "Zdarzenie",
        "Conditions": "Warunki",
        "Actions": "Akcje",
        "New rule": "Nowa reguła",
        "Edit": "Edytuj",
        "Delete": "Usuń",
        "Switch on/off": "Włącz/wyłącz",
        "Which orders match now?": "Które zamówienia pasują teraz?",
        "Rule": "Reguła",
        "Rule name": "Nazwa reguły",
        "Rule enabled": "Reguła włączona",
        "Stop this rule's actions after a failed action": "Przerwij akcje reguły po nieudanej akcji",
        "Add condition": "Dodaj warunek",
        "Add action": "Dodaj akcję",
        "Remove": "Usuń",
        "Field": "Pole",
        "Operator": "Operator",
        "Value": "Wartość",
        "Action": "Akcja",
        "Parameter": "Parametr",
        "built-in": "wbudowana",
        "Delete the rule '{name}'?": "Usunąć regułę „{name}”?",
        "Dry run": "Próba na sucho",
        "{matched} of {checked} open orders match the rule '{name}' now.": (
            "Regułę „{name}” spełnia teraz {matched} z {checked} otwartych zamówień."
        ),
        "Rule saved.": "Reguła zapisana.",
        "all conditions must hold": "muszą być spełnione wszystkie warunki",
        # events
        "Order created": "Utworzono zamówienie",
        "Status changed (from → to)": "Zmiana statusu (z → na)",
        "Payment status changed": "Zmiana statusu płatności",
        "Stock fully reserved": "Towar w pełni zarezerwowany",
        "Shortage filled": "Uzupełniono brak",
        "WZ posted": "Wystawiono WZ",
        "Shipped (tracking known)": "Wysłano (znany numer przesyłki)",
        "Message received": "Otrzymano wiadomość",
        "In status for N days (daily)": "W statusie od N dni (codziennie)",
        # condition fields
        "status": "status",
        "from_status": "poprzedni status",
        "to_status": "nowy status",
        "payment_status": "status płatności",
        "source": "źródło",
        "integration_id": "integracja (id)",
        "carrier": "przewoźnik",
        "country": "kraj",
        "total_gross": "wartość brutto",
        "SKU in the order": "SKU w zamówieniu",
        "is_company": "klient jest firmą",
        "has_note": "ma notatkę",
        "days_in_status": "dni w statusie",
        "tag": "znacznik",
        # operators
        "eq": "=",
        "ne": "≠",
        "in": "jeden z",
        "not_in": "żaden z",
        "gte": "≥",
        "lte": "≤",
        "gt": ">",
        "lt": "<",
        "between": "między",
        "contains": "zawiera",
        "is_true": "tak",
        "is_false": "nie",
        # actions
        "Set status": "Ustaw status",
        "Reserve stock": "Rezerwuj towar",
        "Issue WZ": "Wystaw WZ",
        "Add note": "Dodaj notatkę",
        "Send e-mail template": "Wyślij szablon e-mail",
        "Print documents": "Drukuj dokumenty",
        "Call webhook": "Wywołaj webhook",
        "Set tag": "Ustaw znacznik",
        "Assign warehouse": "Przypisz magazyn",
        "Release reservations": "Zwolnij rezerwacje",
    }
)

_EVENT_TEXT = {
    EventType.ORDER_CREATED: "Order created",
    EventType.STATUS_CHANGED: "Status changed (from → to)",
    EventType.PAYMENT_CHANGED: "Payment status changed",
    EventType.FULLY_RESERVED: "Stock fully reserved",
    EventType.SHORTAGE_FILLED: "Shortage filled",
    EventType.WZ_POSTED: "WZ posted",
    EventType.SHIPPED: "Shipped (tracking known)",
    EventType.MESSAGE_RECEIVED: "Message received",
    EventType.IN_STATUS: "In status for N days (daily)",
}
assert set(_EVENT_TEXT) == set(EVENT_LABELS)

_ACTION_TEXT = {
    ActionType.SET_STATUS: "Set status",
    ActionType.RESERVE: "Reserve stock",
    ActionType.ISSUE_WZ: "Issue WZ",
    ActionType.ADD_NOTE: "Add note",
    ActionType.SEND_EMAIL: "Send e-mail template",
    ActionType.PRINT_DOCUMENTS: "Print documents",
    ActionType.CALL_WEBHOOK: "Call webhook",
    ActionType.SET_TAG: "Set tag",
    ActionType.ASSIGN_WAREHOUSE: "Assign warehouse",
    ActionType.RELEASE_RESERVATIONS: "Release reservations",
}
assert set(_ACTION_TEXT) == set(ACTION_LABELS)

_FIELD_TEXT = {
    "status": "status",
    "from_status": "from_status",
    "to_status": "to_status",
    "payment_status": "payment_status",
    "source": "source",
    "integration_id": "integration_id",
    "carrier": "carrier",
    "country": "country",
    "total_gross": "total_gross",
    "sku": "SKU in the order",
    "is_company": "is_company",
    "has_note": "has_note",
    "days_in_status": "days_in_status",
    "tag": "tag",
}
assert set(_FIELD_TEXT) == set(FIELDS)

_OP_TEXT = {
    Op.EQ: "eq",
    Op.NE: "ne",
    Op.IN: "in",
    Op.NOT_IN: "not_in",
    Op.GTE: "gte",
    Op.LTE: "lte",
    Op.GT: "gt",
    Op.LT: "lt",
    Op.BETWEEN: "between",
    Op.CONTAINS: "contains",
    Op.IS_TRUE: "is_true",
    Op.IS_FALSE: "is_false",
}


# The dicts above hold the English texts; ``t()`` runs when a text is shown (at import time the language
# may not be chosen yet: English mode showed Polish words).


def _value_text(value: Any, field: str = "") -> str:
    """A condition's value in words: statuses, payment states and sources by their labels."""
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v, field) for v in value)
    if value is None:
        return ""
    text = str(value)
    if field in ("status", "from_status", "to_status") and text in _STATUS_WORDS:
        pl, en = _STATUS_WORDS[text]
        return pl if language() == "pl" else en
    if field == "payment_status":
        return payment_label(text)
    if field == "source":
        return source_label(text)
    return text


_BUILTIN_NAMES = {
    BUILTIN_RESERVE: "Reserve on 'Awaiting fulfillment'",
    BUILTIN_WZ: "Issue the WZ",
    BUILTIN_RELEASE: "Release reservations on cancel",
}
register(
    {
        "Reserve on 'Awaiting fulfillment'": "Rezerwacja przy „Do realizacji”",
        "Issue the WZ": "Wystawienie WZ",
        "Release reservations on cancel": "Zwolnienie rezerwacji przy anulowaniu",
    }
)

_STATUS_WORDS = {s.value: (pl, en) for s, (pl, en, _colour) in DEFAULT_LABELS.items()}


def rule_name(rule: Rule) -> str:
    """A built-in rule by its words in the UI's language (its stored name is Polish), else its name."""
    if rule.builtin in _BUILTIN_NAMES and rule.name == BUILTIN_RULE_NAMES.get(rule.builtin):
        return f"{t(_BUILTIN_NAMES[rule.builtin])} ({t('built-in')})"
    return rule.name + (f" ({t('built-in')})" if rule.builtin else "")


def conditions_text(rule: Rule) -> str:
    return "; ".join(
        f"{t(_FIELD_TEXT.get(c.field, c.field))} {t(_OP_TEXT.get(Op(c.op), c.op))} "
        f"{_value_text(c.value, c.field)}".strip()
        for c in rule.conditions
    )


def actions_text(rule: Rule) -> str:
    parts = []
    for a in rule.actions:
        kind = ActionType(a.type)
        detail = ", ".join(_value_text(a.params.get(p)) for p in ACTION_PARAMS[kind] if a.params.get(p))
        parts.append(f"{t(_ACTION_TEXT[kind])}{': ' + detail if detail else ''}")
    return " → ".join(parts)


class RuleEditorDialog(QDialog):
    """One rule: name, event, priority, switches, the conditions and the actions in order."""

    def __init__(self, rule: Rule | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Rule"))
        self.setObjectName("rule_editor")
        self.name = QLineEdit(rule.name if rule else "")
        self.event = QComboBox()
        for event, text in _EVENT_TEXT.items():
            self.event.addItem(t(text), event.value)
        if rule:
            self.event.setCurrentIndex(max(self.event.findData(rule.event), 0))
        self.priority = QSpinBox()
        self.priority.setRange(0, 10_000)
        self.priority.setValue(rule.priority if rule else 100)
        self.enabled = QCheckBox(t("Rule enabled"))
        self.enabled.setChecked(rule.enabled if rule else True)
        self.stop_on_failure = QCheckBox(t("Stop this rule's actions after a failed action"))
        self.stop_on_failure.setChecked(rule.stop_on_failure if rule else True)
        form = QFormLayout()
        form.addRow(t("Rule name"), self.name)
        form.addRow(t("Event"), self.event)
        form.addRow(t("Priority"), self.priority)
        form.addRow("", self.enabled)
        form.addRow("", self.stop_on_failure)

        self.conditions = QTableWidget(0, 3)
        self.conditions.setObjectName("rule_conditions")
        self.conditions.setHorizontalHeaderLabels([t("Field"), t("Operator"), t("Value")])
        self.conditions.horizontalHeader().setStretchLastSection(True)
        add_condition = QPushButton(t("Add condition"))
        add_condition.clicked.connect(lambda: self.add_condition("total_gross", "gte", ""))
        remove_condition = QPushButton(t("Remove"))
        remove_condition.clicked.connect(lambda: self.conditions.removeRow(self.conditions.currentRow()))
        conditions_box = QGroupBox(t("Conditions") + " (" + t("all conditions must hold") + ")")
        box = QVBoxLayout(conditions_box)
        box.addWidget(self.conditions)
        row = QHBoxLayout()
        row.addWidget(add_condition)
        row.addWidget(remove_condition)
        row.addStretch(1)
        box.addLayout(row)

        self.actions = QTableWidget(0, 2)
        self.actions.setObjectName("rule_actions")
        self.actions.setHorizontalHeaderLabels([t("Action"), t("Parameter")])
        self.actions.horizontalHeader().setStretchLastSection(True)
        add_action = QPushButton(t("Add action"))
        add_action.clicked.connect(lambda: self.add_action("add_note", ""))
        remove_action = QPushButton(t("Remove"))
        remove_action.clicked.connect(lambda: self.actions.removeRow(self.actions.currentRow()))
        actions_box = QGroupBox(t("Actions"))
        box2 = QVBoxLayout(actions_box)
        box2.addWidget(self.actions)
        row2 = QHBoxLayout()
        row2.addWidget(add_action)
        row2.addWidget(remove_action)
        row2.addStretch(1)
        box2.addLayout(row2)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(conditions_box)
        layout.addWidget(actions_box)
        layout.addWidget(buttons)
        self.resize(760, 620)
        for c in rule.conditions if rule else []:
            self.add_condition(c.field, c.op, _value_text(c.value))
        for a in rule.actions if rule else []:
            params = a.params
            self.add_action(
                a.type, _value_text(next((params[p] for p in ACTION_PARAMS[ActionType(a.type)]), ""))
            )

    def add_condition(self, field: str, op: str, value: str) -> None:
        r = self.conditions.rowCount()
        self.conditions.insertRow(r)
        fields = QComboBox()
        for name, text in _FIELD_TEXT.items():
            fields.addItem(t(text), name)
        ops = QComboBox()

        def fill_ops() -> None:
            current = ops.currentData()
            ops.clear()
            for o in sorted(FIELDS[str(fields.currentData())][1], key=list(Op).index):
                ops.addItem(t(_OP_TEXT[o]), o.value)
            if current is not None and ops.findData(current) >= 0:
                ops.setCurrentIndex(ops.findData(current))

        fields.currentIndexChanged.connect(lambda _i: fill_ops())
        fields.setCurrentIndex(max(fields.findData(field), 0))
        fill_ops()
        ops.setCurrentIndex(max(ops.findData(op), 0))
        self.conditions.setCellWidget(r, 0, fields)
        self.conditions.setCellWidget(r, 1, ops)
        self.conditions.setItem(r, 2, QTableWidgetItem(value))

    def add_action(self, kind: str, parameter: str) -> None:
        r = self.actions.rowCount()
        self.actions.insertRow(r)
        kinds = QComboBox()
        for action, text in _ACTION_TEXT.items():
            if action is not ActionType.RELEASE_RESERVATIONS:
                kinds.addItem(t(text), action.value)
        kinds.setCurrentIndex(max(kinds.findData(kind), 0))
        self.actions.setCellWidget(r, 0, kinds)
        self.actions.setItem(r, 1, QTableWidgetItem(parameter))

    def rule_data(self) -> dict[str, Any]:
        """The rule as the services take it (validated there)."""
        conditions = []
        for r in range(self.conditions.rowCount()):
            field = self.conditions.cellWidget(r, 0).currentData()  # type: ignore[attr-defined]
            op = self.conditions.cellWidget(r, 1).currentData()  # type: ignore[attr-defined]
            item = self.conditions.item(r, 2)
            conditions.append({"field": field, "op": op, "value": item.text() if item else ""})
        actions = []
        for r in range(self.actions.rowCount()):
            kind = ActionType(self.actions.cellWidget(r, 0).currentData())  # type: ignore[attr-defined]
            item = self.actions.item(r, 1)
            text = item.text().strip() if item else ""
            action: dict[str, Any] = {"type": kind.value}
            names = ACTION_PARAMS[kind]
            if names:
                action[names[0]] = text
            actions.append(action)
        return {
            "name": self.name.text(),
            "event": self.event.currentData(),
            "priority": self.priority.value(),
            "enabled": self.enabled.isChecked(),
            "stop_on_failure": self.stop_on_failure.isChecked(),
            "conditions": conditions,
            "actions": actions,
        }


class AutomationPanel(QWidget):
    COLUMNS = ("On", "Priority", "Rule name", "Event", "Conditions", "Actions")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.editable = ctx.can(Permission.SETTINGS_EDIT)
        self.rules: list[Rule] = []
        self.notice = QLabel(t("Only a manager or an administrator may change automation rules."))
        self.notice.setStyleSheet("color: #8a6d3b; background: #fcf8e3; padding: 6px")
        self.notice.setVisible(not self.editable)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("automation_rules")
        self.table.setHorizontalHeaderLabels([t(c) for c in self.COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit_rule())
        self.new_button = QPushButton(t("New rule"))
        self.new_button.clicked.connect(lambda: self.edit_rule(new=True))
        self.edit_button = QPushButton(t("Edit"))
        self.edit_button.clicked.connect(lambda: self.edit_rule())
        self.toggle_button = QPushButton(t("Switch on/off"))
        self.toggle_button.clicked.connect(self.toggle)
        self.delete_button = QPushButton(t("Delete"))
        self.delete_button.clicked.connect(self.delete)
        self.dry_run_button = QPushButton(t("Which orders match now?"))
        self.dry_run_button.clicked.connect(self.dry_run)
        for b in (self.new_button, self.edit_button, self.toggle_button, self.delete_button):
            b.setEnabled(self.editable)
        buttons = QHBoxLayout()
        for b in (
            self.new_button,
            self.edit_button,
            self.toggle_button,
            self.delete_button,
            self.dry_run_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.open_editor = self._open_editor  # tests replace it (no modal loop)

    # -- data ------------------------------------------------------------------------------------
    def load(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: rule_services.list_rules(db.uow(), actor), on_result=self._fill, on_error=self._error
        )

    def _error(self, error: TaskError | BaseException) -> None:
        self.ctx.dialogs.error(self, error)

    def _fill(self, found: list[Rule]) -> None:
        self.rules = found
        self.table.setRowCount(len(found))
        for r, rule in enumerate(found):
            name = rule_name(rule)
            values = (
                "✓" if rule.enabled else "",
                str(rule.priority),
                name,
                t(_EVENT_TEXT[EventType(rule.event)]),
                conditions_text(rule),
                actions_text(rule),
            )
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))

    def selected(self) -> Rule | None:
        row = self.table.currentRow()
        return self.rules[row] if 0 <= row < len(self.rules) else None

    # -- actions ---------------------------------------------------------------------------------
    def _open_editor(self, rule: Rule | None) -> dict[str, Any] | None:
        dialog = RuleEditorDialog(rule, self)
        return dialog.rule_data() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def edit_rule(self, *, new: bool = False) -> None:
        rule = None if new else self.selected()
        if not new and rule is None:
            return
        data = self.open_editor(rule)
        if data is None:
            return
        db, actor = self.ctx.db, self.ctx.actor
        rule_id = rule.id if rule else None

        def saved(_r: Rule) -> None:
            self.load()

        self.ctx.runner.submit(
            lambda _c: rule_services.save_rule(db.uow(), actor, data, rule_id=rule_id),
            on_result=saved,
            on_error=self._error,
        )

    def toggle(self) -> None:
        rule = self.selected()
        if rule is None or rule.id is None:
            return
        db, actor, rule_id, enabled = self.ctx.db, self.ctx.actor, rule.id, not rule.enabled
        self.ctx.runner.submit(
            lambda _c: rule_services.set_rule_enabled(db.uow(), actor, rule_id, enabled),
            on_result=lambda _r: self.load(),
            on_error=self._error,
        )

    def delete(self) -> None:
        rule = self.selected()
        if rule is None or rule.id is None:
            return
        if not self.ctx.dialogs.confirm(
            self, t("Delete"), t("Delete the rule '{name}'?").format(name=rule.name)
        ):
            return
        db, actor, rule_id = self.ctx.db, self.ctx.actor, rule.id
        self.ctx.runner.submit(
            lambda _c: rule_services.delete_rule(db.uow(), actor, rule_id),
            on_result=lambda _r: self.load(),
            on_error=self._error,
        )

    def dry_run(self) -> None:
        rule = self.selected()
        if rule is None or rule.id is None:
            return
        db, actor, rule_id = self.ctx.db, self.ctx.actor, rule.id

        def show(result: rule_services.DryRunDTO) -> None:
            text = t("{matched} of {checked} open orders match the rule '{name}' now.").format(
                matched=result.matched, checked=result.checked, name=result.rule_name
            )
            if result.orders:
                text += "\n\n" + "\n".join(result.orders[:50]) + ("\n…" if len(result.orders) > 50 else "")
            self.ctx.dialogs.info(self, t("Dry run"), text)

        self.ctx.runner.submit(
            lambda _c: rule_services.dry_run(db.uow(), actor, rule_id), on_result=show, on_error=self._error
        )


__all__ = ["AutomationPanel", "RuleEditorDialog", "rule_to_dict"]
