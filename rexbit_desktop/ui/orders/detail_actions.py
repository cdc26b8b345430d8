"""What the order window's buttons and keys do: change the status (the pick check and the shipping rule
first), reserve, issue the WZ, cancel, ship, notes, PDFs and printing.

Part of ``OrderDetailDialog`` (``detail.py``). Every action runs a service on the task runner; after a
change the window reloads (``_after_action``). Printing a confirmation or packing list uses the detail the
window already holds; only a WZ (not part of the detail) is read.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog

from rexbit_desktop.domain.orders import OrderStatus
from rexbit_desktop.domain.roles import Permission
from rexbit_desktop.services.orders.orders import add_note, cancel_order, reserve_order, ship_order
from rexbit_desktop.services.orders.pdfs import render_detail_pdf, render_document_pdf, render_order_pdf
from rexbit_desktop.services.orders.workflow import transition_order
from rexbit_desktop.ui.i18n import t, tn
from rexbit_desktop.ui.orders.printing import open_pdf, pdf_path
from rexbit_desktop.ui.orders.ship_dialog import ShipDialog
from rexbit_desktop.ui.orders.shipment_dialog import open_create_dialog


class DetailActions:
    """Part of ``OrderDetailDialog`` (``detail.py``)."""

    def transition_to(self, code: str, comment: str | None = None) -> None:
        if (
            code == OrderStatus.READY_FOR_SHIPMENT.value
            and comment is None
            and self.pick_check.lines
            and not self.pick_check.complete()
        ):
            # Packed only what was scanned: the check must be complete (or a manager confirms it).
            self.lower_tabs.setCurrentWidget(self.pick_check)
            self.pick_check.scan.setFocus()
            self.ctx.dialogs.info(
                self,
                t("Pick check"),
                t(
                    "Scan every item first (Pick check). Not scanned yet: {missing}.",
                    missing=self.pick_check.missing_text(),
                ),
            )
            return
        if code == OrderStatus.SHIPPED.value:
            # One shipping rule: "shipped" always records the carrier (and the tracking number it needs).
            self._ship()
            return
        order = self.order
        if (
            code == OrderStatus.PICKING.value
            and order is not None
            and any(i.missing for i in order.items)
            and not self.ctx.dialogs.confirm(
                self,
                t("Picking"),
                t(
                    "Order {number} is reserved only in part ({short}). Start picking anyway?",
                    number=order.number,
                    short=tn("{n} unit short", int(sum((i.missing for i in order.items), Decimal(0)))),
                ),
            )
        ):
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(result: Any) -> None:
            message = t("Order {number}: {status}.", number=number, status=self.status_labels.get(code, code))
            docs = list(getattr(result, "issued_documents", []) or [])
            if docs:
                message += " " + t("Documents issued: {docs}.", docs=", ".join(docs))
            self._after_action(message)

        self._run(lambda: transition_order(db.uow(), actor, number, code, comment=comment), done)

    def next_status(self) -> None:
        """Ctrl+→: the first status offered (the next step of the flow), without an extra OK box."""
        for i in range(self.transition_combo.count()):
            item = self.transition_combo.model().item(i)  # type: ignore[attr-defined]
            if item.isEnabled() and self.transition_button.isEnabled():
                self.transition_to(str(self.transition_combo.itemData(i)))
                return

    def print_wz(self) -> None:
        """Ctrl+P: print the order's WZ (the printer remembered for WZ)."""
        self.print_document("wz")

    def go(self, step: int) -> None:
        """Alt+↓ / Alt+↑: the next / previous order of the list in this window."""
        target = self.navigate(self.number, step) if self.navigate else None
        if target:
            self.number = target
            self.show_message("")
            self.load()

    def _override_pick_check(self) -> None:
        """A manager sends the order on without a full check; the history says who and what was missing."""
        if not self.ctx.can(Permission.ORDERS_CANCEL):
            self.ctx.dialogs.info(self, t("Pick check"), t("Only a manager may confirm an incomplete check."))
            return
        missing = self.pick_check.missing_text()
        if not self.ctx.dialogs.confirm(
            self,
            t("Pick check"),
            t(
                "Confirm order {number} as packed although {missing} was not scanned?",
                number=self.number,
                missing=missing,
            ),
        ):
            return
        who = self.ctx.actor.display_name or self.ctx.actor.login
        self.transition_to(
            OrderStatus.READY_FOR_SHIPMENT.value,
            comment=t("Pick check confirmed by {who} with {missing} not scanned.", who=who, missing=missing),
        )

    def _change_status(self) -> None:
        code = self.transition_combo.currentData()
        if code:
            self.transition_to(str(code))

    def _reserve(self) -> None:
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(result: Any) -> None:
            lines = getattr(result, "lines", []) or []
            missing = sum(1 for line in lines if getattr(line, "missing", 0))
            self._after_action(t("Reserved {n} item(s); missing {m}.", n=len(lines) - missing, m=missing))

        self._run(lambda: reserve_order(db.uow(), actor, number), done)

    def _issue_wz(self) -> None:
        # The WZ is a consequence of the warehouse flow: entering the configured status issues it.
        self.transition_to(self.wz_on)

    def _cancel(self) -> None:
        if not self.ctx.dialogs.confirm(
            self,
            t("Cancel order"),
            t(
                "Cancel order {number}? Reservations are released and issued goods go back with a storno.",
                number=self.number,
            ),
        ):
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        self._run(lambda: cancel_order(db.uow(), actor, number), lambda _r: self._after_action())

    def ask_ship(self) -> ShipDialog:
        dialog = ShipDialog(self.number, self.carriers, self, tracking_optional=self.tracking_optional)
        if self._last_ship:  # a refused shipment: what was typed is offered again
            carrier, tracking = self._last_ship
            index = dialog.carrier.findData(carrier)
            if index >= 0:
                dialog.carrier.setCurrentIndex(index)
            else:
                dialog.carrier.setEditText(carrier)
            dialog.tracking.setText(tracking)
        return dialog

    def _ship(self) -> None:
        dialog = self.ask_ship()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.ship(dialog.carrier_code(), dialog.tracking.text())

    def ship(self, carrier: str, tracking: str) -> None:
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        self._last_ship = (carrier, tracking)

        def done(_r: Any) -> None:
            self._last_ship = None
            self._after_action(
                t(
                    "Order {number}: {status}.",
                    number=number,
                    status=self.status_labels.get("shipped", "shipped"),
                )
            )

        self._run(
            lambda: ship_order(db.uow(), actor, number, carrier=carrier, tracking=tracking),
            done,
        )

    def create_shipment(self) -> None:
        open_create_dialog(
            self.ctx,
            self,
            self.number,
            lambda _s: self._after_action(),
            show=self.show_shipment_dialog,
            on_failed=lambda: self.shipments_panel.load(self.number),
        )

    def _add_note(self) -> None:
        body = self.note_edit.toPlainText().strip()
        if not body:
            return
        db, actor, number = self.ctx.db, self.ctx.actor, self.number

        def done(_note: Any) -> None:
            self.note_edit.clear()
            self.load()

        self._run(lambda: add_note(db.uow(), actor, number, body), done)

    # -- PDFs -------------------------------------------------------------------------------------
    def _pdf_path(self, name: str) -> Path:
        return pdf_path(self.ctx, name)

    def _open(self, path: Path) -> None:
        self.show_message(t("Saved: {path}", path=str(path)))
        open_pdf(self.ctx, self, path, lambda p: self.open_file(p) is not False)

    def print_document(self, kind: str) -> None:
        """Write the PDF into the user's documents folder (the path is shown) and print it through the
        print dialog (the printer remembered for this document type). A confirmation or packing list is
        built from the detail on screen; a WZ is read (it is not part of the detail)."""
        db, actor, number = self.ctx.db, self.ctx.actor, self.number
        out = self._pdf_path(f"{kind}-{number}")
        held, settings = self.order, self.settings

        def done(paths: list[Path]) -> None:
            self.show_message(t("Saved: {path}", path=", ".join(str(p) for p in paths)))
            for p in paths:
                self.printing.print_pdf(self, p, kind)

        if kind != "wz" and held is not None and settings is not None and held.number == number:
            self._run(lambda: [render_detail_pdf(held, settings, kind=kind, out=out)], done)
            return
        self._run(lambda: render_order_pdf(db.uow(), actor, number, kind=kind, out=out), done)

    def _open_selected_document(self) -> None:
        row = self.documents_table.currentRow()
        if row < 0 and self.documents_table.rowCount():
            row = 0
        item = self.documents_table.item(row, 0) if row >= 0 else None
        if item is not None and item.text():
            self.open_document(item.text())

    def open_document(self, document_number: str) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        out = self._pdf_path(document_number)

        def work() -> Path:
            render_document_pdf(db.uow(), actor, document_number, out)
            return out

        self._run(work, self._open)
