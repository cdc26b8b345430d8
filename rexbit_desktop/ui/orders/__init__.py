"""Zamówienia: the orders list, detail, settings and the new-order form."""
