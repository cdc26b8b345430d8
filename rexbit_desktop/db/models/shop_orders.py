"""Where the orders import of a PrestaShop integration has got to, and the shop orders it still owes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Sequence, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, created_at_column, updated_at_column


class ShopOrderCursor(Base):
    """The last shop order taken in, as ``(date_upd, id_order)``: the next run reads what changed after it.

    One row per integration, in a table of its own: the integration's ``config`` is the operator's
    (validated, unknown keys refused) and must not change under a run.
    """

    __tablename__ = "shop_order_cursors"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    # The shop's own clock (orders.date_upd is a naive local DATETIME): compared with it, never converted.
    date_upd: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    id_order: Mapped[int] = mapped_column(BigInteger)
    sync_run_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = updated_at_column()


class ShopOrderRetry(Base):
    """A shop order that could not be taken in (or whose state change failed on our side): every run
    reads it again by id before reading past the cursor, until it goes in or the shop no longer has it.

    The cursor alone would lose it: a shop order whose lines were written after we read it, or that failed
    for a reason fixed on our side, may never change its ``date_upd`` again.
    """

    __tablename__ = "shop_order_retries"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    id_order: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reason: Mapped[str | None] = mapped_column(Text)
    sync_run_id: Mapped[int | None] = mapped_column(BigInteger)
    first_failed_at: Mapped[datetime] = created_at_column()
    last_failed_at: Mapped[datetime] = updated_at_column()


class ShopStockDirty(Base):
    """A product whose stock changed since the last stock push to a shop (issue 15).

    Written by triggers on ``warehouse_stock_totals`` (migration 0016) for every enabled PrestaShop
    integration with ``stock_sync: on`` that links the product; ``seq`` moves on every change, so a push
    deletes only the rows it read (a change during the push keeps its row for the next push).
    """

    __tablename__ = "shop_stock_dirty"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    seq: Mapped[int] = mapped_column(
        BigInteger, Sequence("shop_stock_dirty_seq"), server_default=text("nextval('shop_stock_dirty_seq')")
    )
