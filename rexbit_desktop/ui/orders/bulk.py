"""Bulk work on the orders list's selection: change the status, reserve, print the WZ / packing lists /
confirmations of every selected order as one PDF (or straight to the printer), export the selection.

Each order is changed in its own transaction (``services.orders.batch``): what the services refuse is
listed order by order in the user's words, the rest is done. Long runs show a progress dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.orders import OrderStatus, permission_for
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.orders.batch import (
    BatchPdf,
    BulkResult,
    Refusal,
    bulk_reserve,
    bulk_transition,
    render_orders_pdf,
)
from rexbit_desktop.ui.i18n import register, t, tn
from rexbit_desktop.ui.messages import phrase_error
from rexbit_desktop.ui.orders.printing import DOCUMENT_NAMES, Printing, pdf_path
from rexbit_desktop.ui.runner import TaskContext, TaskError
from rexbit_desktop.ui.widgets.progress import run_with_progress

if TYPE_CHECKING:
    from rexbit_desktop.ui.orders.list_panel import OrderListPanel

register(
    {
        "Selected: {n}": "Zaznaczono: {n}",
        "Selected: all {n} in the filter": "Zaznaczono: wszystkie {n} z filtra",
        "Select all in the filter": "Zaznacz wszystkie z filtra",
        "Set status of the selected…": "Zmień status zaznaczonych…",
        "Set status": "Ustaw status",
        "Reserve selected": "Rezerwuj zaznaczone",
        "Print selected": "Drukuj zaznaczone",
        "Export selected…": "Eksportuj zaznaczone…",
        "Changing the status…": "Zmiana statusu…",
        "Reserving…": "Rezerwowanie…",
        "Preparing the documents…": "Przygotowywanie dokumentów…",
        "Bulk status change": "Zbiorcza zmiana statusu",
        "Bulk reservation": "Zbiorcza rezerwacja",
        "Done: {done}. Refused: {refused}.": "Wykonano: {done}. Odmówiono: {refused}.",
        "Done: {done}.": "Wykonano: {done}.",
        "{number}: {reason}": "{number}: {reason}",
        "Printing": "Drukowanie",
        "{document}: {documents} in one PDF ({pages} pages), saved at {path}.": (
            "{document}: {documents} w jednym pliku PDF (stron: {pages}), zapisano w {path}."
        ),
        "Skipped (no such document): {orders}.": "Pominięto (brak dokumentu): {orders}.",
        "None of the selected orders has this document.": "Żadne z zaznaczonych zamówień nie ma tego dokumentu.",
        "Save as PDF and open": "Zapisz PDF i otwórz",
        "Print…": "Drukuj…",
        "Print preview…": "Podgląd wydruku…",
        "Print without asking": "Drukuj bez pytania",
        "Select orders first.": "Najpierw zaznacz zamówienia.",
        "Mark orders packed one by one after the pick check; only a manager may do it in bulk.": (
            "Oznaczaj zamówienia jako spakowane pojedynczo, po kontroli kompletacji; zbiorczo może to zrobić "
            "tylko kierownik."
        ),
        "Mark {orders} as packed without the pick check?": "Oznaczyć {orders} jako spakowane bez kontroli skanerem?",
        "Packed in bulk by {who}, without the pick check.": "Spakowane zbiorczo przez {who}, bez kontroli skanerem.",
        "Some selected orders are reserved only in part ({orders}). Start picking anyway?": (
            "Część zaznaczonych zamówień jest zarezerwowana tylko częściowo ({orders}). "
            "Rozpocząć kompletowanie mimo to?"
        ),
        "Shipping needs a carrier and a tracking number: ship each order from its detail (Ship…).": (
            "Wysyłka wymaga przewoźnika i numeru przesyłki: wyślij każde zamówienie z jego okna (Wyślij…)."
        ),
    }
)

PRINT_KINDS = ("wz", "packing", "confirmation")


def refusal_text(r: Refusal) -> str:
    reason, _hint = phrase_error(RexbitError(r.message, code=r.code, params=r.params))
    return t("{number}: {reason}", number=r.number, reason=reason.replace("\n", "; "))


def result_text(result: BulkResult) -> str:
    done = tn("{n} order", len(result.done))
    if not result.refused:
        return t("Done: {done}.", done=done)
    lines = [t("Done: {done}. Refused: {refused}.", done=done, refused=tn("{n} order", len(result.refused)))]
    lines += [refusal_text(r) for r in result.refused[:30]]
    if len(result.refused) > 30:
        lines.append("…")
    return "\n".join(lines)


class BulkBar(QWidget):
    """The actions on the selection, under the orders table."""

    def __init__(self, panel: OrderListPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.ctx = panel.ctx
        self.printing = Printing(self.ctx)
        self.last_result: BulkResult | None = None
        self.last_pdf: BatchPdf | None = None
        self.open_file: Callable[[Path], bool | None] | None = None

        self.selection_label = QLabel("")
        self.selection_label.setObjectName("bulk_selection")
        self.select_all_button = QPushButton(t("Select all in the filter"))
        self.select_all_button.setObjectName("bulk_select_all")
        self.select_all_button.clicked.connect(panel.select_all_in_filter)
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("bulk_status")
        self.status_combo.setToolTip(t("Set status of the selected…"))
        self.status_button = QPushButton(t("Set status"))
        self.status_button.setObjectName("bulk_set_status")
        self.status_button.clicked.connect(
            lambda: self.set_status(str(self.status_combo.currentData() or ""))
        )
        self.reserve_button = QPushButton(t("Reserve selected"))
        self.reserve_button.setObjectName("bulk_reserve")
        self.reserve_button.clicked.connect(self.reserve)
        self.print_button = QToolButton()
        self.print_button.setObjectName("bulk_print")
        self.print_button.setText(t("Print selected"))
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.print_button)
        for kind in PRINT_KINDS:
            sub = menu.addMenu(t(DOCUMENT_NAMES[kind]))
            sub.addAction(t("Print…"), lambda k=kind: self.print_selected(k, to_printer=True))
            sub.addAction(t("Print preview…"), lambda k=kind: self.print_selected(k, preview=True))
            sub.addAction(t("Save as PDF and open"), lambda k=kind: self.print_selected(k))
            no_ask = sub.addAction(t("Print without asking"))
            no_ask.setCheckable(True)
            no_ask.setChecked(self.printing.without_asking(kind))
            no_ask.toggled.connect(lambda on, k=kind: self.printing.set_without_asking(k, on))
        self.print_button.setMenu(menu)
        self.export_button = QPushButton(t("Export selected…"))
        self.export_button.setObjectName("bulk_export")
        self.export_button.clicked.connect(panel.ask_export_selected)

        may_edit = self.ctx.can(Permission.ORDERS_EDIT)
        for w in (self.status_combo, self.status_button, self.reserve_button):
            w.setEnabled(may_edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.selection_label)
        layout.addWidget(self.select_all_button)
        layout.addStretch(1)
        layout.addWidget(self.status_combo)
        layout.addWidget(self.status_button)
        layout.addWidget(self.reserve_button)
        layout.addWidget(self.print_button)
        layout.addWidget(self.export_button)

    def set_statuses(self, statuses: Sequence[tuple[str, str]]) -> None:
        """(label, code) of every status the user may choose in bulk (not cancelling, not shipping)."""
        self.status_combo.clear()
        for label, code in statuses:
            if code in (OrderStatus.CANCELLED.value, OrderStatus.SHIPPED.value):
                continue  # cancelling has its confirmation, shipping needs a tracking number per order
            if self.ctx.can(permission_for(OrderStatus(code))):
                self.status_combo.addItem(label, code)

    def update_selection(self, n: int, all_in_filter: bool) -> None:
        self.selection_label.setText(
            t("Selected: all {n} in the filter", n=n) if all_in_filter else t("Selected: {n}", n=n)
        )

    # -- actions ----------------------------------------------------------------------------------
    def _numbers(self) -> list[str] | None:
        numbers = self.panel.selected_numbers()
        if not numbers:
            self.ctx.dialogs.info(self, t("Orders"), t("Select orders first."))
            return None
        return numbers

    def _bulk_done(self, title: str, result: BulkResult) -> None:
        self.last_result = result
        self.panel.reload_keeping_selection()
        if result.refused:
            self.ctx.dialogs.info(self, title, result_text(result))
        else:
            self.panel.show_message(result_text(result))

    def set_status(self, code: str) -> None:
        numbers = self._numbers()
        if not numbers or not code:
            return
        if code == OrderStatus.PICKING.value:
            partial = [r.number for r in self.panel.selected_rows() if r.missing_qty > 0]
            if partial and not self.ctx.dialogs.confirm(
                self,
                t("Picking"),
                t(
                    "Some selected orders are reserved only in part ({orders}). Start picking anyway?",
                    orders=", ".join(partial[:10]) + ("…" if len(partial) > 10 else ""),
                ),
            ):
                return
        comment = None
        if code == OrderStatus.READY_FOR_SHIPMENT.value:
            # Packed without each order's pick check: a manager's decision, written into the history.
            if not self.ctx.can(Permission.ORDERS_CANCEL):
                self.ctx.dialogs.info(
                    self,
                    t("Pick check"),
                    t(
                        "Mark orders packed one by one after the pick check; only a manager may do it in bulk."
                    ),
                )
                return
            if not self.ctx.dialogs.confirm(
                self,
                t("Bulk status change"),
                t("Mark {orders} as packed without the pick check?", orders=tn("{n} order", len(numbers))),
            ):
                return
            who = self.ctx.actor.display_name or self.ctx.actor.login
            comment = t("Packed in bulk by {who}, without the pick check.", who=who)
        db, actor = self.ctx.db, self.ctx.actor

        def work(c: TaskContext) -> BulkResult:
            return bulk_transition(
                db.uow, actor, numbers, code, comment=comment, progress=c.progress, cancelled=c.cancelled
            )

        run_with_progress(
            self,
            self.ctx.runner,
            t("Bulk status change"),
            work,
            on_result=lambda r: self._bulk_done(t("Bulk status change"), r),
            on_error=self._error,
            label=t("Changing the status…"),
        )

    def reserve(self) -> None:
        numbers = self._numbers()
        if not numbers:
            return
        db, actor = self.ctx.db, self.ctx.actor

        def work(c: TaskContext) -> BulkResult:
            return bulk_reserve(db.uow, actor, numbers, progress=c.progress, cancelled=c.cancelled)

        run_with_progress(
            self,
            self.ctx.runner,
            t("Bulk reservation"),
            work,
            on_result=lambda r: self._bulk_done(t("Bulk reservation"), r),
            on_error=self._error,
            label=t("Reserving…"),
        )

    def print_selected(self, kind: str, *, to_printer: bool = False, preview: bool = False) -> None:
        """The ``kind`` documents of every selected order in one PDF under the user's documents folder;
        then printed (print dialog, or the remembered printer), previewed, or opened."""
        numbers = self._numbers()
        if not numbers:
            return
        db, actor = self.ctx.db, self.ctx.actor
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = pdf_path(self.ctx, f"{kind}-{len(numbers)}-{stamp}")

        def work(c: TaskContext) -> BatchPdf:
            return render_orders_pdf(
                db.uow(), actor, numbers, kind=kind, out=out, progress=c.progress, cancelled=c.cancelled
            )

        def done(result: BatchPdf) -> None:
            self.last_pdf = result
            skipped = ", ".join(r.number for r in result.skipped[:20]) + (
                "…" if len(result.skipped) > 20 else ""
            )
            if result.path is None:
                self.ctx.dialogs.info(
                    self, t("Printing"), t("None of the selected orders has this document.")
                )
                return
            message = t(
                "{document}: {documents} in one PDF ({pages} pages), saved at {path}.",
                document=t(DOCUMENT_NAMES[kind]),
                documents=tn("{n} document", len(result.documents)),
                pages=result.pages,
                path=str(result.path),
            )
            if result.skipped:
                message += "\n" + t("Skipped (no such document): {orders}.", orders=skipped)
            self.panel.show_message(message)
            if preview:
                self.printing.preview(self, result.path, kind).exec()
            elif to_printer:
                self.printing.print_pdf(self, result.path, kind)
            else:
                from rexbit_desktop.ui.orders.printing import open_pdf, open_with_system_viewer

                opener = self.open_file or open_with_system_viewer
                open_pdf(self.ctx, self, result.path, lambda p: opener(p) is not False)

        run_with_progress(
            self,
            self.ctx.runner,
            t("Printing"),
            work,
            on_result=done,
            on_error=self._error,
            label=t("Preparing the documents…"),
        )

    def _error(self, error: TaskError | Any) -> None:
        self.ctx.dialogs.error(self, error)
