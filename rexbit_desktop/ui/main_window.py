"""The main window: navigation as in the old panel (Zamówienia, Produkty, Integracje, Kolejki,
Harmonogram), a stack of views, and a status bar with the database, the user and running tasks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.login import LoginDialog
from rexbit_desktop.ui.preferences import PreferencesDialog
from rexbit_desktop.ui.view import PlaceholderView, View

register({"Log out / switch user…": "Wyloguj / zmień użytkownika…"})

ViewFactory = Callable[[AppContext], View]


def default_views() -> list[tuple[str, str, ViewFactory]]:
    """(key, English title, factory) of every main view, in navigation order.

    Each area's view module is imported lazily, so a view under construction never breaks the window.
    """

    def lazy(module: str, cls: str, title: str) -> ViewFactory:
        def make(ctx: AppContext) -> View:
            try:
                mod = __import__(module, fromlist=[cls])
            except ImportError:
                return PlaceholderView(ctx, title)
            factory = getattr(mod, cls, None)
            return factory(ctx) if factory else PlaceholderView(ctx, title)

        return make

    return [
        ("dashboard", "Dashboard", lazy("rexbit_desktop.ui.kpi.view", "DashboardView", "Dashboard")),
        ("orders", "Orders", lazy("rexbit_desktop.ui.orders.view", "OrdersView", "Orders")),
        ("products", "Products", lazy("rexbit_desktop.ui.products.view", "ProductsView", "Products")),
        (
            "integrations",
            "Integrations",
            lazy("rexbit_desktop.ui.integrations.view", "IntegrationsView", "Integrations"),
        ),
        ("queues", "Queues", lazy("rexbit_desktop.ui.queue.view", "QueuesView", "Queues")),
        ("schedules", "Schedule", lazy("rexbit_desktop.ui.schedules.view", "SchedulesView", "Schedule")),
    ]


class MainWindow(QMainWindow):
    def __init__(
        self,
        ctx: AppContext,
        views: list[tuple[str, str, ViewFactory]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(t("rexbit desktop"))
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(190)
        # Big, well-spaced entries: the navigation is used all day, often with a touchpad.
        self.nav.setStyleSheet(
            "QListWidget#navigation { font-size: 11pt; }QListWidget#navigation::item { padding: 9px 12px; }"
        )
        self.stack = QStackedWidget()
        self.views: dict[str, View] = {}
        self._keys: list[str] = []
        self._view_specs = views or default_views()
        self._build_views()
        self.nav.currentRowChanged.connect(self._navigate)
        self.authenticate: Callable[[str, str], Actor] | None = None
        """Set by the app: checks a login and password (``services.users.authenticate``)."""
        self.ask_login: Callable[[str], Actor | None] = self._ask_login
        self._logged_out = False
        """Asks who logs in next (the login dialog; tests answer it themselves). None: nobody."""

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._build_actions()
        self._restore_geometry()
        self.nav.setCurrentRow(0)

    def _build_views(self) -> None:
        """The views of the logged-in user (their permissions, their remembered filters and columns)."""
        for key, title, factory in self._view_specs:
            view = factory(self.ctx)
            view.setObjectName(f"view_{key}")
            self.views[key] = view
            self._keys.append(key)
            self.stack.addWidget(view)
            item = QListWidgetItem(t(title))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)

    def _restore_geometry(self) -> None:
        geometry = self.ctx.setting("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1280, 800)

    def _user_text(self) -> str:
        actor = self.ctx.actor
        return f"{t('User')}: {actor.display_name or actor.login} ({t(actor.role.value)})"

    # -- a shared workstation: log out / switch user without quitting ------------------------------
    def _ask_login(self, last_login: str) -> Actor | None:
        if self.authenticate is None:
            return None
        dialog = LoginDialog(self.authenticate, last_login=last_login, parent=self)
        return dialog.actor if dialog.exec() == LoginDialog.DialogCode.Accepted else None

    def switch_user(self) -> bool:
        """Log the current user out (their window layout, filters and columns are saved under their
        name) and ask who logs in; the views are built again for that user, with their own remembered
        filters. Nobody logging in closes the window. Returns whether someone logged in."""
        self.ctx.runner.wait(5000)  # what the last user started finishes under their name
        self.save_state()
        previous = self.ctx.actor.login
        self.hide()
        actor = self.ask_login(previous)
        if actor is None:
            self._logged_out = True
            self.close()
            return False
        self.ctx.actor = actor
        self.ctx.user_settings().setValue("last_login", actor.login)
        for view in self.views.values():
            self.stack.removeWidget(view)
            view.deleteLater()
        self.views, self._keys = {}, []
        self.nav.blockSignals(True)
        self.nav.clear()
        self._build_views()
        self.nav.blockSignals(False)
        self.user_label.setText(self._user_text())
        self._restore_geometry()
        self.nav.setCurrentRow(0)
        self._navigate(0)
        self.show()
        return True

    def save_state(self) -> None:
        """The window's geometry and every view's state, under the logged-in user's name."""
        self.ctx.set_setting("window/geometry", self.saveGeometry())
        for view in self.views.values():
            view.save_state()

    # -- status bar -------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        if self.ctx.db.embedded:
            where = t("embedded PostgreSQL on this computer")
        else:
            db = self.ctx.db
            socket_dir = db.socket_dir
            if socket_dir is None:
                where = f"{t('server')} {db.address}"
            else:  # a Unix socket: a server on this computer, not "localhost:5432"
                where = t(
                    "server on this computer (socket {dir}), database {name}",
                    dir=socket_dir or t("default"),
                    name=db.engine.url.database or "",
                )
        self.db_label = QLabel(f"{t('Database')}: {where}")
        self.db_label.setObjectName("status_database")
        self.user_label = QLabel(self._user_text())
        self.user_label.setObjectName("status_user")
        self.tasks_label = QLabel(t("Background tasks: {n}", n=0))
        self.tasks_label.setObjectName("status_tasks")
        bar.addWidget(self.db_label)
        bar.addWidget(self.user_label)
        bar.addPermanentWidget(self.tasks_label)
        self.ctx.runner.running_changed.connect(
            lambda n: self.tasks_label.setText(t("Background tasks: {n}", n=n))
        )

    # -- keyboard ---------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        refresh = QAction(t("Refresh"), self)
        refresh.setShortcut(QKeySequence(Qt.Key.Key_F5))
        refresh.triggered.connect(lambda: self.current_view().refresh())
        search = QAction(t("Search"), self)
        search.setShortcut(QKeySequence.StandardKey.Find)
        search.triggered.connect(lambda: self.current_view().focus_search())
        quit_ = QAction(t("Quit"), self)
        quit_.setShortcut(QKeySequence.StandardKey.Quit)
        quit_.triggered.connect(self.close)
        preferences = QAction(t("Preferences…"), self)
        preferences.setObjectName("preferences")
        preferences.triggered.connect(self.open_preferences)
        self.switch_user_action = QAction(t("Log out / switch user…"), self)
        self.switch_user_action.setObjectName("switch_user")
        self.switch_user_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.switch_user_action.triggered.connect(self.switch_user)
        menu = self.menuBar().addMenu(t("File"))
        menu.addAction(preferences)
        menu.addAction(self.switch_user_action)
        menu.addAction(quit_)
        view_menu = self.menuBar().addMenu(t("View"))
        view_menu.addAction(refresh)
        view_menu.addAction(search)
        for i in range(len(self._keys)):
            act = QAction(self.nav.item(i).text(), self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, row=i: self.nav.setCurrentRow(row))
            view_menu.addAction(act)
            self.addAction(act)
        self.addAction(refresh)
        self.addAction(search)

    def open_preferences(self) -> None:
        PreferencesDialog(self.ctx, self).exec()

    def current_view(self) -> View:
        widget = self.stack.currentWidget()
        assert isinstance(widget, View)
        return widget

    def show_view(self, key: str) -> View:
        self.nav.setCurrentRow(self._keys.index(key))
        return self.views[key]

    def _navigate(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.current_view().activated()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._logged_out:  # a logout saved the state already
            self.save_state()
        super().closeEvent(event)
