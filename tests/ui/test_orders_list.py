"""*Lista zamówień* on a real database: rows, filters, server-side sort, paging, memory, CSV export."""

from __future__ import annotations

from PySide6.QtCore import QDate, QModelIndex, Qt

from rexbit_desktop.domain.roles import Role
from rexbit_desktop.ui.main_window import MainWindow
from rexbit_desktop.ui.orders import list_panel as list_module
from rexbit_desktop.ui.orders.list_panel import OrderListPanel
from rexbit_desktop.ui.orders.view import OrdersView
from rexbit_desktop.ui.widgets.paged_model import ROW_ROLE
from tests.support.orders_seed import seed_orders
from tests.support.ui import make_ctx


def _num(i: int) -> str:
    return f"ZAM/2026/11/{i:05d}"


def _numbers(panel: OrderListPanel) -> list[str]:
    return [r.number for r in panel.model.rows]


def _load_all(panel: OrderListPanel) -> None:
    while panel.model.canFetchMore(QModelIndex()):
        panel.model.fetchMore(QModelIndex())


def _panel(qtbot, ctx) -> OrderListPanel:  # type: ignore[no-untyped-def]
    panel = OrderListPanel(ctx)
    qtbot.addWidget(panel)
    panel.refresh()
    return panel


def test_list_shows_orders_newest_first_with_words_and_colours(qtbot, db, ctx, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    assert _numbers(panel)[:3] == [_num(30), _num(29), _num(28)]
    assert panel.count_label.text() == "Zamówień: 30"
    m = panel.model
    row0 = [m.index(0, c).data() for c in range(m.columnCount())]
    # order 30: customer 0 (Jan Kowalski), status 30%6=0 draft, payment pending, shop, warehouse SKLEP
    assert row0[:6] == [
        _num(30),
        "Jan Kowalski",
        "300,00\u00a0zł",
        "Szkic",
        "Nieopłacone",
        "Niezarezerwowane",
    ]
    assert row0[6:8] == ["SKLEP", "Sklep"]
    assert m.index(1, 7).data() == "ręczne"
    assert m.index(0, 3).data(Qt.ItemDataRole.DecorationRole).name() == "#9e9e9e"
    assert [m.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "Numer",
        "Klient",
        "Wartość brutto",
    ]
    qtmodeltester.check(m)


def test_filters_narrow_the_list_on_the_server(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    bar = panel.filters
    status = bar.combos["status"]
    status.setCurrentIndex(status.findData("paid"))
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(30, 0, -1) if i % 6 == 2]
    assert panel.count_label.text() == "Zamówień: 5"
    status.setCurrentIndex(0)
    source = bar.combos["integration"]
    assert source.itemText(1) == "Wprowadzone ręcznie"
    source.setCurrentIndex(source.findData(seeded.shop_id))
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(30, 0, -1) if i % 2 == 0]
    source.setCurrentIndex(1)  # typed in by hand
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(30, 0, -1) if i % 2 == 1]
    source.setCurrentIndex(0)
    payment = bar.combos["payment"]
    payment.setCurrentIndex(payment.findData("refunded"))
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(30, 0, -1) if i % 6 == 5]
    payment.setCurrentIndex(0)
    for ch in "Żółć":  # Polish text, character by character
        bar.search.insert(ch)
    bar.flush()
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(30, 0, -1) if i % 5 == 3]
    bar.search.clear()
    qtbot.keyClicks(bar.search, "rare-14")
    bar.flush()
    assert _numbers(panel) == [_num(14)]


def test_date_range_uses_whole_local_days(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    from tests.support.orders_seed import BASE_TIME

    seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    bar = panel.filters
    first = (BASE_TIME.astimezone()).date()
    assert bar.date_from and bar.date_to and bar.date_from_on and bar.date_to_on
    bar.date_from.setDate(QDate(first.year, first.month, first.day).addDays(3))
    bar.date_to.setDate(QDate(first.year, first.month, first.day).addDays(5))
    bar.date_from_on.setChecked(True)
    bar.date_to_on.setChecked(True)
    _load_all(panel)
    assert _numbers(panel) == [_num(5), _num(4), _num(3)]


def test_clicking_a_header_sorts_on_the_server(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    header = panel.table.horizontalHeader()
    header.setSortIndicator(2, Qt.SortOrder.AscendingOrder)  # gross total, ascending
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(1, 31)]
    header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    assert _numbers(panel)[0] == _num(30)


def test_pages_arrive_as_the_user_scrolls(qtbot, db, ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(list_module, "PAGE_SIZE", 8)
    seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    panel.resize(900, 300)
    panel.show()
    assert panel.model.rowCount() < 30
    before = panel.model.rowCount()
    panel.table.scrollToBottom()
    qtbot.waitUntil(lambda: panel.model.rowCount() > before, timeout=3000)
    _load_all(panel)
    assert _numbers(panel) == [_num(i) for i in range(30, 0, -1)]


def test_filters_sort_and_widths_are_remembered_per_user(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    panel.filters.combos["status"].setCurrentIndex(panel.filters.combos["status"].findData("shipped"))
    panel.table.horizontalHeader().setSortIndicator(2, Qt.SortOrder.AscendingOrder)
    panel.table.horizontalHeader().resizeSection(1, 333)
    panel.save_state()

    again = _panel(qtbot, ctx)
    assert again.filters.combo_value("status") == "shipped"
    assert again.table.horizontalHeader().sectionSize(1) == 333
    _load_all(again)
    assert _numbers(again) == [_num(i) for i in range(1, 31) if i % 6 == 4]

    other_user = _panel(qtbot, make_ctx(db, Role.OPERATOR, login="ewa"))
    assert other_user.filters.combo_value("status") is None
    assert len(other_user.model.rows) == 30


def test_csv_export_of_the_filtered_list(qtbot, db, ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 30)
    panel = _panel(qtbot, ctx)
    panel.filters.combos["status"].setCurrentIndex(panel.filters.combos["status"].findData("paid"))
    target = tmp_path / "zamówienia.csv"
    done: list[int] = []
    panel.export_csv(target, on_done=done.append)
    assert done == [5]
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["Numer zamówienia", "Klient", "E-mail klienta", "Wartość brutto"]
    assert [ln.split(";")[0] for ln in lines[1:]] == [_num(i) for i in (26, 20, 14, 8, 2)]
    assert lines[1].split(";")[3] == "260,00"
    # codes as words, each followed by a column with the code (defect 3: no raw `partially_paid`)
    header = lines[0].split(";")
    status, payment = header.index("Status"), header.index("Płatność")
    assert header[status + 1] == "Status (kod)" and header[payment + 1] == "Płatność (kod)"
    assert lines[1].split(";")[status : status + 2] == ["Opłacone", "paid"]
    assert all(
        ln.split(";")[payment] in ("Nieopłacone", "Opłacone", "Częściowo opłacone") for ln in lines[1:]
    )
    assert not (tmp_path / "zamówienia.csv.part").exists()
    assert ctx.dialogs.infos[-1][0] == "Eksport zakończony"


def test_enter_opens_the_detail_of_the_current_order(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 5)
    opened: list[str] = []
    panel = OrderListPanel(ctx, open_detail=opened.append)
    qtbot.addWidget(panel)
    panel.refresh()
    panel.table.setCurrentIndex(panel.model.index(1, 0))
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert opened == [_num(4)]
    assert panel.model.index(1, 0).data(ROW_ROLE).number == _num(4)


def test_orders_view_in_the_main_window(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 3)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    view = window.show_view("orders")  # the Pulpit comes first
    assert isinstance(view, OrdersView)
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "Lista zamówień",
        "Ustawienia",
        "Reguły automatyzacji",
        "Webhooki",
        "E-mail",  # an admin's: operators do not get it (tests/ui/test_mail_settings.py)
    ]
    assert len(view.list_panel.model.rows) == 3
    view.focus_search()
    assert view.tabs.currentWidget() is view.list_panel


def test_a_failing_query_shows_an_error_dialog(qtbot, db, ctx) -> None:  # type: ignore[no-untyped-def]
    seed_orders(db, 3)
    panel = _panel(qtbot, ctx)
    panel.filters.search.setText("x" * 300)  # the service refuses a too long search text
    panel.filters.flush()
    assert ctx.dialogs.errors[-1][0] == "Szukany tekst jest za długi (najwyżej 200 znaków)."


def test_the_list_loads_on_the_thread_pool_without_blocking(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer

    seed_orders(db, 30)
    ctx = make_ctx(db, Role.OPERATOR, sync=False)  # the real QThreadPool runner
    panel = OrderListPanel(ctx)
    qtbot.addWidget(panel)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    panel.refresh()
    assert panel.model.rowCount() == 0  # refresh returned at once; the rows come later
    qtbot.waitUntil(
        lambda: len(panel.model.rows) == 30 and panel.count_label.text() == "Zamówień: 30", timeout=10000
    )
    panel.filters.search.setText("kowalski")
    qtbot.waitUntil(lambda: len(panel.model.rows) == 6, timeout=10000)
    timer.stop()
    assert ticks  # the event loop kept running while the pool read the database
    assert ctx.dialogs.errors == []
    ctx.runner.wait()
