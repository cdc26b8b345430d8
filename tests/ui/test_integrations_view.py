"""Integracje: create a supplier feed, a profile with the mappings editor and preview, import now (with
errors and line numbers, and cancel), queue an import, link products; PrestaShop: test connection, sync
now, the password never shown; roles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QPushButton
from sqlalchemy import text

from rexbit_desktop.domain.errors import PermissionDenied
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.services import integrations
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.feeds import runs as imports_runs
from rexbit_desktop.services.ops import queue
from rexbit_desktop.ui.i18n import set_language
from rexbit_desktop.ui.integrations.dialogs import PrestaShopDialog, ProfileDialog
from rexbit_desktop.ui.integrations.view import IntegrationsView
from tests.support.ui import make_ctx

FEED = (
    "Indeks;Nazwa;EAN;Stan;Dni;Cena netto\n"
    "HX-0001;Wiertarka udarowa;5901234123457;12;2;199,90\n"
    "HX-0002;Śrubokręt;;brak;5;9,50\n"
    "HX-0003;Młotek;;-4;1;3,20\n"  # negative stock: invalid, reported with its line number
    "NOWY-1;Żółta taśma;;>10;1;1,00\n"
)
CATALOG = "sku;name\nHX-0001;Wiertarka\nHX-0002;Śrubokręt\nHX-0003;Młotek\n"


@pytest.fixture
def feed_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "hurtownia.csv"
    path.write_bytes(FEED.replace("\n", "\r\n").encode("cp1250"))
    return path


@pytest.fixture
def products(db, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "katalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    catalog.import_products(db.uow(), Actor.system(), file=path)


def _view(qtbot, db, role: Role = Role.ADMIN, sync: bool = True) -> IntegrationsView:  # type: ignore[no-untyped-def]
    view = IntegrationsView(make_ctx(db, role, sync=sync))
    qtbot.addWidget(view)
    view.refresh()
    return view


def _feed_with_profile(db, feed_file) -> int:  # type: ignore[no-untyped-def]
    system = Actor.system()
    feed = integrations.create_integration(db.uow(), system, type="supplier_feed", name="Hurtownia Kowalski")
    integrations.create_import_profile(
        db.uow(),
        system,
        integration_id=feed.id,
        name="Stany dzienne",
        source_location=str(feed_file),
        format="csv",
        mappings={
            "sku": "Indeks",
            "stock_quantity": "Stan",
            "delivery_days": "Dni",
            "purchase_price": "Cena netto",
        },
    )
    return feed.id


def test_admin_creates_a_feed_and_a_profile_with_preview_and_mappings(
    qtbot, db, feed_file, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db)
    qtmodeltester.check(view.model)
    view.create_integration(
        values={
            "type": "supplier_feed",
            "name": "Hurtownia Nowak",
            "config": {"contractor": {"name": "Nowak sp. j."}},
        }
    )
    assert view.ctx.dialogs.errors == []
    assert [i.name for i in view.model.rows()] == ["Hurtownia Nowak"]
    assert view.current is not None and view.current.contractor_name == "Nowak sp. j."
    assert view.pages.currentWidget() is view.feed_page
    assert view.new_profile_button.isEnabled() and not view.import_button.isEnabled()  # no profile yet

    dialog = view.edit_profile(new=True)
    assert isinstance(dialog, ProfileDialog)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Stany")
    dialog.source_edit.setText(str(feed_file))
    dialog.load_preview()
    assert view.ctx.dialogs.errors == []
    assert dialog.offered_columns() == ["Indeks", "Nazwa", "EAN", "Stan", "Dni", "Cena netto"]
    assert dialog.preview_model is not None
    qtmodeltester.check(dialog.preview_model)
    assert dialog.preview_model.rowCount() == 4
    assert dialog.preview_model.index(1, 0).data() == "HX-0002"
    assert dialog.preview_model.index(1, 1).data() == "Śrubokręt"
    assert "cp1250" in dialog.detected_label.text()
    dialog.mapping_combos["sku"].setCurrentText("Indeks")
    dialog.mapping_combos["stock_quantity"].setCurrentIndex(
        dialog.mapping_combos["stock_quantity"].findText("Stan")
    )
    dialog.mapping_combos["purchase_price"].setCurrentText("Cena netto")
    dialog.save()
    assert view.ctx.dialogs.errors == []
    assert dialog.saved is not None
    assert dialog.saved.mappings == {
        "sku": "Indeks",
        "stock_quantity": "Stan",
        "purchase_price": "Cena netto",
    }
    assert [p.name for p in view.profiles_model.rows()] == ["Stany"]
    qtmodeltester.check(view.profiles_model)
    assert view.import_button.isEnabled()


def test_profile_editor_offers_last_headers_and_refuses_a_profile_without_sku_or_ean(
    qtbot, db, feed_file, products
) -> None:  # type: ignore[no-untyped-def]
    feed_id = _feed_with_profile(db, feed_file)
    imports.import_now(db.uow, Actor.system(), integration_id=feed_id)  # stores last_headers
    view = _view(qtbot, db)
    view.select_integration(feed_id)
    view.profiles_table.selectRow(0)
    dialog = view.edit_profile()
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.offered_columns() == ["Indeks", "Nazwa", "EAN", "Stan", "Dni", "Cena netto"]
    assert dialog.mapping_combos["sku"].currentText() == "Indeks"
    dialog.mapping_combos["sku"].setCurrentText("")
    dialog.save()
    assert dialog.saved is None
    assert view.ctx.dialogs.errors and "Zmapuj SKU lub EAN" in view.ctx.dialogs.errors[-1][0]


def test_import_now_shows_the_run_with_errors_and_line_numbers(
    qtbot, db, feed_file, products, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    feed_id = _feed_with_profile(db, feed_file)
    view = _view(qtbot, db, Role.OPERATOR)
    view.select_integration(feed_id)
    assert view.import_button.isEnabled()
    view.import_button.click()
    assert view.ctx.dialogs.errors == []
    assert view.progress is not None and not view.progress.isVisible()
    assert view.message.startswith("Import – zakończone.") and "błędne 1" in view.message
    runs = view.runs_model.rows()
    qtmodeltester.check(view.runs_model)
    assert len(runs) == 1 and runs[0].status == "succeeded"
    assert view.runs_model.index(0, 2).data() == "zakończone"
    assert (runs[0].rows_read, runs[0].rows_invalid, runs[0].matched) == (4, 1, 2)
    assert view.feed_tabs.currentIndex() == 1  # the finished run is shown with its errors
    assert "wiersz 4:" in view.run_errors.toPlainText()  # header is line 1
    offer = catalog.show_product(db.uow(), Actor.system(), sku="HX-0001").offers[0]
    assert offer.stock_quantity == Decimal(12)


def test_cancelling_an_import_applies_nothing(qtbot, db, tmp_path, products) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "duzy.csv"
    big.write_text("Indeks;Stan\n" + "".join(f"X-{i:06d};{i % 50}\n" for i in range(60000)), encoding="utf-8")
    system = Actor.system()
    feed = integrations.create_integration(db.uow(), system, type="supplier_feed", name="Duża hurtownia")
    integrations.create_import_profile(
        db.uow(),
        system,
        integration_id=feed.id,
        name="Wszystko",
        source_location=str(big),
        format="csv",
        options={"chunk_rows": 500},
        mappings={"sku": "Indeks", "stock_quantity": "Stan"},
    )
    view = _view(qtbot, db, Role.OPERATOR, sync=False)
    view.ctx.runner.pool = QThreadPool()
    qtbot.waitUntil(lambda: view.loading == 0, timeout=10000)
    view.select_integration(feed.id)
    qtbot.waitUntil(lambda: view.loading == 0 and view.import_button.isEnabled(), timeout=10000)
    view.import_now()
    assert view.busy and not view.import_button.isEnabled()
    assert view.progress is not None
    view.progress.findChild(QPushButton).click()  # the Cancel button
    qtbot.waitUntil(lambda: not view.busy, timeout=30000)
    qtbot.waitUntil(lambda: view.loading == 0, timeout=10000)
    view.ctx.runner.wait()
    run = imports_runs.list_runs(db.uow(), system, integration_id=feed.id)[0]
    assert run.status == "cancelled"
    assert view.message.startswith("Import – anulowane.")
    assert catalog.list_unlinked_offers(db.uow(), system, integration_id=feed.id) == []


def test_queue_import_and_link_products(qtbot, db, feed_file, products) -> None:  # type: ignore[no-untyped-def]
    feed_id = _feed_with_profile(db, feed_file)
    view = _view(qtbot, db, Role.OPERATOR)
    view.select_integration(feed_id)
    view.queue_import_button.click()
    assert view.ctx.dialogs.errors == []
    assert "zadanie" in view.message
    # No worker runs: the operator is told the import waits (not left to wonder).
    assert any("Żaden proces nie wykonuje teraz importów" in text for _title, text in view.ctx.dialogs.infos)
    stats = {s.queue: s for s in queue.queue_stats(db.uow(), Actor.system())}
    assert stats["import"].waiting == 1
    assert view.runs_model.rows()[0].status == "queued"

    # A worker runs the queued import; the view looks again by itself while a run is queued or running.
    view.show()
    view.runs_timer.setInterval(50)
    assert view.runs_timer.isActive()
    run_workers(db, [WorkerSettings(queues=("import",), tries=1, sleep=0.1, stop_when_empty=True)])
    qtbot.waitUntil(lambda: view.runs_model.rows()[0].status == "succeeded", timeout=10000)
    assert not view.runs_timer.isActive()

    new_catalog = feed_file.parent / "nowe.csv"
    new_catalog.write_text("sku;name\nNOWY-1;Nowość\n", encoding="utf-8")
    catalog.import_products(db.uow(), Actor.system(), file=new_catalog)
    view.link_button.click()
    assert view.ctx.dialogs.errors == []
    assert view.message.startswith("Powiązano 3 z")
    assert catalog.show_product(db.uow(), Actor.system(), sku="NOWY-1").offers[0].external_sku == "NOWY-1"


def test_operator_cannot_create_or_edit_integrations(qtbot, db, feed_file) -> None:  # type: ignore[no-untyped-def]
    feed_id = _feed_with_profile(db, feed_file)
    view = _view(qtbot, db, Role.OPERATOR)
    view.select_integration(feed_id)
    for button in (view.new_feed_button, view.new_shop_button, view.edit_button, view.new_profile_button):
        assert not button.isEnabled()
    assert view.edit_profile(new=True) is None
    assert "administrator" in view.new_feed_button.toolTip()
    view.create_integration(values={"type": "supplier_feed", "name": "Podstęp", "config": {}})
    assert view.ctx.dialogs.errors and "Nie masz uprawnień" in view.ctx.dialogs.errors[-1][0]
    with pytest.raises(PermissionDenied):
        integrations.update_import_profile(
            db.uow(), view.ctx.actor, view.profiles_model.rows()[0].id, name="x"
        )
    assert [i.name for i in integrations.list_integrations(db.uow(), Actor.system())] == [
        "Hurtownia Kowalski"
    ]


def test_manager_runs_but_does_not_edit(qtbot, db, feed_file) -> None:  # type: ignore[no-untyped-def]
    feed_id = _feed_with_profile(db, feed_file)
    view = _view(qtbot, db, Role.MANAGER)
    view.select_integration(feed_id)
    assert view.import_button.isEnabled() and view.link_button.isEnabled()
    assert not view.new_profile_button.isEnabled() and not view.edit_profile_button.isEnabled()
    again = IntegrationsView(view.ctx)  # the last selected integration is remembered per user
    qtbot.addWidget(again)
    again.refresh()
    assert again.current is not None and again.current.id == feed_id


def test_shop_password_is_never_shown_and_a_bad_connection_is_reported(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db)
    secret = "tajne-Haslo-123"
    view.create_integration(
        values={
            "type": "prestashop_db",
            "name": "Sklep testowy",
            "config": {
                "host": "127.0.0.1",
                "port": 1,
                "database": "nie_ma",
                "user": "u",
                "password": secret,
                "connect_timeout": 2,
            },
        }
    )
    assert view.ctx.dialogs.errors == []
    assert view.pages.currentWidget() is view.shop_page
    text = view.connection_text.toPlainText()
    assert secret not in text and "Hasło: ustawione" in text
    dialog = PrestaShopDialog(view.current)
    qtbot.addWidget(dialog)
    assert dialog.password_edit.text() == "" and dialog.host_edit.text() == "127.0.0.1"
    assert "password" not in dialog.values()["config"]  # empty keeps the saved one
    view.test_button.click()
    report = view.connection_text.toPlainText()
    assert report.startswith("Problemy z połączeniem") and secret not in report


@pytest.mark.mysql
def test_shop_test_connection_pull_and_sync_now(qtbot, db, shop, feed_file, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    from tests.support.shop import add_shop_product, product_texts

    add_shop_product(shop, 101, reference="HX-0001", name="Wiertarka udarowa")
    feed_id = _feed_with_profile(db, feed_file)
    view = _view(qtbot, db, Role.ADMIN)
    view.create_integration(
        values={"type": "prestashop_db", "name": "Sklep", "config": shop.config(product_listing_enabled=True)}
    )
    assert view.ctx.dialogs.errors == []
    view.test_button.click()
    report = view.connection_text.toPlainText()
    assert report.startswith("Połączenie działa"), report
    assert "Wersja PrestaShop" in report

    view.pull_button.click()  # creates our product HX-0001 linked to the shop's item 101:0
    assert view.ctx.dialogs.errors == []
    assert view.message.startswith("Pobrano pozycje sklepu: 1; nowe produkty: 1")
    imports.import_now(db.uow, Actor.system(), integration_id=feed_id)  # the supplier has 12 of HX-0001

    view.sync_now()
    assert view.ctx.dialogs.errors == []
    assert view.message.startswith("Synchronizacja – zakończone: sprawdzone 1, zapisane 1"), view.message
    qtmodeltester.check(view.sync_model)
    assert len(view.sync_model.rows()) == 1 and view.sync_model.rows()[0].written == 1
    assert view.shop_tabs.currentIndex() == 1
    assert product_texts(shop)[(101, 1)] != ("initial", "initial")  # the shop's texts were written


def test_admin_edits_a_shop_connection_and_the_saved_password_is_kept(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, db)
    secret = "tajne-Haslo-123"
    base = {"host": "127.0.0.1", "port": 1, "database": "sklep", "user": "u", "connect_timeout": 2}
    view.create_integration(
        values={"type": "prestashop_db", "name": "Sklep", "config": {**base, "password": secret}}
    )
    assert view.edit_button.isEnabled()
    # What the edit dialog returns when the password field is left empty.
    dialog = PrestaShopDialog(view.current)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Sklep główny")
    dialog.prefix_edit.setText("shop_")
    dialog.enabled_check.setChecked(False)
    view.edit_integration(values=dialog.values())
    assert view.ctx.dialogs.errors == []
    [saved] = integrations.list_integrations(db.uow(), Actor.system(), type="prestashop_db")
    assert (saved.name, saved.enabled, saved.config["prefix"]) == ("Sklep główny", False, "shop_")
    with db.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT config FROM integrations WHERE id = :id"), {"id": saved.id}
        ).scalar_one()
    assert raw["password"] == secret and raw["host"] == "127.0.0.1"
    # A bad prefix is refused and nothing changes.
    view.edit_integration(values={"name": "Sklep główny", "config": {"prefix": "zły prefiks;"}})
    assert len(view.ctx.dialogs.errors) == 1
    [again] = integrations.list_integrations(db.uow(), Actor.system(), type="prestashop_db")
    assert again.config["prefix"] == "shop_"


def test_admin_renames_and_disables_a_supplier_feed_operator_may_not(qtbot, db, feed_file) -> None:  # type: ignore[no-untyped-def]
    feed_id = _feed_with_profile(db, feed_file)
    view = _view(qtbot, db)
    view.current = integrations.get_integration(db.uow(), Actor.system(), feed_id)
    view.edit_integration(
        values={
            "name": "Hurtownia Kowalski i S-ka",
            "config": {"contractor": {"name": "Kowalski S-ka"}},
            "enabled": False,
        }
    )
    saved = integrations.get_integration(db.uow(), Actor.system(), feed_id)
    assert (saved.name, saved.enabled, saved.contractor_name) == (
        "Hurtownia Kowalski i S-ka",
        False,
        "Kowalski S-ka",
    )
    with pytest.raises(PermissionDenied):
        integrations.update_integration(
            db.uow(), Actor(login="op", role=Role.OPERATOR), feed_id, enabled=True
        )


@pytest.mark.mysql
def test_import_orders_takes_in_the_shop_orders_and_lists_the_orders_run(
    qtbot, db, shop, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.orders.queries import count_orders
    from tests.support.shop import add_shop_lines, add_shop_order, line

    paid = 2  # the fixture's PS_OS_PAYMENT
    add_shop_order(shop, 301, state=paid, lines=[line(9, "10.00", ref="NIEZNANY")], reference="XKBKNABJK")
    add_shop_order(shop, 302, state=paid, lines=[], minutes_ago=30)  # lines not written yet: retried later
    view = _view(qtbot, db, Role.ADMIN)
    view.create_integration(values={"type": "prestashop_db", "name": "Sklep", "config": shop.config()})
    assert view.ctx.dialogs.errors == []
    assert view.orders_button.isEnabled() and view.orders_button.text() == "Pobierz zamówienia"

    view.orders_button.click()

    assert view.ctx.dialogs.errors == []
    assert view.message.startswith(
        "Pobieranie zamówień – zakończone: sprawdzone 2, nowe 1, zaktualizowane 0, ponowione 0, błędy 1; "
        "do ponowienia 1."
    ), view.message
    assert "zamówienie w sklepie 302: the shop order has no lines" in view.message
    assert count_orders(db.uow(), Actor.system()).value == 1
    assert view.shop_tabs.currentIndex() == 1 and view.orders_button.isEnabled()
    qtmodeltester.check(view.sync_model)
    [run] = view.sync_model.rows()
    assert (run.kind, run.created, run.errors) == ("orders", 1, 1)
    m = view.sync_model
    headers = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    row = dict(zip(headers, (m.index(0, c).data() for c in range(m.columnCount())), strict=True))
    assert (row["Rodzaj"], row["Utworzone"], row["Zaktualizowane"], row["Do zapisu"]) == (
        "zamówienia",
        "1",
        "0",
        "",
    )

    # The shop writes the lines: the next import takes the order in from the retry list.
    add_shop_lines(shop, 302, [line(9, "5.00", ref="NIEZNANY")])
    view.import_orders()
    assert "nowe 1, zaktualizowane 0, ponowione 1, błędy 0; do ponowienia 0." in view.message
    assert [r.retried for r in view.sync_model.rows()] == [1, 0]


def test_import_orders_follows_the_integrations_run_permission(qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.domain import roles

    shop_config = {"host": "127.0.0.1", "port": 1, "database": "sklep", "user": "u", "connect_timeout": 2}
    integrations.create_integration(
        db.uow(), Actor.system(), type="prestashop_db", name="Sklep", config=shop_config
    )
    # Operators run integrations (sync now, pull products): they may import the shop's orders too.
    operator = _view(qtbot, db, Role.OPERATOR)
    assert operator.pages.currentWidget() is operator.shop_page
    assert operator.orders_button.isEnabled()

    # A role without integrations.run sees the button disabled, with the reason.
    without = roles.ROLE_PERMISSIONS[Role.OPERATOR] - {roles.Permission.INTEGRATIONS_RUN}
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.OPERATOR, without)
    view = _view(qtbot, db, Role.OPERATOR)
    assert view.current is not None and view.current.type == "prestashop_db"
    assert not view.orders_button.isEnabled() and not view.sync_button.isEnabled()
    assert view.orders_button.toolTip() == "Nie masz uprawnień do uruchamiania integracji."
    with pytest.raises(PermissionDenied):
        from rexbit_desktop.services.shop.orders import sync_orders

        sync_orders(db.uow(), view.ctx.actor, integration_id=view.current.id)


def test_profile_editor_masks_the_feed_urls_password_and_keeps_it_unless_changed(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    secret_url = "http://anna:Tajne-Haslo9@127.0.0.1:8/stany.csv?token=s3cr3t-tok&format=csv"
    system = Actor.system()
    feed = integrations.create_integration(db.uow(), system, type="supplier_feed", name="Hurtownia Kowalski")
    integrations.create_import_profile(
        db.uow(),
        system,
        integration_id=feed.id,
        name="Stany",
        source_location=secret_url,
        format="csv",
        mappings={"sku": "Indeks", "stock_quantity": "Stan"},
    )
    view = _view(qtbot, db)
    view.select_integration(feed.id)
    view.profiles_table.selectRow(0)

    def open_editor() -> ProfileDialog:
        dialog = view.edit_profile()
        assert dialog is not None
        qtbot.addWidget(dialog)
        return dialog

    dialog = open_editor()
    shown = dialog.source_edit.text()
    assert shown == "http://anna:***@127.0.0.1:8/stany.csv?token=***&format=csv"
    assert "Tajne" not in shown and "s3cr3t" not in shown
    assert "***" in dialog.source_edit.toolTip()
    # Saved untouched: the password and the token stay as they were.
    dialog.save()
    assert view.ctx.dialogs.errors == []
    assert dialog.saved is not None and dialog.saved.source_location == secret_url

    # Another host, the password left as ***: kept; a new token typed: saved as typed.
    dialog = open_editor()
    dialog.source_edit.setText("http://anna:***@feeds.example.com/stany.csv?token=nowy-token&format=csv")
    dialog.save()
    assert view.ctx.dialogs.errors == []
    assert dialog.saved is not None
    assert dialog.saved.source_location == (
        "http://anna:Tajne-Haslo9@feeds.example.com/stany.csv?token=nowy-token&format=csv"
    )
    # The list shows it masked too.
    assert "Tajne" not in dialog.source_edit.text()
    profile_texts = [
        str(view.profiles_model.index(0, c).data()) for c in range(view.profiles_model.columnCount())
    ]
    assert not any("Tajne" in t or "nowy-token" in t for t in profile_texts), profile_texts


def test_a_failed_run_says_why_in_polish_in_integrations_and_queues(qtbot, db, tmp_path, products) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.ui.queue.view import _run_message

    system = Actor.system()
    empty = tmp_path / "pusty.csv"
    empty.write_text("Indeks;Stan\n", encoding="utf-8")
    feed = integrations.create_integration(db.uow(), system, type="supplier_feed", name="Hurtownia Pusta")
    for name, source in (("Pusty", empty), ("Brak pliku", tmp_path / "nie-ma.csv")):
        integrations.create_import_profile(
            db.uow(),
            system,
            integration_id=feed.id,
            name=name,
            source_location=str(source),
            format="csv",
            mappings={"sku": "Indeks", "stock_quantity": "Stan"},
        )
    imports.import_now(db.uow, system, integration_id=feed.id)
    runs = imports_runs.list_runs(db.uow(), system, integration_id=feed.id)
    assert [r.status for r in runs] == ["failed", "failed"], runs
    view = _view(qtbot, db, Role.OPERATOR)
    view.select_integration(feed.id)
    said = []
    for row in range(view.runs_model.rowCount()):
        view.runs_table.selectRow(row)
        said.append(view.run_errors.toPlainText())
    from rexbit_desktop.services.ops.queue_activity import list_recent_runs

    states = list_recent_runs(db.uow(), system)
    said += [_run_message(s) for s in states if s.kind == "import"]
    missing = f"Plik {tmp_path / 'nie-ma.csv'} nie istnieje. Sprawdź źródło w profilu."  # code feed_missing
    empty_said = (
        "Plik nie ma wierszy; niczego nie zmieniono. "
        "Pusty plik wyzerowałby stany wszystkich produktów, dlatego jest odrzucany."
    )
    assert sorted(said) == [missing, missing, empty_said, empty_said]  # the runs' English text nowhere
    set_language("en")
    assert sorted(_run_message(s) for s in states if s.kind == "import")[-1].startswith(
        "The feed has no rows"
    )
