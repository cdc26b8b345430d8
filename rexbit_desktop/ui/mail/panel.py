"""Zamówienia → *E-mail* (manager, admin; operators do not get the tab): mail accounts, templates and
the automatic e-mails per status. Each page loads when it is first shown."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.mail.accounts_page import MailAccountsPage
from rexbit_desktop.ui.mail.rules_page import MailRulesPage
from rexbit_desktop.ui.mail.templates_page import MailTemplatesPage


class MailSettingsPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.accounts = MailAccountsPage(ctx)
        self.templates = MailTemplatesPage(ctx)
        self.rules = MailRulesPage(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mail_settings_tabs")
        self.tabs.addTab(self.accounts, t("Mail accounts"))
        self.tabs.addTab(self.templates, t("Templates"))
        self.tabs.addTab(self.rules, t("Automatic e-mails"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.loaded = False

    def load(self) -> None:
        self.loaded = True
        self.accounts.load()
        self.templates.load()
        self.rules.load()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.loaded:
            self.load()


def add_mail_settings_tab(tabs: QTabWidget, ctx: AppContext) -> MailSettingsPanel | None:
    """The orders view's *E-mail* tab, for those who may change settings (None for operators)."""
    from rexbit_desktop.domain.roles import Permission

    if not ctx.can(Permission.SETTINGS_EDIT):
        return None
    panel = MailSettingsPanel(ctx)
    tabs.addTab(panel, t("E-mail"))
    return panel
