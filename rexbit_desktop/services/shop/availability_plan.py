"""What an availability sync writes: our side read in one statement (best offer per linked product, the
decision keys, the last run's record), decided per shop product with the rule of
domain/availability.py, and turned into the shop's write batches."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from rexbit_desktop.adapters.prestashop.gateway import (
    WriteBatch,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.availability import Availability, AvailabilityRule, SupplierOffer

# What a run reads, in one statement, where the data is:
# - offers of enabled supplier_feed integrations (a disabled feed's offers are stale) for the shop's
#   products, from the typed columns generated from supplier_availability (models/integrations.py:
#   offer_stock NULL or offer_delivery_days -1 = a value that is not a plain number: a "bad" offer, left
#   out, reported);
# - the best offer of each of our products (highest stock, then fewest delivery days, unknown last) and
#   of each shop product over its linked items (first in the window): the rule's first step;
# - the decision key of both, exactly AvailabilityRule's cache key (allowed → delivery days or the
#   default, denied → -1), compared with what was last committed (shop_sync_state) together with the
#   settings' fingerprint, so an unchanged run sends nothing but a count back to Python; one window
#   (one sort) per run does the product level and the comparison;
# - the links of every shop product with a changed link (or all with :full) as 'ok' rows, the number of
#   shop products examined, and the first bad offers and bad external ids.
_READ_SQL = text(
    """
    WITH feeds AS (
        SELECT id FROM integrations WHERE type = 'supplier_feed' AND enabled
    ), best_offer AS (
        -- In the order of ix_integration_product_links_offers: no sort when the table is vacuumed.
        SELECT DISTINCT ON (o.product_id) o.product_id, o.offer_stock AS stock, o.offer_delivery_days AS days
        FROM integration_product_links o
        WHERE o.integration_id = ANY (ARRAY(SELECT id FROM feeds)) AND o.supplier_availability IS NOT NULL
          AND o.offer_stock IS NOT NULL AND (o.offer_delivery_days IS NULL OR o.offer_delivery_days >= 0)
        ORDER BY o.product_id, o.offer_stock DESC, o.offer_delivery_days ASC NULLS LAST
    ), shop_links AS MATERIALIZED (
        SELECT s.id, s.external_id, b.stock, b.days,
               s.external_id ~ '^[0-9]+(:[0-9]+)?$' AND length(s.external_id) <= 18 AS valid
        FROM integration_product_links s
        JOIN best_offer b ON b.product_id = s.product_id
        WHERE s.integration_id = :shop
    ), keyed AS (
        SELECT l.id, l.id_product, l.id_attr, l.stock, l.days, l.item_key,
               coalesce(r.item_key = l.item_key, false) AS item_same,
               r.product_key AS last_product_key
        FROM (SELECT id, stock, days,
                     CASE WHEN valid THEN split_part(external_id, ':', 1)::bigint END AS id_product,
                     CASE WHEN valid THEN coalesce(nullif(split_part(external_id, ':', 2), ''), '0')::bigint
                     END AS id_attr,
                     CASE WHEN stock >= :threshold THEN coalesce(days, :default_days) ELSE -1 END AS item_key
              FROM shop_links WHERE valid) l
        LEFT JOIN shop_sync_state st ON st.link_id = l.id
        -- A record made under other settings counts as nothing recorded.
        LEFT JOIN shop_sync_records r
            ON r.id = st.record_id AND r.integration_id = :shop AND r.settings_fingerprint = :settings
        WHERE l.id_product > 0
    ), windowed AS MATERIALIZED (
        SELECT k.*,
               first_value(item_key) OVER w AS product_key,
               bool_and(item_same) OVER w AS items_same,
               min(last_product_key) OVER w AS last_min,
               max(last_product_key) OVER w AS last_max,
               row_number() OVER w AS n
        FROM keyed k
        WINDOW w AS (PARTITION BY id_product ORDER BY stock DESC, days ASC NULLS LAST
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    )
    SELECT 'ok' AS kind, id, id_product, id_attr, item_key, product_key, stock, days, NULL AS raw
    FROM windowed
    WHERE :full OR NOT (items_same AND last_min = product_key AND last_max = product_key)
    UNION ALL
    SELECT 'examined', count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM windowed WHERE n = 1
    UNION ALL
    (SELECT 'badext', id, NULL, NULL, NULL, NULL, NULL, NULL, external_id FROM shop_links
     WHERE CASE WHEN valid THEN split_part(external_id, ':', 1)::bigint <= 0 ELSE true END
     ORDER BY id LIMIT 50)
    UNION ALL
    (SELECT 'bad', o.id, NULL, NULL, NULL, NULL, NULL, NULL,
            concat_ws(', ', btrim(o.supplier_availability->>'stock_quantity'),
                      btrim(o.supplier_availability->>'delivery_days'))
     FROM integration_product_links o
     -- ix_integration_product_links_bad_offers: only the bad ones are indexed.
     WHERE o.supplier_availability IS NOT NULL AND (o.offer_stock IS NULL OR o.offer_delivery_days < 0)
       AND o.integration_id IN (SELECT id FROM feeds)
       AND o.product_id IN (SELECT product_id FROM integration_product_links WHERE integration_id = :shop)
     ORDER BY o.id LIMIT 50)
    """
)

# What the shop committed: the shared record of a decision (get or create; a run has a handful) ...
_RECORD_ID_SQL = text(
    """
    INSERT INTO shop_sync_records AS r
        (integration_id, digest, settings_fingerprint, item_key, product_key, record)
    VALUES (:shop, :digest, :settings, :item_key, :product_key, CAST(:rec AS jsonb))
    ON CONFLICT (integration_id, digest) DO UPDATE SET digest = EXCLUDED.digest
    RETURNING r.id
    """
)

# ... and, per record, the link ids that now have it as one array. shop_sync_state rows are narrow;
# fillfactor 70 keeps rewrites HOT.
_RECORD_SQL = text(
    """
    INSERT INTO shop_sync_state AS st (link_id, record_id, sync_run_id, written_at)
    SELECT link_id, :record_id, :run_id, now()
    FROM unnest(CAST(:ids AS bigint[])) AS link_id
    ON CONFLICT (link_id) DO UPDATE
    SET record_id = EXCLUDED.record_id, sync_run_id = EXCLUDED.sync_run_id, written_at = EXCLUDED.written_at
    """
)


@dataclass
class _Link:
    link_id: int
    id_product_attribute: int
    item_key: int  # decision keys computed with the read (see _READ_SQL), recorded with what is written
    product_key: int
    offers: list[SupplierOffer] = field(default_factory=list)
    decision: Availability | None = None


@dataclass
class _Unit:
    """One shop product and its linked items."""

    id_product: int
    links: list[_Link] = field(default_factory=list)
    product_decision: Availability | None = None


def _settings_fingerprint(rule: AvailabilityRule, stock_key: tuple[int, int]) -> str:
    """Everything besides the best offers that decides what is written: changing any setting (texts,
    threshold, default days, stock keying) makes every product differ from what was recorded."""
    canonical = json.dumps(
        [
            str(rule.threshold),
            rule.default_delivery_days,
            sorted((i, t.available_now, t.available_later, t.unavailable) for i, t in rule.texts.items()),
            list(stock_key),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha1(canonical.encode()).hexdigest()


def _load_units(
    uow: UnitOfWork,
    integration_id: int,
    rule: AvailabilityRule,
    settings: str,
    full: bool,
    errors: list[dict[str, Any]],
) -> tuple[dict[int, _Unit], int]:
    """The shop products to write (all with ``full``, else those that changed) and how many were examined."""
    units: dict[int, _Unit] = {}
    examined = 0
    # JIT compiling costs seconds and saves nothing on one pass over 200,000 rows; the sort fits in memory.
    uow.session.execute(text("SET LOCAL jit = off"))
    uow.session.execute(text("SET LOCAL work_mem = '64MB'"))
    # Every join here is bulk; DISTINCT ON's estimate (200 rows) would otherwise pick 100,000 index probes.
    uow.session.execute(text("SET LOCAL enable_nestloop = off"))
    params = {
        "shop": integration_id,
        "threshold": rule.threshold,
        "default_days": rule.default_delivery_days,
        "settings": settings,
        "full": full,
    }
    for kind, link_id, id_product, id_attr, item_key, product_key, stock, days, raw in uow.session.execute(
        _READ_SQL, params
    ):
        if kind == "ok":
            unit = units.get(id_product)
            if unit is None:
                unit = units[id_product] = _Unit(id_product)
            unit.links.append(_Link(link_id, id_attr, item_key, product_key, [SupplierOffer(stock, days)]))
        elif kind == "examined":
            examined = int(link_id)
        elif kind == "bad":
            errors.append(
                {
                    "link_id": link_id,
                    "reason": f"supplier offer has a bad stock_quantity/delivery_days ({raw})",
                }
            )
        else:  # badext
            errors.append({"link_id": link_id, "reason": f"external id '{raw}' is not 'product:combination'"})
    return units, examined


def _decide(units: dict[int, _Unit], rule: AvailabilityRule) -> None:
    for unit in units.values():
        for link in unit.links:
            link.decision = rule.decide(link.offers)
        if len(unit.links) == 1:
            unit.product_decision = unit.links[0].decision
        else:
            unit.product_decision = rule.decide(o for link in unit.links for o in link.offers)
        assert unit.product_decision is not None


class _Records:
    """``last_availability`` as a shared record (``shop_sync_records``): equal for every link with the same
    decisions (and so the same fingerprint); the run and time are kept per link."""

    def __init__(self, integration_id: int, stock_key: tuple[int, int], run_id: int, settings: str) -> None:
        self.integration_id = integration_id
        self.stock_key = list(stock_key)
        self.settings = settings
        self.run_id = run_id
        self._texts: dict[tuple[int, int, int, int], str] = {}
        self._ids: dict[str, int] = {}

    def of(self, link: _Link, unit: _Unit) -> str:
        assert link.decision is not None and unit.product_decision is not None
        key = (id(link.decision), id(unit.product_decision), link.item_key, link.product_key)
        text_ = self._texts.get(key)
        if text_ is None:
            record = link.decision.as_record()
            record.update(
                product=unit.product_decision.as_record(),
                stock_key=self.stock_key,
                fingerprint=f"{self.settings}:{link.item_key}:{link.product_key}",
            )
            text_ = self._texts[key] = json.dumps(record, ensure_ascii=False, sort_keys=True)
        return text_

    def id_of(self, uow: UnitOfWork, rec: str, item_key: int, product_key: int) -> int:
        record_id = self._ids.get(rec)
        if record_id is None:
            record_id = self._ids[rec] = uow.session.execute(
                _RECORD_ID_SQL,
                {
                    "shop": self.integration_id,
                    "digest": hashlib.sha1(rec.encode()).hexdigest(),
                    "settings": self.settings,
                    "item_key": item_key,
                    "product_key": product_key,
                    "rec": rec,
                },
            ).scalar_one()
        return record_id


class _TextIds:
    """Numbers the distinct decisions of a run for the text staging table."""

    def __init__(self) -> None:
        self._ids: dict[int, tuple[int, Availability]] = {}

    def id_for(self, decision: Availability) -> int:
        entry = self._ids.get(id(decision))
        if entry is None:
            entry = (len(self._ids) + 1, decision)
            self._ids[id(decision)] = entry
        return entry[0]

    def rows(self, used: set[int]) -> list[tuple[int, int, str, str]]:
        return [
            (text_id, id_lang, now, later)
            for text_id, decision in self._ids.values()
            if text_id in used
            for id_lang, now, later in decision.texts
        ]


def _batch_rows(units: list[_Unit], text_ids: _TextIds) -> WriteBatch:
    batch = WriteBatch()
    used: set[int] = set()
    for unit in units:
        assert unit.product_decision is not None
        pid = text_ids.id_for(unit.product_decision)
        used.add(pid)
        batch.item_rows.append((unit.id_product, 0, unit.product_decision.out_of_stock, pid))
        for link in unit.links:
            if link.id_product_attribute:
                assert link.decision is not None
                tid = text_ids.id_for(link.decision)
                used.add(tid)
                batch.item_rows.append(
                    (unit.id_product, link.id_product_attribute, link.decision.out_of_stock, tid)
                )
    batch.text_rows = text_ids.rows(used)
    return batch
