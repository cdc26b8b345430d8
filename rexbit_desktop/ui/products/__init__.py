"""Produkty: stock per warehouse, supplier offers, shop links; link / unlink; receive stock (PZ)."""
