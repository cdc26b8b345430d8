"""The availability rule: which supplier offer counts and what the shop shows (pure Python).

For a product linked to the shop with at least one supplier offer:

- the best offer is the one with the highest ``stock_quantity``; ties go to the fewest ``delivery_days``
  (an offer without delivery days loses a tie);
- ``stock_quantity >= min_stock_threshold`` → orders allowed (``out_of_stock = 1``) and
  ``available_later`` is the template with the offer's delivery days; otherwise orders denied
  (``out_of_stock = 0``) and ``available_later`` is the ``unavailable`` text;
- ``available_now`` is always the configured text.

A product with combinations allows orders if any of its combinations does: its product-level decision
is the same rule over all its combinations' offers (the best of them all decides).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# PrestaShop's OutOfStockType: 0 deny orders, 1 allow orders, 2 use the shop default. We always write 0 or 1.
DENY_ORDERS = 0
ALLOW_ORDERS = 1

TEXT_KEYS = ("available_now", "available_later", "unavailable")

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "pl": {
        "available_now": "Dostępny",
        "available_later": "Dostępny u dostawcy, wysyłka w ciągu {delivery_days} dni",
        "unavailable": "Chwilowo niedostępny",
    },
    "en": {
        "available_now": "In stock",
        "available_later": "Available from the supplier, ships within {delivery_days} days",
        "unavailable": "Currently unavailable",
    },
}


def default_texts_for(iso_code: str) -> dict[str, str]:
    """Polish texts unless the language is English (the business sells in Poland)."""
    return dict(DEFAULT_TEXTS.get(iso_code.lower(), DEFAULT_TEXTS["pl"]))


@dataclass(frozen=True)
class SupplierOffer:
    """What one supplier's feed says about one of our products."""

    stock_quantity: Decimal
    delivery_days: int | None = None
    contractor_id: int | None = None


@dataclass(frozen=True)
class AvailabilityTexts:
    """The configured texts of one shop language."""

    available_now: str
    available_later: str  # template with {delivery_days}
    unavailable: str

    @classmethod
    def from_mapping(cls, texts: Mapping[str, str]) -> AvailabilityTexts:
        return cls(texts["available_now"], texts["available_later"], texts["unavailable"])


@dataclass(frozen=True)
class Availability:
    """What the shop should show for one product or combination.

    ``texts``: ``(id_lang, available_now, available_later)`` sorted by language.
    """

    out_of_stock: int
    texts: tuple[tuple[int, str, str], ...]

    @property
    def allows_orders(self) -> bool:
        return self.out_of_stock == ALLOW_ORDERS

    def as_record(self) -> dict[str, Any]:
        """JSON form, compared with what was last written (``metadata.last_availability``)."""
        return {
            "out_of_stock": self.out_of_stock,
            "texts": {str(i): [now, later] for i, now, later in self.texts},
        }


def _offer_rank(offer: SupplierOffer) -> tuple[Decimal, float]:
    days = float("inf") if offer.delivery_days is None else offer.delivery_days
    return (offer.stock_quantity, -days)


def best_offer(offers: Iterable[SupplierOffer]) -> SupplierOffer | None:
    """Highest stock wins; ties go to the fewest delivery days. None when there is no offer."""
    best: SupplierOffer | None = None
    for offer in offers:
        if best is None or _offer_rank(offer) > _offer_rank(best):
            best = offer
    return best


def render_available_later(template: str, delivery_days: int) -> str:
    """The template with the offer's days; "1 dni" / "1 days" become "1 dzień" / "1 day" (Polish says
    "dni" for every other number: 2 dni, 5 dni, 22 dni)."""
    if delivery_days == 1:
        template = template.replace("{delivery_days} dni", "{delivery_days} dzień").replace(
            "{delivery_days} days", "{delivery_days} day"
        )
    return template.format(delivery_days=delivery_days)


def decide_availability(
    offers: Iterable[SupplierOffer],
    *,
    min_stock_threshold: Decimal | int | float,
    texts: Mapping[int, AvailabilityTexts],
    default_delivery_days: int,
) -> Availability | None:
    """The rule above for one product; None when there is no offer (the shop is left untouched)."""
    offer = best_offer(offers)
    if offer is None:
        return None
    threshold = Decimal(str(min_stock_threshold))
    allow = offer.stock_quantity >= threshold
    days = offer.delivery_days if offer.delivery_days is not None else default_delivery_days
    rendered = tuple(
        (
            id_lang,
            t.available_now,
            render_available_later(t.available_later, days) if allow else t.unavailable,
        )
        for id_lang, t in sorted(texts.items())
    )
    return Availability(ALLOW_ORDERS if allow else DENY_ORDERS, rendered)


class AvailabilityRule:
    """``decide_availability`` with one shop's settings, reusing equal decisions.

    A run over 100,000 products produces only a handful of distinct decisions (allowed with N days,
    denied), so each is built once and shared.
    """

    def __init__(
        self,
        *,
        min_stock_threshold: Decimal | int | float,
        texts: Mapping[int, AvailabilityTexts],
        default_delivery_days: int,
    ) -> None:
        self.threshold = Decimal(str(min_stock_threshold))
        self.texts = dict(texts)
        self.default_delivery_days = default_delivery_days
        self._cache: dict[tuple[bool, int], Availability] = {}

    def decide(self, offers: Iterable[SupplierOffer]) -> Availability | None:
        offer = best_offer(offers)
        if offer is None:
            return None
        allow = offer.stock_quantity >= self.threshold
        days = offer.delivery_days if offer.delivery_days is not None else self.default_delivery_days
        key = (allow, days if allow else -1)
        decision = self._cache.get(key)
        if decision is None:
            decision = decide_availability(
                [offer],
                min_stock_threshold=self.threshold,
                texts=self.texts,
                default_delivery_days=self.default_delivery_days,
            )
            assert decision is not None
            self._cache[key] = decision
        return decision
