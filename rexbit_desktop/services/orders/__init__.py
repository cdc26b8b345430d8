"""Orders: creating them (from the shop's or the CLI's JSON, or by hand), the detail, commands (notes,
reserve, cancel, ship), the status workflow and its listeners, the list read model, order settings and
the printed documents.

Rooms: ``orders`` (create, place, get, notes, reserve, cancel, ship, WZ), ``payload`` (the order JSON,
parsed and checked), ``dto``, ``detail`` (one order with everything the detail shows), ``workflow``
(status changes and listeners), ``queries`` (the list: filter, sort, keyset paging, CSV), ``settings``,
``pdfs``.
"""
