"""The login dialog shown at start."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.messages import phrase_error


class LoginDialog(QDialog):
    """Asks for login and password; ``authenticate(login, password) -> Actor`` decides."""

    def __init__(
        self,
        authenticate: Callable[[str, str], Actor],
        last_login: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Log in") + " — " + t("rexbit desktop"))
        self._authenticate = authenticate
        self.actor: Actor | None = None
        self.login_edit = QLineEdit(last_login)
        self.login_edit.setObjectName("login")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow(t("Login"), self.login_edit)
        form.addRow(t("Password"), self.password_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("Log in"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self._try_login)
        buttons.rejected.connect(self.reject)
        heading = QLabel(t("rexbit desktop"))
        heading.setStyleSheet("font-size: 18pt; font-weight: 600; margin-bottom: 8px")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)
        (self.password_edit if last_login else self.login_edit).setFocus()

    def _try_login(self) -> None:
        try:
            self.actor = self._authenticate(self.login_edit.text(), self.password_edit.text())
        except RexbitError as exc:
            message, hint = phrase_error(exc)
            self.error_label.setText(f"{message}\n{hint}" if hint else message)
            self.password_edit.selectAll()
            self.password_edit.setFocus()
            return
        self.accept()
