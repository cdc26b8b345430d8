"""Mail accounts (settings, manager/admin): SMTP for sending, optionally IMAP for the customers' replies.

The saved password is never shown or sent back to the form: the field stays empty ("unchanged") and only
a typed password is saved. *Wyślij testowy e-mail* and *Sprawdź skrzynkę* save the form, then connect
on the task runner (the window stays responsive) and say in the result line what went wrong.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.services.messages.accounts import (
    AccountCheck,
    MailAccountDTO,
    check_inbox,
    delete_mail_account,
    list_mail_accounts,
    send_test_mail,
    set_mail_account,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.mail.strings import phrase_mail_error
from rexbit_desktop.ui.runner import TaskError

SMTP_SECURITY = [
    ("starttls", "STARTTLS (port 587)", 587),
    ("ssl", "SSL/TLS (port 465)", 465),
    ("none", "none (trusted network only)", 25),
]
IMAP_SECURITY = [
    ("ssl", "SSL/TLS (port 993)", 993),
    ("starttls", "STARTTLS (port 143)", 143),
    ("none", "none (trusted network only)", 143),
]
OK_STYLE = "color: #1b7a2e"
ERROR_STYLE = "color: #b3261e"


def _combo(name: str, choices: list[tuple[str, str, int]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for code, label, _port in choices:
        combo.addItem(t(label), code)
    return combo


def _port_spin(name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(1, 65535)
    return spin


def _follow_security(combo: QComboBox, spin: QSpinBox, choices: list[tuple[str, str, int]]) -> None:
    """A port left at the previous security's usual number follows the new security."""
    defaults = {code: port for code, _label, port in choices}
    state = {"code": combo.currentData()}

    def changed(_index: int) -> None:
        old, new = state["code"], combo.currentData()
        if spin.value() == defaults.get(old):
            spin.setValue(defaults[new])
        state["code"] = new

    combo.currentIndexChanged.connect(changed)


class MailAccountsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.accounts: list[MailAccountDTO] = []
        self.current: MailAccountDTO | None = None
        self.last_check: AccountCheck | None = None

        self.list = QListWidget()
        self.list.setObjectName("mail_accounts")
        self.list.setMaximumWidth(220)
        self.list.currentRowChanged.connect(self._selected)
        self.new_button = QPushButton(t("New account"))
        self.new_button.setObjectName("mail_account_new")
        self.new_button.clicked.connect(self.new_account)
        self.delete_button = QPushButton(t("Delete account…"))
        self.delete_button.setObjectName("mail_account_delete")
        self.delete_button.clicked.connect(self.delete_account)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.new_button)
        left.addWidget(self.delete_button)

        self.name = QLineEdit()
        self.name.setObjectName("mail_account_name")
        self.default = QCheckBox(t("Default account"))
        self.default.setObjectName("mail_account_default")
        self.smtp_host = QLineEdit()
        self.smtp_host.setObjectName("mail_smtp_host")
        self.smtp_port = _port_spin("mail_smtp_port")
        self.security = _combo("mail_security", SMTP_SECURITY)
        _follow_security(self.security, self.smtp_port, SMTP_SECURITY)
        self.login = QLineEdit()
        self.login.setObjectName("mail_login")
        self.password_source = QComboBox()
        self.password_source.setObjectName("mail_password_source")
        self.password_source.addItem(t("typed here (stored in the database)"), "typed")
        self.password_source.addItem(t("environment variable of the worker"), "env")
        self.password = QLineEdit()  # never filled from the saved account
        self.password.setObjectName("mail_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_env = QLineEdit()
        self.password_env.setObjectName("mail_password_env")
        self.password_env.setPlaceholderText("REXBIT_SMTP_PASSWORD")
        self.password_state = QLabel("")
        self.password_state.setObjectName("mail_password_state")
        self.password_state.setStyleSheet("color: palette(mid)")
        self.password_source.currentIndexChanged.connect(lambda _i: self._password_fields())
        self.from_name = QLineEdit()
        self.from_name.setObjectName("mail_from_name")
        self.from_address = QLineEdit()
        self.from_address.setObjectName("mail_from_address")
        self.reply_to = QLineEdit()
        self.reply_to.setObjectName("mail_reply_to")
        self.documents_url = QLineEdit()
        self.documents_url.setObjectName("mail_documents_url")
        self.documents_url.setPlaceholderText("https://sklep.example.pl/zamowienia/{number}")
        smtp = QFormLayout()
        smtp.addRow(t("SMTP server"), self.smtp_host)
        smtp.addRow(t("Security"), self.security)
        smtp.addRow(t("Port"), self.smtp_port)
        smtp.addRow(t("Login"), self.login)
        smtp.addRow(t("Password source"), self.password_source)
        smtp.addRow(t("Password"), self.password)
        smtp.addRow(t("Variable name"), self.password_env)
        smtp.addRow("", self.password_state)
        smtp.addRow(t("Sender name"), self.from_name)
        smtp.addRow(t("Sender address"), self.from_address)
        smtp.addRow(t("Reply-to"), self.reply_to)
        smtp.addRow(t("Link to documents"), self.documents_url)
        smtp_box = QGroupBox(t("Sending (SMTP)"))
        smtp_box.setLayout(smtp)

        self.imap_host = QLineEdit()
        self.imap_host.setObjectName("mail_imap_host")
        self.imap_port = _port_spin("mail_imap_port")
        self.imap_security = _combo("mail_imap_security", IMAP_SECURITY)
        _follow_security(self.imap_security, self.imap_port, IMAP_SECURITY)
        self.imap_folder = QLineEdit()
        self.imap_folder.setObjectName("mail_imap_folder")
        # Optional: an inbox with its own login; empty fields log in with the SMTP login and password.
        self.imap_login = QLineEdit()
        self.imap_login.setObjectName("mail_imap_login")
        self.imap_login.setPlaceholderText(t("empty: as for SMTP"))
        self.imap_password = QLineEdit()  # never filled from the saved account
        self.imap_password.setObjectName("mail_imap_password")
        self.imap_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.imap_password_state = QLabel("")
        self.imap_password_state.setObjectName("mail_imap_password_state")
        self.imap_password_state.setStyleSheet("color: palette(mid)")
        imap = QFormLayout()
        imap.addRow(t("IMAP server"), self.imap_host)
        imap.addRow(t("Security"), self.imap_security)
        imap.addRow(t("Port"), self.imap_port)
        imap.addRow(t("Folder"), self.imap_folder)
        imap.addRow(t("Login"), self.imap_login)
        imap.addRow(t("Password"), self.imap_password)
        imap.addRow("", self.imap_password_state)
        imap_box = QGroupBox(t("Replies (IMAP, optional)"))
        imap_box.setLayout(imap)

        self.save_button = QPushButton(t("Save account"))
        self.save_button.setObjectName("mail_account_save")
        self.save_button.clicked.connect(lambda: self.save())
        self.test_to = QLineEdit()
        self.test_to.setObjectName("mail_test_to")
        self.test_to.setPlaceholderText(t("empty: the sender address"))
        self.test_button = QPushButton(t("Send a test e-mail"))
        self.test_button.setObjectName("mail_send_test")
        self.test_button.clicked.connect(self.send_test)
        self.inbox_button = QPushButton(t("Check the inbox"))
        self.inbox_button.setObjectName("mail_check_inbox")
        self.inbox_button.clicked.connect(self.check_inbox)
        self.result = QLabel("")
        self.result.setObjectName("mail_check_result")
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel(t("Test recipient")))
        buttons.addWidget(self.test_to)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.inbox_button)

        head = QFormLayout()
        head.addRow(t("Name"), self.name)
        head.addRow("", self.default)
        boxes = QHBoxLayout()
        boxes.addWidget(smtp_box, 3)
        boxes.addWidget(imap_box, 2)
        right = QVBoxLayout()
        right.addLayout(head)
        right.addLayout(boxes)
        right.addLayout(buttons)
        right.addWidget(self.result)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self.new_account()

    # -- loading ----------------------------------------------------------------------------------
    def load(self, select: str | None = None) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        keep = select or (self.current.name if self.current else None)
        self.ctx.runner.submit(
            lambda _c: list_mail_accounts(db.uow(), actor),
            on_result=lambda accounts: self._loaded(accounts, keep),
            on_error=self._failed,
        )

    def _loaded(self, accounts: list[MailAccountDTO], select: str | None) -> None:
        self.accounts = accounts
        self.list.blockSignals(True)
        self.list.clear()
        for a in accounts:
            self.list.addItem(QListWidgetItem(a.name + (f" ({t('default')})" if a.is_default else "")))
        self.list.blockSignals(False)
        names = [a.name for a in accounts]
        if select in names:
            self.list.setCurrentRow(names.index(select))
        elif accounts:
            self.list.setCurrentRow(0)
        else:
            self.new_account()

    def _selected(self, row: int) -> None:
        if 0 <= row < len(self.accounts):
            account = self.accounts[row]
            if account.name != self.name.text().strip():
                # Another account: the last check's result is not its own (the one just saved, even
                # new, keeps it: a failed first check reloads the list and must not wipe its error).
                self._show("", ok=True)
            self.show_account(account)

    def new_account(self) -> None:
        self.current = None
        self.list.clearSelection()
        self._fill({}, "", is_default=not self.accounts)
        self._show("", ok=True)

    def show_account(self, account: MailAccountDTO) -> None:
        self.current = account
        self._fill(account.config, account.name, is_default=account.is_default)

    def _fill(self, cfg: dict[str, Any], name: str, *, is_default: bool) -> None:
        self.name.setText(name)
        self.name.setReadOnly(bool(name))  # the name is the account's key (jobs name it)
        self.default.setChecked(is_default)
        self.smtp_host.setText(str(cfg.get("smtp_host") or ""))
        self.security.setCurrentIndex(max(0, self.security.findData(cfg.get("security") or "starttls")))
        self.smtp_port.setValue(int(cfg.get("smtp_port") or 587))
        self.login.setText(str(cfg.get("login") or ""))
        env = str(cfg.get("password_env") or "")
        self.password_source.setCurrentIndex(1 if env else 0)
        self.password.clear()
        self.password.setPlaceholderText(
            t("unchanged (leave empty to keep the saved password)") if cfg.get("password") else ""
        )
        self.password_env.setText(env)
        if env:
            self.password_state.setText(t("The password is read from {env}.", env=env))
        else:
            self.password_state.setText(
                t("The password is set.") if cfg.get("password") else t("No password is set.")
            )
        self.from_name.setText(str(cfg.get("from_name") or ""))
        self.from_address.setText(str(cfg.get("from_address") or ""))
        self.reply_to.setText(str(cfg.get("reply_to") or ""))
        self.documents_url.setText(str(cfg.get("documents_url") or ""))
        self.imap_host.setText(str(cfg.get("imap_host") or ""))
        self.imap_security.setCurrentIndex(
            max(0, self.imap_security.findData(cfg.get("imap_security") or "ssl"))
        )
        self.imap_port.setValue(int(cfg.get("imap_port") or 993))
        self.imap_folder.setText(str(cfg.get("imap_folder") or "INBOX"))
        self.imap_login.setText(str(cfg.get("imap_login") or ""))
        self.imap_password.clear()
        imap_env = str(cfg.get("imap_password_env") or "")
        if imap_env:
            self.imap_password.setPlaceholderText("")
            self.imap_password_state.setText(t("The password is read from {env}.", env=imap_env))
        elif cfg.get("imap_password"):
            self.imap_password.setPlaceholderText(t("unchanged (leave empty to keep the saved password)"))
            self.imap_password_state.setText(t("The password is set."))
        else:
            self.imap_password.setPlaceholderText(t("empty: as for SMTP"))
            self.imap_password_state.setText("")
        self.delete_button.setEnabled(bool(name))
        self._password_fields()

    def _password_fields(self) -> None:
        env = self.password_source.currentData() == "env"
        self.password.setEnabled(not env)
        self.password_env.setEnabled(env)

    # -- saving -----------------------------------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        """What the form sets; an emptied field goes back to its default (None), the password only
        when one was typed (or the environment variable chosen)."""

        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        imap_host = text(self.imap_host)
        changes: dict[str, Any] = {
            "smtp_host": text(self.smtp_host),
            "security": self.security.currentData(),
            "smtp_port": self.smtp_port.value(),
            "login": text(self.login),
            "from_name": text(self.from_name),
            "from_address": text(self.from_address),
            "reply_to": text(self.reply_to),
            "documents_url": text(self.documents_url),
            "imap_host": imap_host,
            "imap_security": self.imap_security.currentData() if imap_host else None,
            "imap_port": self.imap_port.value() if imap_host else None,
            "imap_folder": text(self.imap_folder) if imap_host else None,
            "imap_login": text(self.imap_login) if imap_host else None,
        }
        if imap_host and self.imap_password.text():
            changes["imap_password"] = self.imap_password.text()
            changes["imap_password_env"] = None
        if self.password_source.currentData() == "env":
            changes["password_env"] = text(self.password_env)
        elif self.password.text():
            changes["password"] = self.password.text()
            changes["password_env"] = None
        return changes

    def _save_work(self) -> tuple[str, dict[str, Any], bool]:
        return self.name.text().strip(), self.changes(), self.default.isChecked()

    def save(self, then: Any = None) -> None:
        """Save the form (on the runner); ``then(name)`` runs in the background right after."""
        name, changes, default = self._save_work()
        if not name:
            self._show(t("Give the account a name."), ok=False)
            return
        db, actor = self.ctx.db, self.ctx.actor

        def work(_c: Any) -> tuple[MailAccountDTO, Any]:
            saved = set_mail_account(db.uow(), actor, name, changes, default=default or None)
            return saved, then(name) if then is not None else None

        self._busy(True)
        self.ctx.runner.submit(work, on_result=self._saved, on_error=self._failed)

    def _saved(self, result: tuple[MailAccountDTO, Any]) -> None:
        saved, check = result
        self._busy(False)
        self.password.clear()
        self.imap_password.clear()
        self.current = saved  # the reload keeps it selected and keeps the result line
        self.load(select=saved.name)
        if isinstance(check, AccountCheck):
            self.last_check = check
            self._show(check.detail, ok=True)
        else:
            self._show(t("Account „{name}” saved.", name=saved.name), ok=True)

    def send_test(self) -> None:
        db, actor, to = self.ctx.db, self.ctx.actor, self.test_to.text().strip() or None

        def test(name: str) -> AccountCheck:
            check = send_test_mail(db.uow(), actor, to=to, account=name)
            return AccountCheck(
                check.account, True, t("The test e-mail was sent to {to}.", to=check.recipient)
            )

        self._show(t("Sending a test e-mail…"), ok=True)
        self.save(then=test)

    def check_inbox(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        folder = self.imap_folder.text().strip() or "INBOX"

        def check(name: str) -> AccountCheck:
            result = check_inbox(db.uow(), actor, account=name)
            text = t("The inbox works: folder {folder}, messages: {n}.", folder=folder, n=result.messages)
            return AccountCheck(result.account, True, text)

        self._show(t("Checking the inbox…"), ok=True)
        self.save(then=check)

    def delete_account(self) -> None:
        if self.current is None:
            return
        name = self.current.name
        if not self.ctx.dialogs.confirm(
            self, t("Delete account…"), t("Delete the mail account „{name}”?", name=name)
        ):
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: delete_mail_account(db.uow(), actor, name),
            on_result=lambda _r: (setattr(self, "current", None), self.load()),
            on_error=self._failed,
        )

    # -- feedback ---------------------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        for button in (self.save_button, self.test_button, self.inbox_button):
            button.setEnabled(not busy)

    def _failed(self, error: TaskError) -> None:
        self._busy(False)
        message, hint = phrase_mail_error(error.exception)
        self._show(message + (f"\n{hint}" if hint else ""), ok=False)
        if self.current is None and self.name.text().strip():
            self.load(select=self.name.text().strip())  # saved before the check failed

    def _show(self, text: str, *, ok: bool) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
