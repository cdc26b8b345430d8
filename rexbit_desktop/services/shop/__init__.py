"""The PrestaShop shop: the connection, our catalog from the shop, supplier availability to the shop,
orders from the shop and their statuses flowing back.

Rooms: ``connection`` (load an integration, open its database, the connection test), ``catalog``
(``products pull``), ``availability`` (``supplier sync-availability``), ``availability_plan`` (what
a sync writes: read, decide, batches), ``availability_write`` (one run's context: writing and recording
the batches), ``availability_runs`` (past sync runs, what was last written), ``orders`` (``orders
sync-external``: pages, cursor, retries), ``order_mapping`` (a shop order → our new order, pure),
``order_source`` (opening the shop for the import), ``order_cursor`` (where the next run starts, retries), ``flowback`` (statuses back to the shop, the shop
order shown in the detail), ``stock`` (``shop push-stock``: our stock into the shop's quantity), ``stock_read`` (our side of a push,
in one snapshot), ``stock_views`` (the push as the UI shows it), ``run_result`` (what a write run into
the shop returns).
"""
