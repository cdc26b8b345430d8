"""The PrestaShop shop: the connection, our catalog from the shop, supplier availability to the shop,
orders from the shop and their statuses flowing back.

Rooms: ``connection`` (load an integration, open its database, the connection test), ``catalog``
(``products pull``), ``availability`` (``supplier sync-availability``), ``orders`` (``orders
sync-external`` and the status flowback listener).
"""
