"""Our product catalog: import from CSV, list and show with stock and supplier offers, link offers.

Rooms: ``products``.
"""
