"""Shared test helpers, imported as ``tests.support.…`` (``pythonpath = ["."]`` in pyproject.toml).

``wait`` (``wait_for``: the one way tests poll for a condition), ``workers`` (real ``rexbit`` processes),
``orders`` and ``orders_seed`` (warehouses, products, orders), ``shop`` (the PrestaShop tables on
MariaDB), ``carriers`` (local InPost/DPD servers), ``mail`` and ``imap`` (local SMTP/IMAP servers, pytest
plugins), ``kpi`` (the KPI fixture), ``ui_language`` (Polish-mode text checks of the windows), ``ui`` (``make_ctx``: the desktop context for widget tests).
"""
