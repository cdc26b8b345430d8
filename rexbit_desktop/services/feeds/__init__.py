"""Supplier feeds: import runs (read the feed in chunks, stage the rows, apply them at once).

Rooms: ``imports`` (runs, chunks, staging, applying). The integrations and their import profiles are in
``services/integrations.py``; the readers (CSV, XML, download) in ``adapters/feeds/``.
"""
