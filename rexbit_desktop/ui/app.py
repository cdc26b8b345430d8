"""``rexbit-desktop``: open the database (embedded by default), log in, show the main window."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, Qt, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox, QSplashScreen

from rexbit_desktop.db.session import Database, open_database
from rexbit_desktop.domain.errors import RexbitError, SchemaMismatch
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import set_language, t
from rexbit_desktop.ui.login import LoginDialog
from rexbit_desktop.ui.main_window import MainWindow
from rexbit_desktop.ui.runner import TaskRunner

log = logging.getLogger(__name__)


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="rexbit-desktop")
    p.add_argument(
        "--database-url", default=None, help="PostgreSQL URL; default: REXBIT_DATABASE_URL or embedded"
    )
    p.add_argument("--user", default=None, help="log in as this user without the dialog (kiosk/testing)")
    p.add_argument("--password", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def build_window(db: Database, actor: Actor, runner: TaskRunner | None = None) -> MainWindow:
    ctx = AppContext(db=db, actor=actor, runner=runner or TaskRunner())
    return MainWindow(ctx)


def install_qt_translations(app: QApplication, language: str) -> list[QTranslator]:
    """Qt's own texts (Yes/No, file dialogs, colour picker, print dialog) in the user's language, from the
    ``qtbase_*.qm`` catalogues PySide6 ships. Returns the installed translators (kept alive by the caller)."""
    installed: list[QTranslator] = []
    if language != "pl":
        return installed
    QLocale.setDefault(QLocale(QLocale.Language.Polish, QLocale.Country.Poland))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for catalogue in ("qtbase_pl", "qt_pl"):
        translator = QTranslator(app)
        if translator.load(catalogue, folder):
            app.installTranslator(translator)
            installed.append(translator)
            break  # qt_pl includes qtbase_pl; the first found is enough
    if not installed:
        log.warning("Qt's Polish translations were not found in %s", folder)
    return installed


def quit_on_termination(app: QApplication) -> list[int]:
    """SIGTERM (a logout, a service manager, ``kill``) and SIGINT close the app as the window's close
    does: running tasks and the local worker stop, the embedded server is stopped at exit. Python runs a
    signal handler only when it has control, which Qt's event loop rarely gives it: a timer does, five
    times a second. Returns the signals received (a signal before the event loop runs is seen there)."""
    received: list[int] = []

    def request_quit(signum: int, _frame: object) -> None:
        received.append(signum)
        log.info("signal %s: closing rexbit-desktop", signal.Signals(signum).name)
        app.closeAllWindows()  # each window keeps its layout, as when it is closed by hand
        app.exit(0)  # leaves every running event loop, the login dialog's included (quit() does not)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_quit)
    tick = QTimer(app)
    tick.timeout.connect(lambda: None)
    tick.start(200)
    return received


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("rexbit-desktop")
    app.setOrganizationName("rexbit")
    terminated = quit_on_termination(app)
    settings = QSettings("rexbit", "rexbit-desktop")
    set_language(str(settings.value("language", "pl")))
    install_qt_translations(app, str(settings.value("language", "pl")))

    splash = QSplashScreen()
    splash.showMessage(t("Connecting to the database…"), Qt.AlignmentFlag.AlignCenter)
    splash.show()
    app.processEvents()
    try:
        db = open_database(args.database_url)
    except RexbitError as exc:
        splash.close()
        log.error("cannot open the database: %s", exc.message)
        message, hint = t(exc.message), t(exc.hint or "")
        if isinstance(exc, SchemaMismatch):  # the revisions are in the text: translate the template
            newer = "newer than this rexbit" in exc.message
            message = t(
                "The database schema is at {current}, newer than this program knows (it needs {needed})."
                if newer
                else "The database schema is at {current}, this program needs {needed}.",
                current=exc.current or "?",
                needed=exc.needed,
            )
            hint = t(
                "Install the newer rexbit version the other workstations use. Nothing was changed."
                if newer
                else "Ask the administrator to upgrade the database (the command: rexbit db upgrade). "
                "Nothing was changed."
            )
        QMessageBox.critical(None, t("Cannot open the database"), f"{message}\n\n{hint}")
        return exc.exit_code
    splash.close()
    if terminated:
        db.dispose()
        return 0

    from rexbit_desktop.services.users import authenticate

    def login(login: str, password: str) -> Actor:
        return authenticate(db.uow(), login, password)

    if args.user:
        try:
            actor = login(args.user, args.password)
        except RexbitError as exc:
            QMessageBox.critical(None, t("Log in"), t(exc.message))
            return exc.exit_code
    else:
        dialog = LoginDialog(login, last_login=str(settings.value("last_login", "")))
        log.info("rexbit-desktop: the login dialog is open on %s", db.display)
        if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.actor is None:
            return 0
        actor = dialog.actor
        settings.setValue("last_login", actor.login)

    from rexbit_desktop.ui.preferences import start_local_worker_if_enabled, stop_local_worker

    window = build_window(db, actor)
    window.authenticate = login  # File → Log out / switch user asks the next user here
    window.show()
    start_local_worker_if_enabled(window.ctx)  # single-workstation mode: queued jobs run here
    log.info("rexbit-desktop: %s logged in on %s", actor.login, db.display)
    code = 0 if terminated else app.exec()
    window.ctx.runner.wait(5000)
    stop_local_worker(window.ctx)
    db.dispose()
    return code
