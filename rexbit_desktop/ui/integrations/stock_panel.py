"""The shop's "Stock" tab (issue 15): stock-sync settings, the last push, and *Wyślij stany*.

Built by ``IntegrationsView`` for a PrestaShop integration; it loads through the view's ``load`` and runs
the push through the view's progress dialog (one long run at a time), so it writes no SQL and starts no
thread of its own.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from rexbit_desktop.services.shop import stock as shop_stock
from rexbit_desktop.ui.i18n import format_datetime, register, t

register(
    {
        "Shop stock": "Stany w sklepie",
        "on": "włączone",
        "off": "wyłączone",
        "stock": "stany",
        "Push stock": "Wyślij stany",
        "Write our free stock into the shop's quantities now.": "Zapisz teraz nasze wolne stany w sklepie.",
        "Stock sync": "Synchronizacja stanów",
        "Warehouses": "Magazyny",
        "(default warehouse)": "(magazyn domyślny)",
        "Buffer per product": "Bufor na produkt",
        "Products changed, waiting for the push": "Produkty zmienione, czekają na wysłanie",
        "Last push": "Ostatnie wysłanie",
        "none yet": "jeszcze nie było",
        "{when}: {status}, written {written} of {examined}": "{when}: {status}, zapisano {written} z {examined}",
        "Shop orders not taken in yet": "Zamówienia sklepu jeszcze niepobrane",
        "Packs skipped": "Pominięte zestawy",
        "Stock sync is off: turn it on in the integration's settings (stock_sync).": (
            "Synchronizacja stanów jest wyłączona: włącz ją w ustawieniach integracji (stock_sync)."
        ),
        "Stock push {status}: examined {examined}, written {written}, unchanged {unchanged}, packs skipped "
        "{packs}, shop orders not taken in {pending}, errors {errors}.": (
            "Wysyłanie stanów: {status}; sprawdzono {examined}, zapisano {written}, bez zmian {unchanged}, "
            "pominięte zestawy {packs}, niepobrane zamówienia sklepu {pending}, błędy {errors}."
        ),
        "Pushing stock: {name}": "Wysyłanie stanów: {name}",
    }
)


class StockPanel(QWidget):
    """Settings, last push and the push button of one shop integration."""

    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.integration_id: int | None = None
        self.settings: shop_stock.StockSettingsView | None = None
        self.last: shop_stock.StockPushView | None = None
        self.settings_label = QLabel("")
        self.settings_label.setObjectName("stock_settings")
        self.settings_label.setWordWrap(True)
        self.last_label = QLabel("")
        self.last_label.setObjectName("stock_last_push")
        self.last_label.setWordWrap(True)
        self.push_button = QPushButton(t("Push stock"))
        self.push_button.setObjectName("push_stock")
        self.push_button.setToolTip(t("Write our free stock into the shop's quantities now."))
        self.push_button.clicked.connect(self.push)
        self.dry_run_check = QCheckBox(t("Dry run (write nothing)"))
        self.dry_run_check.setObjectName("stock_dry_run")
        self.dry_run_check.toggled.connect(lambda _on: self.update_button())
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.dry_run_check)
        bar.addWidget(self.push_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.settings_label)
        layout.addWidget(self.last_label)
        layout.addStretch(1)

    def load(self, integration_id: int) -> None:
        self.integration_id = integration_id
        ctx = self.view.ctx

        def fetch(_c: Any) -> tuple[Any, Any]:
            return (
                shop_stock.stock_settings(ctx.db.uow(), ctx.actor, integration_id=integration_id),
                shop_stock.last_stock_push(ctx.db.uow(), ctx.actor, integration_id=integration_id),
            )

        def show(data: tuple[Any, Any]) -> None:
            if self.integration_id == integration_id:
                self.settings, self.last = data
                self._show()

        self.view.load(fetch, show)

    def _show(self) -> None:
        s = self.settings
        if s is None:
            return
        warehouses = ", ".join(s.stock_warehouses) + (
            "" if s.warehouses_configured else " " + t("(default warehouse)")
        )
        self.settings_label.setText(
            "\n".join(
                [
                    f"{t('Stock sync')}: {t('on') if s.stock_sync == 'on' else t('off')}",
                    f"{t('Warehouses')}: {warehouses}",
                    f"{t('Buffer per product')}: {s.stock_buffer}",
                    f"{t('Products changed, waiting for the push')}: {s.dirty_products}",
                ]
            )
        )
        r = self.last
        if r is None:
            self.last_label.setText(f"{t('Last push')}: {t('none yet')}")
        else:
            lines = [
                f"{t('Last push')}: "
                + t(
                    "{when}: {status}, written {written} of {examined}",
                    when=format_datetime(r.finished_at or r.started_at),
                    status=t(r.status),
                    written=r.written,
                    examined=r.examined,
                ),
                f"{t('Shop orders not taken in yet')}: {r.pending_shop_orders}",
                f"{t('Packs skipped')}: {r.skipped_packs}",
                f"{t('Missing in shop')}: {r.missing_in_shop}",
                f"{t('Errors')}: {r.errors}" + (f" — {r.message}" if r.message else ""),
            ]
            lines += [
                f"• {d.get('external_id', '')} {d.get('reason', '')}".rstrip() for d in r.error_details[:5]
            ]
            self.last_label.setText("\n".join(lines))
        self.update_button()

    def update_button(self) -> None:
        s = self.settings
        may = bool(self.view.may_run) and not self.view.busy and s is not None
        self.push_button.setEnabled(may and (s.stock_sync == "on" or self.dry_run_check.isChecked()))  # type: ignore[union-attr]
        if s is not None and s.stock_sync != "on":
            self.push_button.setToolTip(
                t("Stock sync is off: turn it on in the integration's settings (stock_sync).")
            )

    def push(self) -> None:
        integration_id = self.integration_id
        if integration_id is None:
            return
        ctx = self.view.ctx
        dry_run = self.dry_run_check.isChecked()

        def work(c: Any) -> Any:
            return shop_stock.push_stock(
                ctx.db.uow(),
                ctx.actor,
                integration_id=integration_id,
                dry_run=dry_run,
                progress=c.progress,
                cancel=c.cancelled,
            )

        def done(result: Any) -> None:
            self.view._say(
                t(
                    "Stock push {status}: examined {examined}, written {written}, unchanged {unchanged}, packs "
                    "skipped {packs}, shop orders not taken in {pending}, errors {errors}.",
                    status=t(result.status),
                    examined=result.examined,
                    written=result.written,
                    unchanged=result.skipped_unchanged,
                    packs=result.skipped_packs,
                    pending=result.pending_shop_orders,
                    errors=result.errors,
                )
            )
            self.load(integration_id)
            self.view._load_sync_runs(integration_id)

        name = self.settings.name if self.settings else str(integration_id)
        self.view._with_progress(t("Pushing stock: {name}", name=name), work, done)
