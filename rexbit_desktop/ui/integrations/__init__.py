"""Integracje: supplier feeds and PrestaShop connections, import profiles, runs."""
