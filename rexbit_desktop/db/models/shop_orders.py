"""Where the orders import of a PrestaShop integration has got to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from rexbit_desktop.db.base import Base, updated_at_column


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
