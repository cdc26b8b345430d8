"""The order window loads in one unit of work (one connection, the settings read once) and prints the
confirmation / packing list from the detail it already holds (no second read of the order)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import event

from rexbit_desktop.domain.roles import Role
from rexbit_desktop.services.stock import stock
from rexbit_desktop.ui.orders.detail import OrderDetailDialog
from tests.support.orders import add_products, create, setup_warehouse
from tests.support.ui import make_ctx


class _Watch:
    """Connections checked out of the pool and statements sent, while active."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.checkouts = 0
        self.statements: list[str] = []

    def _checkout(self, *_a) -> None:  # type: ignore[no-untyped-def]
        self.checkouts += 1

    def _execute(self, _conn, _cursor, statement, *_a) -> None:  # type: ignore[no-untyped-def]
        self.statements.append(statement)

    def __enter__(self) -> _Watch:
        event.listen(self.engine.pool, "checkout", self._checkout)
        event.listen(self.engine, "before_cursor_execute", self._execute)
        return self

    def __exit__(self, *_exc) -> None:  # type: ignore[no-untyped-def]
        event.remove(self.engine.pool, "checkout", self._checkout)
        event.remove(self.engine, "before_cursor_execute", self._execute)


def test_one_load_is_one_unit_of_work_and_printing_reuses_it(qtbot, db, system_actor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup_warehouse(db, system_actor)
    add_products(db, "A-1")
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    order = create(db, system_actor, ("A-1", 2))
    ctx = make_ctx(db, Role.ADMIN)
    ctx.set_setting("documents/folder", str(tmp_path / "docs"))
    d = OrderDetailDialog(ctx, order.number)
    qtbot.addWidget(d)
    printed: list[Path] = []

    def to_pdf_file(printer, _parent, kind: str) -> bool:  # type: ignore[no-untyped-def]
        out = tmp_path / f"printed-{kind}.pdf"
        printer.setOutputFormat(printer.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printed.append(out)
        return True

    d.printing.ask = to_pdf_file
    with _Watch(db.engine) as load:
        d.load()
    assert d.order is not None and d.order.number == order.number
    assert load.checkouts == 1, load.checkouts
    settings_reads = [s for s in load.statements if "FROM order_settings" in s]
    assert len(settings_reads) == 1, settings_reads

    with _Watch(db.engine) as printing:
        d.print_document("packing")
    assert printing.checkouts == 0 and printing.statements == []  # built from the detail on screen
    saved = sorted((tmp_path / "docs").rglob("packing-*.pdf"))
    assert saved, list(tmp_path.rglob("*"))
    text = subprocess.run(
        ["pdftotext", str(saved[0]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert order.number in text and "A-1" in text
