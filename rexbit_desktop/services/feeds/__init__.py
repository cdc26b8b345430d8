"""Supplier feeds: import runs (read the feed in chunks, stage the rows, apply them at once).

Rooms: ``imports`` (reading a feed into chunks, and running a whole run in-process with ``--now``),
``runs`` (the run row: start, fail, history), ``staging`` (one chunk into ``import_staged_rows``),
``apply`` (the one set-based transaction). The integrations and their import profiles are in
``services/integrations.py``; the readers (CSV, XML, download) in ``adapters/feeds/``.
"""
