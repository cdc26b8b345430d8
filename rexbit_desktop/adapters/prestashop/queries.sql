-- Named statements for the PrestaShop database, procrastinate-style: "-- name --", then a comment line,
-- then the statement. Parameters are pymysql's %(name)s. {p} is the table prefix, validated as
-- ^[A-Za-z0-9_]{0,32}$ before it is put in (identifiers cannot be parameters).

-- schema_columns --
-- Tables and columns present under the prefix, to check what the integration uses.
SELECT TABLE_NAME, COLUMN_NAME
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN %(tables)s;

-- server_version --
-- The MySQL / MariaDB server version.
SELECT VERSION();

-- configuration_value --
-- A global configuration value (shop and group NULL) such as PS_VERSION_DB or PS_LANG_DEFAULT.
SELECT value FROM `{p}configuration`
WHERE name = %(name)s AND id_shop IS NULL AND id_shop_group IS NULL
ORDER BY id_configuration DESC LIMIT 1;

-- shop --
-- The configured shop, its group and whether the group shares stock (that decides stock row keys).
SELECT s.id_shop, s.name, s.active, g.id_shop_group, g.name, g.share_stock
FROM `{p}shop` s JOIN `{p}shop_group` g ON g.id_shop_group = s.id_shop_group
WHERE s.id_shop = %(id_shop)s AND s.deleted = 0;

-- shop_languages --
-- Languages of the shop (active or not), default first is not guaranteed.
SELECT l.id_lang, l.iso_code, l.name, l.active
FROM `{p}lang` l JOIN `{p}lang_shop` ls ON ls.id_lang = l.id_lang
WHERE ls.id_shop = %(id_shop)s
ORDER BY l.id_lang;

-- catalog_products --
-- Products with their name in one language of the shop and how many combinations they have.
SELECT p.id_product, p.reference, p.ean13, pl.name,
       (SELECT COUNT(*) FROM `{p}product_attribute` pa WHERE pa.id_product = p.id_product) AS combinations
FROM `{p}product` p
LEFT JOIN `{p}product_lang` pl
  ON pl.id_product = p.id_product AND pl.id_shop = %(id_shop)s AND pl.id_lang = %(id_lang)s
ORDER BY p.id_product;

-- catalog_combinations --
-- Every combination (a sellable variant of a product).
SELECT pa.id_product_attribute, pa.id_product, pa.reference, pa.ean13
FROM `{p}product_attribute` pa
ORDER BY pa.id_product, pa.id_product_attribute;

-- create_stage_item --
-- Staging for decisions per product (id_product_attribute = 0) and combination; temporary: it lives and
-- dies with this connection. id_text points at the texts of the decision in rexbit_stage_text.
-- MEMORY: no undo/redo for rows that only live for one batch (cleared at the start of each batch).
CREATE TEMPORARY TABLE IF NOT EXISTS rexbit_stage_item (
  id_product INT UNSIGNED NOT NULL,
  id_product_attribute INT UNSIGNED NOT NULL,
  out_of_stock TINYINT UNSIGNED NOT NULL,
  id_text INT UNSIGNED NOT NULL,
  PRIMARY KEY (id_product, id_product_attribute)
) ENGINE=MEMORY;

-- create_stage_text --
-- The texts of each distinct decision, per language (a run has only a handful of distinct decisions,
-- so they are sent once, not once per product).
CREATE TEMPORARY TABLE IF NOT EXISTS rexbit_stage_text (
  id_text INT UNSIGNED NOT NULL,
  id_lang INT UNSIGNED NOT NULL,
  available_now VARCHAR(255) NOT NULL,
  available_later VARCHAR(255) NOT NULL,
  PRIMARY KEY (id_text, id_lang)
) ENGINE=MEMORY DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- clear_stage_item --
-- Empty the item staging.
DELETE FROM rexbit_stage_item;

-- clear_stage_text --
-- Empty the text staging.
DELETE FROM rexbit_stage_text;

-- stage_items --
-- Many decisions at once. {values} is a list of "(int,int,int,int)" tuples built by the gateway from
-- Python ints only (never text): formatting 100,000 integers is 10× faster than escaping them.
INSERT INTO rexbit_stage_item (id_product, id_product_attribute, out_of_stock, id_text)
VALUES {values};

-- stage_text --
-- The texts of one decision in one language (executemany).
INSERT INTO rexbit_stage_text (id_text, id_lang, available_now, available_later)
VALUES (%s, %s, %s, %s);

-- staged_missing_in_shop --
-- Staged products or combinations that no longer exist in the shop (deleted since they were linked):
-- gone = 1; and, in the same pass, staged items that exist but have no stock row for the key: gone = 0
-- (only then does the batch run insert_missing_stock_available).
SELECT s.id_product, s.id_product_attribute,
       p.id_product IS NULL OR (s.id_product_attribute > 0 AND pa.id_product_attribute IS NULL) AS gone
FROM rexbit_stage_item s
LEFT JOIN `{p}product` p ON p.id_product = s.id_product
LEFT JOIN `{p}product_attribute` pa
  ON pa.id_product_attribute = s.id_product_attribute AND pa.id_product = s.id_product
LEFT JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
WHERE p.id_product IS NULL OR (s.id_product_attribute > 0 AND pa.id_product_attribute IS NULL)
   OR sa.id_stock_available IS NULL;

-- drop_staged_missing --
-- Leave out what the shop no longer has: its leftover rows (if any) are not ours to write.
DELETE s FROM rexbit_stage_item s
LEFT JOIN `{p}product` p ON p.id_product = s.id_product
LEFT JOIN `{p}product_attribute` pa
  ON pa.id_product_attribute = s.id_product_attribute AND pa.id_product = s.id_product
WHERE p.id_product IS NULL OR (s.id_product_attribute > 0 AND pa.id_product_attribute IS NULL);

-- update_stock_available --
-- Set out_of_stock on the rows keyed as the shop's stock sharing requires. Only out_of_stock:
-- quantity and reserved_quantity belong to the shop.
-- STRAIGHT_JOIN: driven by the staging (the batch), not by the shop's table, whatever its size.
-- Rows that already hold the value are left alone (no lock, no undo, nothing buffered).
UPDATE rexbit_stage_item s
STRAIGHT_JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
SET sa.out_of_stock = s.out_of_stock
WHERE sa.out_of_stock <> s.out_of_stock;

-- insert_missing_stock_available --
-- A product that exists but has no stock row for this key gets one, as PrestaShop's
-- StockAvailable::setProductOutOfStock does; quantity keeps its default. Only rows that are missing:
-- INSERT … ON DUPLICATE KEY would burn an auto-increment id per row on every run.
INSERT INTO `{p}stock_available` (id_product, id_product_attribute, id_shop, id_shop_group, out_of_stock)
SELECT s.id_product, s.id_product_attribute, %(id_shop)s, %(id_shop_group)s, s.out_of_stock
FROM rexbit_stage_item s
JOIN `{p}product` p ON p.id_product = s.id_product
LEFT JOIN `{p}product_attribute` pa
  ON pa.id_product_attribute = s.id_product_attribute AND pa.id_product = s.id_product
LEFT JOIN `{p}stock_available` sa
  ON sa.id_product = s.id_product AND sa.id_product_attribute = s.id_product_attribute
 AND sa.id_shop = %(id_shop)s AND sa.id_shop_group = %(id_shop_group)s
WHERE sa.id_stock_available IS NULL AND (s.id_product_attribute = 0 OR pa.id_product_attribute IS NOT NULL);

-- update_product_lang --
-- Product-level texts, for this shop, in the staged languages.
-- STRAIGHT_JOIN: staging first, then product_lang by its primary key (id_product, id_shop, id_lang).
-- Rows whose texts are already exactly these (compared as bytes: the column collation would call
-- "Dostępny" and "dostępny" equal) are left alone.
UPDATE rexbit_stage_item s
STRAIGHT_JOIN rexbit_stage_text t ON t.id_text = s.id_text
STRAIGHT_JOIN `{p}product_lang` pl
  ON pl.id_product = s.id_product AND pl.id_shop = %(id_shop)s AND pl.id_lang = t.id_lang
SET pl.available_now = t.available_now, pl.available_later = t.available_later
WHERE s.id_product_attribute = 0
  AND NOT (BINARY pl.available_now <=> BINARY t.available_now
           AND BINARY pl.available_later <=> BINARY t.available_later);

-- update_product_attribute_lang --
-- Combination texts (PrestaShop 8.1+: product_attribute_lang has available_now and available_later).
UPDATE rexbit_stage_item s
STRAIGHT_JOIN rexbit_stage_text t ON t.id_text = s.id_text
STRAIGHT_JOIN `{p}product_attribute_lang` pal
  ON pal.id_product_attribute = s.id_product_attribute AND pal.id_lang = t.id_lang
SET pal.available_now = t.available_now, pal.available_later = t.available_later
WHERE s.id_product_attribute > 0
  AND NOT (BINARY pal.available_now <=> BINARY t.available_now
           AND BINARY pal.available_later <=> BINARY t.available_later);

-- update_product_attribute_lang_now --
-- Combination texts where the table has only available_now.
UPDATE rexbit_stage_item s
STRAIGHT_JOIN rexbit_stage_text t ON t.id_text = s.id_text
STRAIGHT_JOIN `{p}product_attribute_lang` pal
  ON pal.id_product_attribute = s.id_product_attribute AND pal.id_lang = t.id_lang
SET pal.available_now = t.available_now
WHERE s.id_product_attribute > 0 AND NOT (BINARY pal.available_now <=> BINARY t.available_now);

-- update_product_attribute_lang_later --
-- Combination texts where the table has only available_later.
UPDATE rexbit_stage_item s
STRAIGHT_JOIN rexbit_stage_text t ON t.id_text = s.id_text
STRAIGHT_JOIN `{p}product_attribute_lang` pal
  ON pal.id_product_attribute = s.id_product_attribute AND pal.id_lang = t.id_lang
SET pal.available_later = t.available_later
WHERE s.id_product_attribute > 0 AND NOT (BINARY pal.available_later <=> BINARY t.available_later);

-- connection_id --
-- This connection's id on the server (tests kill it to simulate a lost connection).
SELECT CONNECTION_ID();
