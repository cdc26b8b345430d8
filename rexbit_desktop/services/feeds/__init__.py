"""Supplier feeds: import runs (read the feed in chunks, stage the rows, apply them at once).

Rooms: ``imports`` (the run protocol, once: chunks run inline with ``--now`` or as queued chunk jobs,
who applies, the run's end), ``reading`` (a feed read into chunks), ``runs`` (the run row: start —
``queue_import`` —, fail, history), ``run_liveness`` (runs whose jobs are all gone), ``staging`` (one chunk into ``import_staged_rows``),
``apply`` (the one set-based transaction). The integrations and their import profiles are in
``services/integrations.py``; the readers (CSV, XML, download) in ``adapters/feeds/``.
"""
