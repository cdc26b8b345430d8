"""The shop's orders: read them a page at a time, and write an order's state (and tracking number) back.

Statements are the named queries of ``orders.sql`` (same format and prefix rule as ``queries.sql``). The
connection, the prefix check and the error translation are the gateway's (``PrestaShopGateway``): this
module adds the order tables on top of an open gateway.

Reads are batched: one query per table for a page of orders, never one per order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pymysql

from rexbit_desktop.adapters.prestashop.gateway import (
    PrestaShopGateway,
    ShopDatabaseError,
    load_named_queries,
)

# Tables and columns the orders import and the status flowback use, without prefix.
ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": (
        "id_order", "reference", "id_shop", "id_carrier", "id_customer", "id_currency",
        "id_address_delivery", "id_address_invoice", "current_state", "payment", "module", "total_paid",
        "total_paid_real", "total_shipping_tax_incl", "total_discounts_tax_incl", "date_add", "date_upd",
        "id_lang",
    ),
    "order_detail": (
        "id_order", "id_order_detail", "product_id", "product_attribute_id", "product_name",
        "product_quantity", "product_reference", "product_ean13", "unit_price_tax_incl",
        "unit_price_tax_excl", "tax_rate",
    ),
    "order_history": ("id_employee", "id_order", "id_order_state", "date_add"),
    "order_state": ("id_order_state",),
    "order_state_lang": ("id_order_state", "id_lang", "name"),
    "order_carrier": ("id_order_carrier", "id_order", "id_carrier", "tracking_number", "date_add"),
    "carrier": ("id_carrier", "name", "url"),
    "address": ("id_address", "id_country", "company", "firstname", "lastname", "address1", "address2",
                "postcode", "city", "phone", "phone_mobile", "vat_number"),
    "customer": ("id_customer", "firstname", "lastname", "email", "company"),
    "country": ("id_country", "iso_code"),
    "currency": ("id_currency", "iso_code"),
    "lang": ("id_lang", "iso_code"),
}  # fmt: skip


@dataclass(frozen=True)
class ShopAddress:
    id_address: int
    company: str | None
    firstname: str
    lastname: str
    street: str
    postcode: str | None
    city: str
    country_iso: str | None
    phone: str | None
    vat_number: str | None

    @property
    def name(self) -> str:
        return f"{self.firstname} {self.lastname}".strip()


@dataclass(frozen=True)
class ShopCustomer:
    id_customer: int
    firstname: str
    lastname: str
    email: str
    company: str | None

    @property
    def name(self) -> str:
        return f"{self.firstname} {self.lastname}".strip()


@dataclass(frozen=True)
class ShopOrderLine:
    id_order_detail: int
    id_product: int
    id_product_attribute: int
    name: str
    quantity: int
    reference: str | None
    ean13: str | None
    unit_price_gross: Decimal
    unit_price_net: Decimal
    tax_rate: Decimal

    @property
    def external_id(self) -> str:
        """The product link's external id, as ``products pull`` writes it."""
        return f"{self.id_product}:{self.id_product_attribute}"


@dataclass
class ShopOrder:
    id_order: int
    reference: str | None
    current_state: int
    payment: str
    module: str | None
    total_paid: Decimal
    total_paid_real: Decimal
    shipping_gross: Decimal
    discounts_gross: Decimal
    discounts_net: Decimal
    date_add: datetime
    date_upd: datetime
    id_carrier: int
    id_customer: int
    id_currency: int
    id_address_delivery: int
    id_address_invoice: int
    lines: list[ShopOrderLine] = field(default_factory=list)
    delivery: ShopAddress | None = None
    invoice: ShopAddress | None = None
    customer: ShopCustomer | None = None
    carrier_name: str | None = None
    carrier_url: str | None = None
    currency: str | None = None
    language: str | None = None
    """The customer's language (``iso_code`` of the order's ``id_lang``): the e-mails' language."""


@dataclass(frozen=True)
class StateWritten:
    """What writing an order's state back did in the shop."""

    id_order: int
    state_before: int | None
    """None: the shop has no such order (in this shop)."""
    state_written: bool
    tracking_written: bool
    tracking_url: str | None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def tracking_link(url_template: str | None, tracking: str) -> str | None:
    """The carrier's tracking url with the number in place of ``@`` (PrestaShop's convention)."""
    if not url_template or "@" not in url_template:
        return None
    return url_template.replace("@", tracking)


class ShopOrders:
    """The order tables of a shop, through an open ``PrestaShopGateway`` (which stays the owner of the
    connection: close the gateway when done)."""

    def __init__(self, gateway: PrestaShopGateway) -> None:
        self.gateway = gateway
        self._conn = gateway._conn  # one connection per gateway; this adapter borrows it

    def sql(self, name: str) -> str:
        return load_named_queries("orders.sql")[name].replace("{p}", self.gateway.prefix)

    def _fetch(self, name: str, params: Any = None) -> list[tuple[Any, ...]]:
        try:
            with self._conn.cursor() as cur:
                cur.execute(self.sql(name), params)
                return list(cur.fetchall())
        except pymysql.err.Error as exc:
            raise self.gateway._translate(exc, name) from exc

    def _run(self, name: str, params: Any = None) -> int:
        with self._conn.cursor() as cur:
            cur.execute(self.sql(name), params)
            return int(cur.rowcount)

    # ------------------------------------------------------------ checks and reference data

    def missing_columns(self) -> list[str]:
        """``table`` or ``table.column`` the orders import needs and the shop lacks."""
        prefix = self.gateway.prefix
        present: dict[str, set[str]] = {}
        names = [prefix + t for t in ORDER_COLUMNS]
        for table, column in self.gateway.fetchall("schema_columns", {"tables": names}):
            present.setdefault(str(table)[len(prefix) :], set()).add(str(column).lower())
        missing = [f"table {prefix}{t}" for t in ORDER_COLUMNS if t not in present]
        missing += [
            f"{prefix}{t}.{c}" for t, cols in ORDER_COLUMNS.items() if t in present for c in cols
            if c not in present[t]
        ]  # fmt: skip
        return missing

    def state_configuration(self, id_shop: int, names: tuple[str, ...]) -> dict[str, int]:
        """PS_OS_* name → order state id (the shop's own value over the global one)."""
        result: dict[str, int] = {}
        for name, value in self._fetch(
            "order_state_configuration", {"names": list(names), "id_shop": id_shop}
        ):
            text = _text(value)
            if text and text.isdigit():
                result[str(name)] = int(text)
        return result

    def state_names(self, id_lang: int) -> dict[int, str]:
        return {int(i): str(n) for i, n in self._fetch("order_state_names", {"id_lang": id_lang})}

    def clock(self) -> tuple[datetime, str | None]:
        """The shop's NOW() and its PS_TIMEZONE (None when it does not store one)."""
        now, zone = self._fetch("shop_clock")[0]
        return now, _text(zone)

    # ------------------------------------------------------------ the import

    def orders_page(self, id_shop: int, after: tuple[datetime, int], limit: int) -> list[ShopOrder]:
        """The next ``limit`` orders changed after ``after`` = (date_upd, id_order), with their lines,
        addresses, customer, carrier and currency: six queries per page, whatever its size."""
        rows = self._fetch(
            "orders_page",
            {"id_shop": id_shop, "after_date": after[0], "after_id": after[1], "limit": limit},
        )
        return self._with_details(rows)

    def orders_by_ids(self, id_shop: int, ids: list[int]) -> list[ShopOrder]:
        """The orders of ``ids`` the shop (still) has, with their details: six queries, whatever the count."""
        if not ids:
            return []
        return self._with_details(self._fetch("orders_by_ids", {"id_shop": id_shop, "ids": list(ids)}))

    def _with_details(self, rows: list[tuple[Any, ...]]) -> list[ShopOrder]:
        orders = [
            ShopOrder(
                id_order=int(r[0]), reference=_text(r[1]), id_carrier=int(r[2]), id_customer=int(r[3]),
                id_currency=int(r[4]), id_address_delivery=int(r[5]), id_address_invoice=int(r[6]),
                current_state=int(r[7]), payment=str(r[8] or ""), module=_text(r[9]),
                total_paid=_decimal(r[10]), total_paid_real=_decimal(r[11]), shipping_gross=_decimal(r[12]),
                discounts_gross=_decimal(r[13]), discounts_net=_decimal(r[14]), date_add=r[15],
                date_upd=r[16], language=(_text(r[17]) or "").lower() or None,
            )
            for r in rows
        ]  # fmt: skip
        if not orders:
            return []
        by_id = {o.id_order: o for o in orders}
        for r in self._fetch("order_lines", {"ids": list(by_id)}):
            by_id[int(r[0])].lines.append(
                ShopOrderLine(
                    id_order_detail=int(r[1]), id_product=int(r[2]), id_product_attribute=int(r[3]),
                    name=str(r[4] or ""), quantity=int(r[5]), reference=_text(r[6]), ean13=_text(r[7]),
                    unit_price_gross=_decimal(r[8]), unit_price_net=_decimal(r[9]), tax_rate=_decimal(r[10]),
                )
            )  # fmt: skip
        address_ids = {o.id_address_delivery for o in orders} | {o.id_address_invoice for o in orders}
        addresses = {
            int(r[0]): ShopAddress(
                id_address=int(r[0]), company=_text(r[1]), firstname=str(r[2] or "").strip(),
                lastname=str(r[3] or "").strip(),
                street=" ".join(p for p in (_text(r[4]), _text(r[5])) if p), postcode=_text(r[6]),
                city=str(r[7] or "").strip(), country_iso=_text(r[8]), phone=_text(r[10]) or _text(r[9]),
                vat_number=_text(r[11]),
            )
            for r in self._fetch("order_addresses", {"ids": sorted(address_ids)})
        }  # fmt: skip
        customers = {
            int(r[0]): ShopCustomer(int(r[0]), str(r[1] or "").strip(), str(r[2] or "").strip(),
                                    str(r[3] or "").strip(), _text(r[4]))
            for r in self._fetch("order_customers", {"ids": sorted({o.id_customer for o in orders})})
        }  # fmt: skip
        carriers = {
            int(r[0]): (str(r[1]), _text(r[2]))
            for r in self._fetch("order_carriers", {"ids": sorted({o.id_carrier for o in orders})})
        }
        currencies = {
            int(r[0]): str(r[1]).upper()
            for r in self._fetch("order_currencies", {"ids": sorted({o.id_currency for o in orders})})
        }
        for o in orders:
            o.delivery = addresses.get(o.id_address_delivery)
            o.invoice = addresses.get(o.id_address_invoice)
            o.customer = customers.get(o.id_customer)
            o.carrier_name, o.carrier_url = carriers.get(o.id_carrier, (None, None))
            o.currency = currencies.get(o.id_currency)
        return orders

    # ------------------------------------------------------------ the status written back

    def write_state(
        self, id_order: int, id_shop: int, state: int | None, tracking: str | None = None
    ) -> StateWritten:
        """In one transaction: the order's ``current_state`` and an ``order_history`` row (only when the
        state differs: a retry writes nothing twice), and the tracking number of its carrier row (when
        given and different). ``state`` None: only the tracking number.

        With the state, in the same transaction, the shop's own books as its ``changeIdOrderState`` keeps
        them: ``orders.valid`` from the state's ``logable``, and the reserved and physical quantities of
        the order's products by the shop's rule (``stock.py``)."""
        from rexbit_desktop.adapters.prestashop.stock import ShopStock, stock_context

        books = stock_context(self.gateway, id_shop) if state is not None else None
        try:
            self._conn.begin()
            rows = self._fetch("lock_order", {"id_order": id_order, "id_shop": id_shop})
            if not rows:
                self._conn.rollback()
                return StateWritten(id_order, None, False, False, None)
            before = int(rows[0][0])
            state_written = state is not None and before != state
            if state_written:
                params = {"id_order": id_order, "state": state}
                self._run("set_order_state", params)
                self._run("add_order_history", params)
                if books is not None and state is not None:
                    ShopStock(self.gateway).recompute_books(books, id_order, state)
            tracking_written = False
            url: str | None = None
            if tracking:
                carrier = self._fetch("order_carrier", {"id_order": id_order})
                if carrier:
                    id_order_carrier, current, url = carrier[0]
                    if (current or "") != tracking:
                        self._run(
                            "set_tracking_number",
                            {"tracking": tracking, "id_order_carrier": id_order_carrier},
                        )
                        tracking_written = True
                else:
                    tracking_written = (
                        self._run("add_order_carrier", {"id_order": id_order, "tracking": tracking}) > 0
                    )
                    url_rows = self._fetch("carrier_url", {"id_order": id_order})
                    url = url_rows[0][0] if url_rows else None
            self._conn.commit()
        except pymysql.err.Error as exc:
            self._safe_rollback()
            raise self.gateway._translate(exc, "write_state") from exc
        except ShopDatabaseError:
            self._safe_rollback()
            raise
        return StateWritten(
            id_order,
            before,
            state_written,
            tracking_written,
            tracking_link(url, tracking) if tracking else None,
        )

    def _safe_rollback(self) -> None:
        try:
            self._conn.rollback()
        except pymysql.err.Error:
            pass  # the connection is gone: the server already rolled the transaction back
