"""Mail templates (settings, manager/admin): subject, plain-text and HTML body per language, the
attachments, the variables a template may use beside the editor (double-click inserts one), and a
preview rendered for a chosen order from the text as it is being edited.

Saving goes through ``save_template``, which renders the template against a complete sample order
first: an unknown variable or a syntax error is refused with its field and line, and the cursor is put
on that line.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.services.messages.template_admin import (
    TemplateDTO,
    list_templates,
    preview_source,
    save_template,
    template_variables,
)
from rexbit_desktop.services.messages.templates import ATTACHMENT_KINDS, RenderedMail, TemplateSource
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import t
from rexbit_desktop.ui.mail.accounts_page import ERROR_STYLE, OK_STYLE
from rexbit_desktop.ui.mail.strings import phrase_mail_error
from rexbit_desktop.ui.runner import TaskError

ATTACHMENT_LABELS = {
    "confirmation": "Order confirmation",
    "packing": "Packing list",
    "reservation": "Reservation",
    "wz": "WZ",
}


def insertion(variable: str) -> str:
    """What a double-click inserts for a listed variable: its first form (``customer.name / .company``
    → ``{{ customer.name }}``); the items as a loop."""
    if variable == "items":
        return "{% for item in items %}{{ item.name }} × {{ item.quantity }} {{ item.unit }}\n{% endfor %}"
    first = variable.split(" / ")[0].split(",")[0].strip().replace(".*", ".name")
    return f"{{{{ {first} }}}}"


class MailTemplatesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.templates: list[TemplateDTO] = []
        self.current: TemplateDTO | None = None
        self.preview: RenderedMail | None = None

        self.list = QListWidget()
        self.list.setObjectName("mail_templates")
        self.list.setMinimumWidth(200)
        self.list.setMaximumWidth(320)
        self.list.currentRowChanged.connect(self._selected)
        self.language_button = QPushButton(t("New language version…"))
        self.language_button.setObjectName("mail_template_language")
        self.language_button.clicked.connect(self.new_language)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.language_button)

        self.code = QLabel("")
        self.code.setObjectName("mail_template_code")
        self.language = QLabel("")
        self.language.setObjectName("mail_template_language_code")
        self.name = QLineEdit()
        self.name.setObjectName("mail_template_name")
        self.subject = QLineEdit()
        self.subject.setObjectName("mail_template_subject")
        self.body_text = QPlainTextEdit()
        self.body_text.setObjectName("mail_template_body_text")
        self.body_html = QPlainTextEdit()
        self.body_html.setObjectName("mail_template_body_html")
        self.attachments: dict[str, QCheckBox] = {}
        attach_row = QGridLayout()
        for n, kind in enumerate(ATTACHMENT_KINDS):
            box = QCheckBox(t(ATTACHMENT_LABELS.get(kind, kind)))
            box.setObjectName(f"mail_template_attach_{kind}")
            self.attachments[kind] = box
            attach_row.addWidget(box, n // 2, n % 2)
        self.editor_tabs = QTabWidget()
        self.editor_tabs.addTab(self.body_text, t("Plain-text body"))
        self.editor_tabs.addTab(self.body_html, t("HTML body (optional)"))
        self.last_editor: QLineEdit | QPlainTextEdit = self.body_text
        # Where a variable goes: the editor the user last moved the cursor in (signals, not an event
        # filter: a filter on children is called while the page is being destroyed).
        self.subject.cursorPositionChanged.connect(lambda *_a: setattr(self, "last_editor", self.subject))
        self.subject.selectionChanged.connect(lambda: setattr(self, "last_editor", self.subject))
        for plain in (self.body_text, self.body_html):
            plain.cursorPositionChanged.connect(lambda e=plain: setattr(self, "last_editor", e))
        form = QFormLayout()
        form.addRow(t("Code"), self.code)
        form.addRow(t("Language"), self.language)
        form.addRow(t("Name"), self.name)
        form.addRow(t("Subject"), self.subject)
        form.addRow(t("Attachments"), attach_row)

        self.save_button = QPushButton(t("Save template"))
        self.save_button.setObjectName("mail_template_save")
        self.save_button.clicked.connect(self.save)
        self.order = QLineEdit()
        self.order.setObjectName("mail_preview_order")
        self.order.setPlaceholderText(t("Order number"))
        self.order.setToolTip(t("Preview for order"))
        self.preview_button = QPushButton(t("Preview"))
        self.preview_button.setObjectName("mail_template_preview")
        self.preview_button.clicked.connect(self.show_preview)
        self.status = QLabel("")
        self.status.setObjectName("mail_template_status")
        self.status.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.save_button)
        actions.addStretch(1)
        actions.addWidget(self.order)
        actions.addWidget(self.preview_button)
        self.preview_text = QPlainTextEdit()
        self.preview_text.setObjectName("mail_template_preview_text")
        self.preview_text.setReadOnly(True)
        editor = QWidget()
        center = QVBoxLayout(editor)
        center.setContentsMargins(0, 0, 0, 0)
        center.addLayout(form)
        center.addWidget(self.editor_tabs, 3)
        center.addLayout(actions)
        center.addWidget(self.status)
        center.addWidget(QLabel(t("Preview")))
        center.addWidget(self.preview_text, 2)

        self.variables = QListWidget()
        self.variables.setObjectName("mail_template_variables")
        for name, description in template_variables():
            item = QListWidgetItem(f"{name} – {description}")
            item.setData(256, insertion(name))  # Qt.UserRole
            self.variables.addItem(item)
        self.variables.setMinimumWidth(180)
        self.variables.setWordWrap(True)  # long lists of fields: wrapped, not cut off
        self.variables.itemDoubleClicked.connect(lambda item: self.insert_variable(str(item.data(256))))
        side = QWidget()
        right = QVBoxLayout(side)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(QLabel(t("Variables")))
        hint = QLabel(t("Double-click a variable to insert it."))
        hint.setStyleSheet("color: palette(mid)")
        right.addWidget(hint)
        right.addWidget(self.variables, 1)

        split = QSplitter()
        split.addWidget(editor)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([620, 420])
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addWidget(split, 1)

    # -- loading ----------------------------------------------------------------------------------
    def load(self, select: tuple[str, str] | None = None) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        keep = select or ((self.current.code, self.current.language) if self.current else None)
        self.ctx.runner.submit(
            lambda _c: list_templates(db.uow(), actor),
            on_result=lambda rows: self._loaded(rows, keep),
            on_error=self._failed,
        )

    def _loaded(self, templates: list[TemplateDTO], select: tuple[str, str] | None) -> None:
        self.templates = templates
        self.list.blockSignals(True)
        self.list.clear()
        for tpl in templates:
            self.list.addItem(f"{tpl.name} · {tpl.language}")
        self.list.blockSignals(False)
        keys = [(tpl.code, tpl.language) for tpl in templates]
        if select in keys:
            self.list.setCurrentRow(keys.index(select))
        elif templates:
            self.list.setCurrentRow(0)

    def _selected(self, row: int) -> None:
        if 0 <= row < len(self.templates):
            tpl = self.templates[row]
            if self.current is None or (self.current.code, self.current.language) != (tpl.code, tpl.language):
                self._show("", ok=True)  # another template: the last message is not about it
            self.show_template(tpl)

    def show_template(self, tpl: TemplateDTO) -> None:
        self.current = tpl
        self.code.setText(tpl.code)
        self.language.setText(tpl.language)
        self.name.setText(tpl.name)
        self.subject.setText(tpl.subject)
        self.body_text.setPlainText(tpl.body_text)
        self.body_html.setPlainText(tpl.body_html or "")
        for kind, box in self.attachments.items():
            box.setChecked(kind in tpl.attachments)
        self.last_editor = self.body_text  # filling the fields moved their cursors

    def source(self) -> TemplateSource:
        assert self.current is not None
        return TemplateSource(
            code=self.code.text(),
            language=self.language.text(),
            name=self.name.text().strip(),
            subject=self.subject.text(),
            body_text=self.body_text.toPlainText(),
            body_html=self.body_html.toPlainText() or None,
            attachments=[kind for kind, box in self.attachments.items() if box.isChecked()],
        )

    # -- editing ----------------------------------------------------------------------------------
    def insert_variable(self, text: str) -> None:
        editor = self.last_editor
        if isinstance(editor, QLineEdit):
            editor.insert(text)
        else:
            editor.insertPlainText(text)
        editor.setFocus()

    def new_language(self) -> None:
        """A copy of the current template under another language, to translate and save."""
        if self.current is None:
            return
        code, ok = QInputDialog.getText(
            self, t("New language version…"), t("Language code (two letters, e.g. en, de):")
        )
        code = code.strip().lower()
        if ok and code:
            self.start_language(code)

    def start_language(self, language: str) -> None:
        if self.current is None:
            return
        self.current = TemplateDTO(
            self.current.code, language, self.name.text(), self.subject.text(), self.body_text.toPlainText(),
            self.body_html.toPlainText() or None, [k for k, b in self.attachments.items() if b.isChecked()],
        )  # fmt: skip
        self.language.setText(language)

    def save(self) -> None:
        if self.current is None:
            return
        source = self.source()
        db, actor = self.ctx.db, self.ctx.actor
        self.save_button.setEnabled(False)
        self.ctx.runner.submit(
            lambda _c: save_template(db.uow(), actor, source),
            on_result=self._saved,
            on_error=self._failed,
        )

    def _saved(self, source: TemplateSource) -> None:
        self.save_button.setEnabled(True)
        self._show(
            t("Template „{name}” ({language}) saved.", name=source.name, language=source.language), ok=True
        )
        self.load(select=(source.code, source.language))

    def show_preview(self) -> None:
        number = self.order.text().strip()
        if self.current is None or not number:
            return
        source = self.source()
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.runner.submit(
            lambda _c: preview_source(db.uow(), actor, number, source),
            on_result=self._previewed,
            on_error=self._failed,
        )

    def _previewed(self, mail: RenderedMail) -> None:
        self.preview = mail
        self.preview_text.setPlainText(f"{t('Subject')}: {mail.subject}\n\n{mail.body_text}")
        self._show("", ok=True)

    # -- feedback ---------------------------------------------------------------------------------
    def _failed(self, error: TaskError) -> None:
        self.save_button.setEnabled(True)
        exc = error.exception
        message, hint = phrase_mail_error(exc)
        self._show(message + (f"\n{hint}" if hint else ""), ok=False)
        if isinstance(exc, RexbitError) and exc.code == "mail_template_refused":
            self.go_to(str(exc.params.get("field")), exc.params.get("line"))

    def go_to(self, field: str, line: Any) -> None:
        """Put the cursor on the refused line of the refused field."""
        editor = {"body_text": self.body_text, "body_html": self.body_html}.get(field)
        if editor is None:
            self.subject.setFocus()
            return
        self.editor_tabs.setCurrentWidget(editor)
        if isinstance(line, int) and line > 0:
            block = editor.document().findBlockByLineNumber(line - 1)
            cursor = QTextCursor(block)
            cursor.select(QTextCursor.SelectionType.LineUnderCursor)
            editor.setTextCursor(cursor)
        editor.setFocus()

    def _show(self, text: str, *, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
