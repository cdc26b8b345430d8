"""Automatic e-mails (settings, manager/admin): "send template X when an order enters status Y", per
order source, each rule switchable; and the language of e-mails to orders typed in by hand.

Read and saved through ``services.messages.automation`` (the ``mail_automation`` order setting).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.orders import OrderStatus
from rexbit_desktop.services.messages.automation import (
    MailRule,
    MailSettings,
    get_mail_settings,
    save_mail_rules,
)
from rexbit_desktop.services.messages.template_admin import TemplateDTO, list_templates
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.mail.accounts_page import ERROR_STYLE, OK_STYLE
from rexbit_desktop.ui.mail.strings import phrase_mail_error
from rexbit_desktop.ui.messages import status_label
from rexbit_desktop.ui.runner import TaskError

HEADERS = ["Rule on", "When an order enters", "send the template", "Only orders from"]


class MailRulesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.templates: list[tuple[str, str]] = []
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("mail_rules")
        self.table.setHorizontalHeaderLabels([t(h) for h in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton(t("Add rule"))
        self.add_button.setObjectName("mail_rule_add")
        self.add_button.clicked.connect(lambda: self.add_rule(MailRule("shipped", self._first_template())))
        self.remove_button = QPushButton(t("Remove rule"))
        self.remove_button.setObjectName("mail_rule_remove")
        self.remove_button.clicked.connect(self.remove_rule)
        self.save_button = QPushButton(t("Save rules"))
        self.save_button.setObjectName("mail_rules_save")
        self.save_button.clicked.connect(self.save)
        self.default_language = QLineEdit()
        self.default_language.setObjectName("mail_default_language")
        self.default_language.setMaxLength(2)
        self.default_language.setMaximumWidth(60)
        note = QLabel(
            t(
                "Shop orders use their customer's language; a template missing in a language is sent in Polish."
            )
        )
        note.setStyleSheet("color: palette(mid)")
        sources_note = QLabel(t("Comma-separated, e.g. prestashop, manual; empty: all."))
        sources_note.setStyleSheet("color: palette(mid)")
        self.status = QLabel("")
        self.status.setObjectName("mail_rules_status")
        form = QFormLayout()
        form.addRow(t("Language of e-mails to orders typed in"), self.default_language)
        form.addRow("", note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(sources_note)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.status)

    def load(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: (get_mail_settings(db.uow(), actor), list_templates(db.uow(), actor)),
            on_result=self._loaded,
            on_error=self._failed,
        )

    def _loaded(self, result: tuple[MailSettings, list[TemplateDTO]]) -> None:
        settings, templates = result
        seen: dict[str, str] = {}
        for tpl in templates:
            if tpl.code not in seen or tpl.language == "pl":
                seen[tpl.code] = tpl.name
        self.templates = sorted(seen.items(), key=lambda item: item[1])
        self.table.setRowCount(0)
        for rule in settings.rules:
            self.add_rule(rule)
        self.default_language.setText(settings.default_language)

    def _first_template(self) -> str:
        return self.templates[0][0] if self.templates else ""

    def add_rule(self, rule: MailRule) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        enabled = QCheckBox()
        enabled.setChecked(rule.enabled)
        status = QComboBox()
        for s in OrderStatus:
            status.addItem(status_label(s.value), s.value)
        status.setCurrentIndex(max(0, status.findData(rule.status)))
        template = QComboBox()
        for code, name in self.templates:
            template.addItem(name, code)
        if template.findData(rule.template) < 0:
            template.addItem(rule.template, rule.template)
        template.setCurrentIndex(template.findData(rule.template))
        sources = QLineEdit(", ".join(rule.sources or []))
        sources.setPlaceholderText(t("all sources"))
        for column, widget in enumerate((enabled, status, template, sources)):
            self.table.setCellWidget(row, column, widget)

    def remove_rule(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def rules(self) -> list[MailRule]:
        result = []
        for row in range(self.table.rowCount()):
            enabled, status, template, sources = (self.table.cellWidget(row, c) for c in range(4))
            assert isinstance(enabled, QCheckBox) and isinstance(status, QComboBox)
            assert isinstance(template, QComboBox) and isinstance(sources, QLineEdit)
            names = [s.strip() for s in sources.text().split(",") if s.strip()]
            result.append(
                MailRule(
                    str(status.currentData()), str(template.currentData()), names or None, enabled.isChecked()
                )
            )
        return result

    def save(self) -> None:
        rules, language = self.rules(), self.default_language.text().strip() or "pl"
        db, actor = self.ctx.db, self.ctx.actor
        self.save_button.setEnabled(False)

        def done(_r: Any) -> None:
            self.save_button.setEnabled(True)
            self.status.setText(t("Rules saved."))
            self.status.setStyleSheet(OK_STYLE)

        self.ctx.runner.submit(
            lambda _c: save_mail_rules(db.uow(), actor, rules, default_language=language),
            on_result=done,
            on_error=self._failed,
        )

    def _failed(self, error: TaskError) -> None:
        self.save_button.setEnabled(True)
        message, hint = phrase_mail_error(error.exception)
        self.status.setText(message + (f"\n{hint}" if hint else ""))
        self.status.setStyleSheet(ERROR_STYLE)
