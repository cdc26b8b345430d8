"""What the order window shows, read in one unit of work: the detail, the settings (read once), the shop
order behind it, the e-mail timeline and the carrier shipments.

The other areas' read use cases open their own unit of work (``with uow:``); here they are lent the
open one (``_Joined``), so one window load is one session and one transaction, and the settings cached
in that session are read once.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.detail import order_detail
from rexbit_desktop.services.orders.dto import OrderDetailDTO
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import find_order

if TYPE_CHECKING:
    from rexbit_desktop.services.messages.timeline import TimelineEntry
    from rexbit_desktop.services.shipping import ShipmentDTO
    from rexbit_desktop.services.shop.flowback import ShopOrderInfo


@dataclass(frozen=True)
class OrderWindowDTO:
    detail: OrderDetailDTO
    settings: OrderSettings
    shop: ShopOrderInfo | None
    timeline: list[TimelineEntry]
    shipments: list[ShipmentDTO]


class _Joined(UnitOfWork):
    """An open unit of work lent to a use case: its ``with`` neither opens nor closes the session."""

    def __init__(self, session: Session) -> None:
        super().__init__(lambda: session)
        self._session = session

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def commit(self) -> None:
        raise RuntimeError("a joined unit of work reads only")


def load_order_window(uow: UnitOfWork, actor: Actor, number: str) -> OrderWindowDTO:
    """Everything the order window shows, in one session."""
    # Imported here: these areas import the order services themselves.
    from rexbit_desktop.services.messages.timeline import order_timeline
    from rexbit_desktop.services.shipping import list_order_shipments
    from rexbit_desktop.services.shop.flowback import shop_order_info

    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        order = find_order(s, number)
        detail = order_detail(s, order)
        joined = _Joined(s)
        return OrderWindowDTO(
            detail=detail,
            settings=load_settings(s),
            shop=shop_order_info(joined, actor, order_id=detail.id) if detail.external_order_id else None,
            timeline=order_timeline(joined, actor, detail.number),
            shipments=list_order_shipments(joined, actor, detail.number),
        )
