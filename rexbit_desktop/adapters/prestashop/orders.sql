-- Named statements for the shop's orders (the import and the status written back), in the format of
-- queries.sql: "-- name --", a comment line, the statement. {p} is the validated table prefix.

-- order_state_configuration --
-- The PS_OS_* ids of the shop's order states: global rows first, so the shop's own rows override them.
SELECT name, value FROM `{p}configuration`
WHERE name IN %(names)s AND (id_shop IS NULL OR id_shop = %(id_shop)s)
ORDER BY id_shop IS NOT NULL, id_configuration;

-- order_state_names --
-- Every order state with its name in one language (for the run's messages and history comments).
SELECT os.id_order_state, COALESCE(osl.name, '')
FROM `{p}order_state` os
LEFT JOIN `{p}order_state_lang` osl ON osl.id_order_state = os.id_order_state AND osl.id_lang = %(id_lang)s;

-- shop_clock --
-- The shop's clock and the time zone it writes date_add/date_upd in.
SELECT NOW(),
       (SELECT value FROM `{p}configuration` WHERE name = 'PS_TIMEZONE' AND id_shop IS NULL
        AND id_shop_group IS NULL ORDER BY id_configuration DESC LIMIT 1);

-- orders_page --
-- One page of the shop's orders changed after the cursor (date_upd, id_order), oldest change first.
SELECT o.id_order, o.reference, o.id_carrier, o.id_customer, o.id_currency, o.id_address_delivery,
       o.id_address_invoice, o.current_state, o.payment, o.module, o.total_paid, o.total_paid_real,
       o.total_shipping_tax_incl, o.total_discounts_tax_incl, o.total_discounts_tax_excl, o.date_add,
       o.date_upd, l.iso_code
FROM `{p}orders` o
LEFT JOIN `{p}lang` l ON l.id_lang = o.id_lang
WHERE o.id_shop = %(id_shop)s
  AND (o.date_upd > %(after_date)s OR (o.date_upd = %(after_date)s AND o.id_order > %(after_id)s))
ORDER BY o.date_upd, o.id_order
LIMIT %(limit)s;

-- orders_by_ids --
-- The shop orders an earlier run could not take in, read again by id (same columns as orders_page).
SELECT o.id_order, o.reference, o.id_carrier, o.id_customer, o.id_currency, o.id_address_delivery,
       o.id_address_invoice, o.current_state, o.payment, o.module, o.total_paid, o.total_paid_real,
       o.total_shipping_tax_incl, o.total_discounts_tax_incl, o.total_discounts_tax_excl, o.date_add,
       o.date_upd, l.iso_code
FROM `{p}orders` o
LEFT JOIN `{p}lang` l ON l.id_lang = o.id_lang
WHERE o.id_shop = %(id_shop)s AND o.id_order IN %(ids)s
ORDER BY o.id_order;

-- order_lines --
-- The lines of a page of orders.
SELECT d.id_order, d.id_order_detail, d.product_id, COALESCE(d.product_attribute_id, 0), d.product_name,
       d.product_quantity, d.product_reference, d.product_ean13, d.unit_price_tax_incl,
       d.unit_price_tax_excl, d.tax_rate
FROM `{p}order_detail` d
WHERE d.id_order IN %(ids)s
ORDER BY d.id_order, d.id_order_detail;

-- order_addresses --
-- The delivery and invoice addresses of a page of orders, with the country's iso code.
SELECT a.id_address, a.company, a.firstname, a.lastname, a.address1, a.address2, a.postcode, a.city,
       c.iso_code, a.phone, a.phone_mobile, a.vat_number
FROM `{p}address` a
LEFT JOIN `{p}country` c ON c.id_country = a.id_country
WHERE a.id_address IN %(ids)s;

-- order_customers --
-- The customers of a page of orders.
SELECT id_customer, firstname, lastname, email, company FROM `{p}customer` WHERE id_customer IN %(ids)s;

-- order_carriers --
-- The carriers of a page of orders: the name is our delivery method, url the tracking link ('@' = number).
SELECT id_carrier, name, url FROM `{p}carrier` WHERE id_carrier IN %(ids)s;

-- order_currencies --
-- The currencies of a page of orders.
SELECT id_currency, iso_code FROM `{p}currency` WHERE id_currency IN %(ids)s;

-- lock_order --
-- The order whose state is written, locked for the transaction.
SELECT current_state FROM `{p}orders` WHERE id_order = %(id_order)s AND id_shop = %(id_shop)s FOR UPDATE;

-- set_order_state --
-- The order's current state (date_upd as PrestaShop's own state change sets it).
UPDATE `{p}orders` SET current_state = %(state)s, date_upd = NOW() WHERE id_order = %(id_order)s;

-- add_order_history --
-- The state change in the order's history, as made by no employee (id_employee 0: an integration).
INSERT INTO `{p}order_history` (id_employee, id_order, id_order_state, date_add)
VALUES (0, %(id_order)s, %(state)s, NOW());

-- order_carrier --
-- The order's (last) carrier row, where its tracking number lives, with the carrier's tracking url.
SELECT oc.id_order_carrier, oc.tracking_number, c.url
FROM `{p}order_carrier` oc
LEFT JOIN `{p}carrier` c ON c.id_carrier = oc.id_carrier
WHERE oc.id_order = %(id_order)s
ORDER BY oc.id_order_carrier DESC LIMIT 1;

-- set_tracking_number --
-- The tracking number of the order's carrier row.
UPDATE `{p}order_carrier` SET tracking_number = %(tracking)s WHERE id_order_carrier = %(id_order_carrier)s;

-- add_order_carrier --
-- An order without a carrier row (PrestaShop always makes one; an order typed into the database may not).
INSERT INTO `{p}order_carrier` (id_order, id_carrier, tracking_number, date_add)
SELECT id_order, id_carrier, %(tracking)s, NOW() FROM `{p}orders` WHERE id_order = %(id_order)s;

-- carrier_url --
-- The tracking url of the order's carrier.
SELECT c.url FROM `{p}orders` o JOIN `{p}carrier` c ON c.id_carrier = o.id_carrier WHERE o.id_order = %(id_order)s;
