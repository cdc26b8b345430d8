"""Stock: warehouses, receipts (PZ), reservations and shortages, WZ issue, storno, expiry, and the
warehouse documents (gap-free numbering, the stock ledger).

Rooms: ``stock`` (warehouses, receipts, levels, the shortages list, and the lock order every module
follows), ``reservations`` (reserve, shortages, release, expiry), ``issues`` (WZ issue, storno IN),
``ledger`` (locked stock rows, set-based deltas with ledger rows, an order's lines), ``dto``,
``documents`` (numbering, deadlock retries, document DTOs).
"""
