"""Which shop order state is which of our order statuses, both ways (pure Python).

Configured in the order settings: ``statuses.<status>.mapping`` = ``{"<integration id>": "3"}`` or
``{"prestashop": "3"}`` (every PrestaShop integration); several shop states may mean one status
(``"1,10"``): the first is the one written back to the shop. When no status has a mapping for the
integration, the defaults come from the shop's own ``PS_OS_*`` configuration (ids are never
hard-coded: shops renumber their states).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.order_settings import StatusLabel
from rexbit_desktop.domain.orders import OrderStatus, parse_status

S = OrderStatus

# PS_OS_* configuration names and what they mean here, in the order used to pick the state written back
# (the first name of a status wins). PS_OS_ERROR (payment error) means nothing of ours: the order keeps
# its status and the run flags it.
DEFAULT_SHOP_STATES: tuple[tuple[str, OrderStatus | None], ...] = (
    ("PS_OS_BANKWIRE", S.AWAITING_PAYMENT),
    ("PS_OS_CHEQUE", S.AWAITING_PAYMENT),
    ("PS_OS_OUTOFSTOCK_UNPAID", S.AWAITING_PAYMENT),
    ("PS_OS_PAYMENT", S.PAID),
    ("PS_OS_WS_PAYMENT", S.PAID),
    ("PS_OS_OUTOFSTOCK_PAID", S.PAID),
    ("PS_OS_PREPARATION", S.AWAITING_FULFILLMENT),
    # Cash on delivery: released to the warehouse before payment (the workflow's own shortcut).
    ("PS_OS_COD_VALIDATION", S.AWAITING_FULFILLMENT),
    ("PS_OS_SHIPPING", S.SHIPPED),
    ("PS_OS_DELIVERED", S.COMPLETED),
    ("PS_OS_CANCELED", S.CANCELLED),
    ("PS_OS_REFUND", S.RETURNED),
    ("PS_OS_ERROR", None),
)
SHOP_STATE_NAMES: tuple[str, ...] = tuple(name for name, _ in DEFAULT_SHOP_STATES)
MAPPING_KEY = "prestashop"


@dataclass(frozen=True)
class ShopStateMapping:
    """Shop state id → our status (import) and our status → shop state id (status written back)."""

    to_ours: Mapping[int, OrderStatus | None]
    to_shop: Mapping[OrderStatus, int]
    source: str
    """``settings`` or ``shop defaults (PS_OS_*)``."""

    def ours(self, state_id: int) -> OrderStatus | None:
        return self.to_ours.get(state_id)

    def knows(self, state_id: int) -> bool:
        return state_id in self.to_ours

    def shop(self, status: str | OrderStatus) -> int | None:
        return self.to_shop.get(OrderStatus(status))

    def means_same(self, state_id: int, status: str | OrderStatus) -> bool:
        """True when the shop state already says this status (then nothing is written back)."""
        ours = self.to_ours.get(state_id)
        return ours is not None and ours == OrderStatus(status)


def _state_ids(status: str, value: str) -> list[int]:
    ids = []
    for part in str(value).split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ValidationError(
                f"The shop mapping of status '{status}' is '{value}': not a shop state id.",
                hint='Write the id of the shop\'s order state, e.g. {"prestashop": "3"} or "1,10".',
            )
        ids.append(int(part))
    return ids


def configured_mapping(statuses: Mapping[str, StatusLabel], integration_id: int) -> ShopStateMapping | None:
    """The mapping from the order settings for this integration, or None when none is configured.

    A mapping keyed by the integration's id wins over the ``prestashop`` one of the same status.
    """
    to_ours: dict[int, OrderStatus | None] = {}
    to_shop: dict[OrderStatus, int] = {}
    for key, label in statuses.items():
        value = label.mapping.get(str(integration_id), label.mapping.get(MAPPING_KEY))
        if value in (None, ""):
            continue
        status = parse_status(key)
        ids = _state_ids(key, str(value))
        to_shop[status] = ids[0]
        for state_id in ids:
            other = to_ours.get(state_id)
            if other is not None and other != status:
                raise ValidationError(
                    f"Shop state {state_id} is mapped to both '{other.value}' and '{status.value}'.",
                    hint="Each shop state may mean one status: fix statuses.<status>.mapping in the settings.",
                )
            to_ours[state_id] = status
    if not to_ours:
        return None
    return ShopStateMapping(to_ours, to_shop, "settings")


def default_mapping(shop_configuration: Mapping[str, int]) -> ShopStateMapping:
    """The mapping from the shop's ``PS_OS_*`` ids (name → id as the shop's configuration holds them)."""
    to_ours: dict[int, OrderStatus | None] = {}
    to_shop: dict[OrderStatus, int] = {}
    for name, status in DEFAULT_SHOP_STATES:
        state_id = shop_configuration.get(name)
        if state_id is None:
            continue
        # Two names may share one id (PS_OS_OUTOFSTOCK_PAID is PS_OS_OUTOFSTOCK): the first meaning stays.
        to_ours.setdefault(state_id, status)
        if status is not None:
            to_shop.setdefault(status, state_id)
    return ShopStateMapping(to_ours, to_shop, "shop defaults (PS_OS_*)")
