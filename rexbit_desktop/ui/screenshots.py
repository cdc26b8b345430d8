"""Render every main view on the configured database to PNG (offscreen), for the README and reviews.

    python -m rexbit_desktop.ui.screenshots OUTDIR [--database-url URL] [--language pl|en] [--size 1440x900]

Logs in as the first active admin user (else the built-in system account), opens the main window with a
synchronous task runner (each view has its data before it is grabbed) and writes:
``orders-list.png``, ``order-detail.png`` (the newest order), ``order-shipments.png`` (the shipments
section of a shipped order's detail), ``shipment-dialog.png`` ("Utwórz przesyłkę" for an order ready to
ship), ``order-settings.png``, ``mail-settings.png`` and ``mail-templates.png`` (Zamówienia → E-mail: the
account, a template previewed for a shipped order) and one PNG per other view of the main window (``products.png``, ``integrations.png``, ``queues.png``, ``schedules.png`` …).
The desk adds ``orders-multiselect.png`` (the list with several orders selected and the bulk actions),
``order-pick-check.png`` (an order in picking with one item scanned — the scan is not saved) and
``print-dialog.png`` (the print dialog for a WZ) and ``new-order.png`` (the new order form, filled, not
submitted). The Pulpit adds ``kpi-settings.png`` (its settings editor).
Nothing is written to the database.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m rexbit_desktop.ui.screenshots", description=__doc__.split("\n")[0]
    )
    p.add_argument("outdir", type=Path)
    p.add_argument(
        "--database-url", default=None, help="PostgreSQL URL; default: REXBIT_DATABASE_URL or embedded"
    )
    p.add_argument("--language", default="pl", choices=("pl", "en"))
    p.add_argument("--size", default="1440x900", help="window size WIDTHxHEIGHT")
    p.add_argument("--user", default=None, help="log in as this user (default: the first admin)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    width, _, height = args.size.partition("x")
    size = (int(width), int(height))

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.errors import RexbitError
    from rexbit_desktop.domain.roles import Actor, Role
    from rexbit_desktop.services.users import actor_for_login, list_users
    from rexbit_desktop.ui.context import AppContext
    from rexbit_desktop.ui.dialogs import RecordingDialogs
    from rexbit_desktop.ui.i18n import set_language
    from rexbit_desktop.ui.runner import SyncRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    set_language(args.language)
    from rexbit_desktop.ui.app import install_qt_translations

    translators = install_qt_translations(app, args.language)  # Qt's own dialogs (the print dialog)
    try:
        db = open_database(args.database_url)
    except RexbitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        if args.user:
            actor = actor_for_login(db.uow(), args.user)
        else:
            admins = [
                u
                for u in list_users(db.uow())
                if u.role == Role.ADMIN.value and u.active and u.login != "system"
            ]
            actor = (
                Actor(
                    login=admins[0].login,
                    role=Role.ADMIN,
                    user_id=admins[0].id,
                    display_name=admins[0].display_name,
                )
                if admins
                else actor_for_login(db.uow(), None)
            )
        # Settings in a throw-away place: screenshots never disturb (or depend on) a user's remembered state.
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        settings_dir = tempfile.mkdtemp(prefix="rexbit-screenshots-")
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
        dialogs = RecordingDialogs(answer=False)
        ctx = AppContext(
            db=db,
            actor=actor,
            runner=SyncRunner(),
            dialogs=dialogs,
            settings=QSettings("rexbit-screenshots", "rexbit-desktop"),
        )
        written = render_all(app, ctx, args.outdir, size)
    finally:
        db.dispose()
    for translator in translators:
        app.removeTranslator(translator)
    for path in written:
        print(path)
    for message, hint, details in dialogs.errors:
        print(f"warning: a view reported an error: {message} {hint}\n{details}", file=sys.stderr)
    return 0


def render_all(app, ctx, outdir: Path, size: tuple[int, int]) -> list[Path]:  # type: ignore[no-untyped-def]
    from rexbit_desktop.ui.main_window import MainWindow

    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def settle() -> None:
        for _ in range(5):
            app.processEvents()

    def save(widget, name: str) -> None:  # type: ignore[no-untyped-def]
        settle()
        path = outdir / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise OSError(f"cannot write {path}")
        written.append(path)

    window = MainWindow(ctx)
    window.resize(*size)
    window.show()
    settle()
    for key in window.views:
        view = window.show_view(key)
        settle()
        if key == "orders":
            from rexbit_desktop.ui.orders.view import OrdersView

            if isinstance(view, OrdersView):
                view.tabs.setCurrentWidget(view.list_panel)
                save(window, "orders-list")
                _desk_screenshots(view, window, size, save)
                rows = view.list_panel.model.rows
                # An order that went through the warehouse shows every section (WZ, reservations, history).
                rich = ("ready_for_shipment", "shipped", "completed", "picking", "awaiting_fulfillment")
                pick = next(
                    (r for status in rich for r in rows if r.status == status), rows[0] if rows else None
                )
                if pick is not None:
                    dialog = view.open_detail(pick.number)
                    dialog.resize(size[0] - 120, size[1] - 60)
                    save(dialog, "order-detail")
                    dialog.close()
                _save_shipments(view, rows, size, save)
                view.tabs.setCurrentWidget(view.settings_panel)
                save(window, "order-settings")
                _mail_settings(view, window, rows, save)
                view.tabs.setCurrentWidget(view.list_panel)
                continue
        save(window, key)
        if key == "dashboard" and hasattr(view, "open_settings") and view.settings_button.isVisibleTo(view):
            view.open_settings()  # the KPI settings editor (closed unsaved)
            if view.settings_dialog is not None:
                save(view.settings_dialog, "kpi-settings")
                view.settings_dialog.reject()
    window.close()
    return written


def _mail_settings(view, window, rows, save) -> None:  # type: ignore[no-untyped-def]
    """Zamówienia → E-mail: the mail account, and the "sent" template previewed for a shipped order."""
    panel = getattr(view, "mail_panel", None)
    if panel is None:  # not a manager or admin
        return
    view.tabs.setCurrentWidget(panel)
    panel.tabs.setCurrentWidget(panel.accounts)
    save(window, "mail-settings")
    page = panel.templates
    panel.tabs.setCurrentWidget(page)
    codes = [tpl.code for tpl in page.templates]
    if "order_shipped" in codes:
        page.list.setCurrentRow(codes.index("order_shipped"))
    shipped = next((r for r in rows if r.status in ("shipped", "completed")), rows[0] if rows else None)
    if shipped is not None:
        page.order.setText(shipped.number)
        page.show_preview()
    save(window, "mail-templates")


def _save_shipments(view, rows, size: tuple[int, int], save) -> None:  # type: ignore[no-untyped-def]
    """The shipments section of a shipped order, and the shipment dialog of an order ready to ship."""
    from rexbit_desktop.domain.errors import RexbitError
    from rexbit_desktop.services.shipping import shipment_defaults
    from rexbit_desktop.ui.orders.shipment_dialog import CreateShipmentDialog

    shipped = next((r for r in rows if r.status in ("shipped", "completed")), None)
    if shipped is not None:
        dialog = view.open_detail(shipped.number)
        dialog.resize(size[0] - 120, size[1] - 60)
        dialog.lower_tabs.setCurrentWidget(dialog.shipments_panel)
        save(dialog, "order-shipments")
        dialog.close()
    ready = next(
        (r for r in rows if r.status in ("ready_for_shipment", "picking", "awaiting_fulfillment")), None
    )
    if ready is not None:
        try:
            defaults = shipment_defaults(view.ctx.db.uow(), view.ctx.actor, ready.number)
        except RexbitError as exc:
            log.warning("no shipment dialog screenshot: %s", exc)
            return
        if defaults.carriers:
            dialog = CreateShipmentDialog(view.ctx, defaults, parent=view)
            dialog.show()
            dialog.adjustSize()
            save(dialog, "shipment-dialog")
            dialog.close()


def _desk_screenshots(view, window, size, save) -> None:  # type: ignore[no-untyped-def]
    """The list with a multi-selection, the pick/pack check and the print dialog."""
    from PySide6.QtCore import QItemSelectionModel

    panel = view.list_panel
    rows = panel.model.rows
    selection = panel.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for i in (0, 1, 2, 4, 5, 7)[: len(rows)]:
        selection.select(panel.model.index(i, 0), flags)
    save(window, "orders-multiselect")
    selection.clearSelection()

    picking = next((r for r in rows if r.status == "picking"), rows[0] if rows else None)
    if picking is not None:
        dialog = view.open_detail(picking.number)
        dialog.resize(size[0] - 120, size[1] - 60)
        dialog.lower_tabs.setCurrentWidget(dialog.pick_check)
        lines = dialog.pick_check.lines
        if lines:  # one item scanned (in the window only: nothing is saved)
            dialog.pick_check.scan_code(lines[0].ean or lines[0].sku)
        save(dialog, "order-pick-check")
        dialog.close()

    from rexbit_desktop.ui.orders.printing import Printing

    printing = Printing(view.ctx)
    printer = printing.printer_for("wz")  # kept referenced: the dialog does not own it
    print_dialog = printing.print_dialog(printer, window, "wz")
    print_dialog.show()
    save(print_dialog, "print-dialog")
    print_dialog.close()

    from rexbit_desktop.ui.orders.new_order import NewOrderDialog

    new = NewOrderDialog(view.ctx, window)  # filled on screen only: it is not submitted
    new.address["name"].setText("Jan Nowak")
    new.address["street"].setText("ul. Prosta 1")
    new.address["postcode"].setText("00-850")
    new.address["city"].setText("Warszawa")
    new.company_invoice.setChecked(True)
    new.billing["company"].setText("Nowak Budownictwo Sp. z o.o.")
    new.billing["vat_id"].setText("5260250274")
    new.delivery.setCurrentIndex(max(new.delivery.findText("InPost"), 0))
    for term in ("HX-0001", "HX-0042"):
        new.search.setText(term)
        if new.choices:
            new.add_product(new.choices[0])
    new.search.setText("wkręt")  # the search's hits on screen
    new.payment_amount.setText("100,00")
    new.show()
    save(new, "new-order")
    new.close()


if __name__ == "__main__":
    sys.exit(main())
