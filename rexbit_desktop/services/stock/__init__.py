"""Stock: warehouses, receipts (PZ), reservations and shortages, WZ issue, storno, expiry, and the
warehouse documents (gap-free numbering, the stock ledger).

Rooms: ``stock`` (the stock operations), ``documents`` (numbering, deadlock retries, document DTOs).
"""
