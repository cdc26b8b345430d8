-- Named statements for our stock → the shop's quantity, and for the shop's own books after a state
-- push (format of queries.sql: "-- name --", a comment line, the statement; {p} = validated prefix).
-- {pack_of_item}, {pack_items_join}, {pack_union}, {pack_items} are replaced by the gateway with the pack
-- parts of stock.py (or their empty forms when the shop has no pack table); nothing else is formatted in.

-- group_shops --
-- The shops whose orders take from one stock row: the group's shops when it shares stock.
SELECT id_shop FROM `{p}shop` WHERE id_shop_group = %(id_shop_group)s;

-- create_stock_stage --
-- What rexbit would give each linked item before the shop's own open orders are taken off: free stock
-- over the configured warehouses minus the buffer. MEMORY, lives with this connection.
CREATE TEMPORARY TABLE IF NOT EXISTS rexbit_stock_item (
  id_product INT UNSIGNED NOT NULL,
  id_product_attribute INT UNSIGNED NOT NULL,
  base INT NOT NULL,
  PRIMARY KEY (id_product, id_product_attribute)
) ENGINE=MEMORY;

-- create_stock_products --
-- The products of the batch (their rows are locked, their product-level rows summed).
CREATE TEMPORARY TABLE IF NOT EXISTS rexbit_stock_product (
  id_product INT UNSIGNED NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

-- create_stock_imported --
-- The shop's open orders that rexbit has taken in (their units are in our reservations already).
CREATE TEMPORARY TABLE IF NOT EXISTS rexbit_stock_imported (
  id_order INT UNSIGNED NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

-- clear_stock_item --
-- Empty the item staging.
DELETE FROM rexbit_stock_item;

-- clear_stock_products --
-- Empty the product staging.
DELETE FROM rexbit_stock_product;

-- clear_stock_imported --
-- Empty the imported orders staging.
DELETE FROM rexbit_stock_imported;

-- stage_stock_items --
-- {values}: "(int,int,int)" tuples formatted by the gateway from Python ints only.
INSERT INTO rexbit_stock_item (id_product, id_product_attribute, base) VALUES {values};

-- stage_stock_products --
-- {values}: "(int)" tuples formatted from Python ints only.
INSERT INTO rexbit_stock_product (id_product) VALUES {values};

-- stage_stock_imported --
-- {values}: "(int)" tuples formatted from Python ints only.
INSERT INTO rexbit_stock_imported (id_order) VALUES {values};

-- stock_item_problems --
-- Staged items that are not written: gone from the shop, a pack, the product-level row of a product with
-- combinations (it is their sum), or (no_row) existing but without a stock row for the key.
SELECT s.id_product, s.id_product_attribute,
       p.id_product IS NULL OR (s.id_product_attribute > 0 AND pa.id_product_attribute IS NULL) AS gone,
       COALESCE(p.cache_is_pack = 1 OR k.id_product_pack IS NOT NULL, 0) AS is_pack,
       COALESCE(p.pack_stock_type, 3) AS pack_stock_type,
       s.id_product_attribute = 0 AND c.id_product IS NOT NULL AS has_combinations,
       sa.id_stock_available IS NULL AS no_row
FROM rexbit_stock_item s
LEFT JOIN `{p}product` p ON p.id_product = s.id_product
LEFT JOIN `{p}product_attribute` pa
  ON pa.id_product_attribute = s.id_product_attribute AND pa.id_product = s.id_product
LEFT JOIN (SELECT DISTINCT id_product FROM `{p}product_attribute`) c ON c.id_product = s.id_product
{pack_of_item}
LEFT JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
WHERE p.id_product IS NULL OR (s.id_product_attribute > 0 AND pa.id_product_attribute IS NULL)
   OR p.cache_is_pack = 1 OR k.id_product_pack IS NOT NULL
   OR (s.id_product_attribute = 0 AND c.id_product IS NOT NULL)
   OR sa.id_stock_available IS NULL;

-- drop_stock_items --
-- Leave out the staged items listed in {values} ("(int,int)" tuples).
DELETE FROM rexbit_stock_item WHERE (id_product, id_product_attribute) IN ({values});

-- insert_missing_item_rows --
-- An existing item without a stock row for the key gets one (quantity set by the push right after), with
-- the product's out_of_stock, as PrestaShop's StockAvailable does for a new row.
INSERT INTO `{p}stock_available`
  (id_product, id_product_attribute, id_shop, id_shop_group, quantity, physical_quantity, out_of_stock)
SELECT s.id_product, s.id_product_attribute, %(id_shop)s, %(id_shop_group)s, 0, 0, p.out_of_stock
FROM rexbit_stock_item s
JOIN `{p}product` p ON p.id_product = s.id_product
LEFT JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
WHERE sa.id_stock_available IS NULL;

-- insert_missing_parent_rows --
-- A product with combinations without its product-level row for the key gets one (it holds their sum).
INSERT INTO `{p}stock_available`
  (id_product, id_product_attribute, id_shop, id_shop_group, quantity, physical_quantity, out_of_stock)
SELECT sp.id_product, 0, %(id_shop)s, %(id_shop_group)s, 0, 0, p.out_of_stock
FROM rexbit_stock_product sp
JOIN `{p}product` p ON p.id_product = sp.id_product
LEFT JOIN `{p}stock_available` sa
  ON sa.id_product = sp.id_product AND sa.id_product_attribute = 0
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
WHERE sa.id_stock_available IS NULL
  AND EXISTS (SELECT 1 FROM `{p}product_attribute` pa WHERE pa.id_product = sp.id_product);

-- lock_stock_rows --
-- Every stock row of the batch's products, locked until the batch commits: a checkout that has taken
-- units off already is committed (its order is seen by the next statement, read committed) or waits for
-- us (it then takes its units off what we wrote). Nothing sold between our read and our write is lost.
SELECT sa.id_stock_available
FROM rexbit_stock_product sp
STRAIGHT_JOIN `{p}stock_available` sa
  ON sa.id_product = sp.id_product AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
FOR UPDATE;

-- create_stock_pending --
-- Units of the shop's open orders not taken in by rexbit, per item (read after the lock, then staged).
CREATE TEMPORARY TABLE IF NOT EXISTS rexbit_stock_pending (
  id_product INT UNSIGNED NOT NULL,
  id_product_attribute INT UNSIGNED NOT NULL,
  units INT NOT NULL,
  PRIMARY KEY (id_product, id_product_attribute)
) ENGINE=MEMORY;

-- clear_stock_pending --
-- Empty the pending staging.
DELETE FROM rexbit_stock_pending;

-- stage_stock_pending --
-- {values}: "(int,int,int)" tuples formatted from Python ints only.
INSERT INTO rexbit_stock_pending (id_product, id_product_attribute, units) VALUES {values};

-- pending_units --
-- After the batch's rows are locked (read committed, a plain consistent read: it locks no order row, so
-- a checkout waiting for our lock cannot deadlock with us): the units of the shop's open orders that
-- rexbit has not taken in (PrestaShop took them off at checkout). Open = the shop's reserved rule (state
-- not shipped; valid, or neither error nor cancelled). Pack orders count for their items when the pack's
-- stock type takes stock off its items.
SELECT COALESCE(k.id_product_item, od.product_id) AS id_product,
       COALESCE(k.id_product_attribute_item, od.product_attribute_id) AS id_product_attribute,
       SUM(od.product_quantity * COALESCE(k.quantity, 1)) AS units
FROM `{p}orders` o
JOIN `{p}order_state` os ON os.id_order_state = o.current_state
JOIN `{p}order_detail` od ON od.id_order = o.id_order
{pack_items_join}
WHERE o.id_shop IN %(order_shops)s AND os.shipped = 0
  AND (o.valid = 1 OR o.current_state NOT IN (%(error_state)s, %(canceled_state)s))
  AND NOT EXISTS (SELECT 1 FROM rexbit_stock_imported i WHERE i.id_order = o.id_order)
GROUP BY 1, 2;

-- write_item_quantities --
-- One statement per batch, with the rows locked: quantity = base − pending units, never below 0;
-- physical = quantity + reserved. Rows already holding the values are left alone unless full.
UPDATE rexbit_stock_item s
STRAIGHT_JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
LEFT JOIN rexbit_stock_pending pending
  ON pending.id_product = s.id_product AND pending.id_product_attribute = s.id_product_attribute
SET sa.quantity = GREATEST(0, s.base - COALESCE(pending.units, 0)),
    sa.physical_quantity = GREATEST(0, s.base - COALESCE(pending.units, 0)) + sa.reserved_quantity
WHERE %(full)s = 1
   OR sa.quantity <> GREATEST(0, s.base - COALESCE(pending.units, 0))
   OR sa.physical_quantity <> GREATEST(0, s.base - COALESCE(pending.units, 0)) + sa.reserved_quantity;

-- write_parent_quantities --
-- The product-level row of a product with combinations = the sum of its combination rows (as PrestaShop
-- keeps it), physical = quantity + reserved.
UPDATE `{p}stock_available` sa
JOIN (
  SELECT c.id_product, SUM(c.quantity) AS quantity
  FROM rexbit_stock_product sp
  STRAIGHT_JOIN `{p}stock_available` c
    ON c.id_product = sp.id_product AND c.id_product_attribute > 0
   AND c.id_shop = %(id_shop)s AND c.id_shop_group = %(id_shop_group)s
  GROUP BY c.id_product
) total ON total.id_product = sa.id_product
SET sa.quantity = total.quantity, sa.physical_quantity = total.quantity + sa.reserved_quantity
WHERE sa.id_product_attribute = 0 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
  AND (%(full)s = 1 OR sa.quantity <> total.quantity
       OR sa.physical_quantity <> total.quantity + sa.reserved_quantity);

-- staged_quantities --
-- The staged items' quantities as this transaction wrote them (read back before a dry run rolls back).
SELECT s.id_product, s.id_product_attribute, sa.quantity
FROM rexbit_stock_item s
STRAIGHT_JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s;

-- open_order_ids --
-- The shop's open orders (its reserved rule), to ask rexbit which of them it has taken in.
SELECT o.id_order
FROM `{p}orders` o
JOIN `{p}order_state` os ON os.id_order_state = o.current_state
WHERE o.id_shop IN %(order_shops)s AND os.shipped = 0
  AND (o.valid = 1 OR o.current_state NOT IN (%(error_state)s, %(canceled_state)s));

-- item_quantities --
-- What the shop has now for some items (the product detail's "shop now").
SELECT sa.id_product, sa.id_product_attribute, sa.quantity, sa.reserved_quantity, sa.physical_quantity
FROM `{p}stock_available` sa
WHERE sa.id_product IN %(products)s AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s;

-- order_state_flags --
-- Every order state's flags: logable (orders.valid), invoice and delivery (documents PrestaShop numbers).
SELECT id_order_state, logable, invoice, delivery, shipped FROM `{p}order_state`;

-- set_order_valid --
-- orders.valid from the new state's logable, as OrderHistory::changeIdOrderState sets it.
UPDATE `{p}orders` o JOIN `{p}order_state` os ON os.id_order_state = %(state)s
SET o.valid = os.logable
WHERE o.id_order = %(id_order)s;

-- recompute_order_reserved --
-- reserved_quantity of the order's products with the shop's own rule (StockAvailableRepository /
-- StockManager::updatePhysicalProductQuantity): Σ(product_quantity − product_quantity_refunded) over the
-- shop's orders whose current state is not shipped and which are valid or in neither the error nor the
-- cancelled state, packs counted for their items too; physical = quantity + reserved. The product-level
-- row of a product with combinations is left as the shop leaves it.
UPDATE `{p}stock_available` sa
LEFT JOIN (
  SELECT x.id_product, x.id_product_attribute, SUM(x.units) AS units
  FROM (
    SELECT od.product_id AS id_product, od.product_attribute_id AS id_product_attribute,
           od.product_quantity - od.product_quantity_refunded AS units
    FROM `{p}orders` o
    JOIN `{p}order_state` os ON os.id_order_state = o.current_state
    JOIN `{p}order_detail` od ON od.id_order = o.id_order
    WHERE o.id_shop IN %(order_shops)s AND os.shipped = 0
      AND (o.valid = 1 OR o.current_state NOT IN (%(error_state)s, %(canceled_state)s))
    {pack_union}
  ) x
  GROUP BY x.id_product, x.id_product_attribute
) r ON r.id_product = sa.id_product AND r.id_product_attribute = sa.id_product_attribute
SET sa.reserved_quantity = COALESCE(r.units, 0), sa.physical_quantity = sa.quantity + COALESCE(r.units, 0)
WHERE sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
  AND sa.id_product IN (SELECT d.product_id FROM `{p}order_detail` d WHERE d.id_order = %(id_order)s {pack_items})
  AND NOT (sa.id_product_attribute = 0
           AND EXISTS (SELECT 1 FROM `{p}product_attribute` pa WHERE pa.id_product = sa.id_product));
