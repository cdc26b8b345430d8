"""The tabs of the order detail filled from one OrderDetailDTO: lines, payment, addresses."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
)

from rexbit_desktop.services.orders.dto import OrderDetailDTO
from rexbit_desktop.ui.i18n import format_datetime, format_money, format_quantity, t
from rexbit_desktop.ui.orders.detail_labels import ADDRESS_TYPES, _address_text, _word
from rexbit_desktop.ui.orders.labels import payment_label, source_label
from rexbit_desktop.ui.widgets.tables import fill_table


class DetailTabs:
    """Part of ``OrderDetailDialog`` (``detail.py``)."""

    def _fill_items(self, order: OrderDetailDTO) -> None:
        fill_table(
            self.items_table,
            [
                (
                    i.sku or "",
                    i.name,
                    f"{format_quantity(i.quantity)} {i.unit}",
                    format_money(i.price_gross, order.currency),
                    f"{format_quantity(i.vat_rate)}%",
                    format_money(i.total_gross, order.currency),
                    i.warehouse_code or "",
                    format_quantity(i.reserved),
                    format_quantity(i.missing) if i.missing else "",
                    format_quantity(i.issued) if i.issued else "",
                )
                for i in order.items
            ],
            right=(2, 3, 4, 5, 7, 8, 9),
        )
        for r, i in enumerate(order.items):
            if i.missing:
                self.items_table.item(r, 8).setForeground(QColor("#c62828"))

    def _fill_payment(self, order: OrderDetailDTO) -> None:
        while self.payment_grid.count():
            item = self.payment_grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        rows = [
            (t("Gross total"), format_money(order.total_gross, order.currency)),
            (t("Net total"), format_money(order.total_net, order.currency)),
            (t("Shipping"), format_money(order.shipping_gross, order.currency)),
            (t("Amount paid"), format_money(order.total_paid, order.currency)),
            (t("Payment"), payment_label(order.payment_status)),
            (t("Delivery"), order.delivery_method or "—"),
            (t("Warehouse"), order.warehouse_code or "—"),
            self._source_row(order),
            (t("Created"), format_datetime(order.created_at)),
        ]
        shop = self.shop_order
        if shop is not None:
            rows.insert(
                -1,
                (
                    t("Shop order"),
                    t("#{id} (ref.\u00a0{reference})", id=shop.id_order, reference=shop.reference)
                    if shop.reference
                    else f"#{shop.id_order}",
                ),
            )
        for p in order.payments:
            rows.append(
                (
                    t("Provider"),
                    f"{p.provider}: {format_money(p.amount, p.currency)} ({payment_label(p.status)})",
                )
            )
        links: dict[int, str] = {}
        names: dict[str, str] = getattr(self, "carrier_names", {})
        templates: dict[str, str] = getattr(self, "tracking_links", {})
        for s in order.shipments:
            name = names.get(s.carrier.lower(), s.carrier)
            template = templates.get(s.carrier.lower(), "")
            if s.tracking_number and "{tracking}" in template:
                # The tracking number is a link to the carrier's tracking page (the settings' template).
                url = template.replace("{tracking}", quote(s.tracking_number, safe=""))
                links[len(rows)] = f'{escape(name)}: <a href="{escape(url)}">{escape(s.tracking_number)}</a>'
            rows.append((t("Tracking"), f"{name}: {s.tracking_number or '—'}"))
        for r, (label, value) in enumerate(rows):
            self.payment_grid.addWidget(QLabel(label), r, 0)
            value_label = QLabel(value)
            value_label.setWordWrap(True)
            if r in links:
                value_label.setObjectName("detail_tracking_link")
                value_label.setTextFormat(Qt.TextFormat.RichText)
                value_label.setText(links[r])
                value_label.setOpenExternalLinks(True)
            self.payment_grid.addWidget(value_label, r, 1)

    def _source_row(self, order: OrderDetailDTO) -> tuple[str, str]:
        shop = self.shop_order
        if shop is not None:  # the shop's own id has a row of its own
            return t(
                "Source"
            ), f"PrestaShop: {shop.integration_name}" if shop.integration_name else source_label(order.source)
        return t("Source"), source_label(order.source) + (
            f" #{order.external_order_id}" if order.external_order_id else ""
        )

    def _fill_addresses(self, order: OrderDetailDTO) -> None:
        while self.addresses_layout.count():
            item = self.addresses_layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        if not order.addresses:
            self.addresses_layout.addWidget(QLabel(t("No address")))
        for a in order.addresses:
            label = QLabel(
                f"<b>{_word(ADDRESS_TYPES, a.type)}</b><br>" + _address_text(a).replace("\n", "<br>")
            )
            label.setWordWrap(True)
            self.addresses_layout.addWidget(label)
        self.addresses_layout.addStretch(1)
