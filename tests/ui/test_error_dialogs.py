"""A service error raised by a GUI action reaches the person as the GUI's own phrase (Polish by default,
English in English mode): never the command-line advice the service once carried, never a traceback."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtWidgets import QMessageBox

from rexbit_desktop.domain.errors import NotFound
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.ui.dialogs import DialogService
from rexbit_desktop.ui.i18n import set_language
from rexbit_desktop.ui.products.view import ProductsView
from tests.support.ui import make_ctx


@pytest.fixture
def products_only(db, tmp_path):  # type: ignore[no-untyped-def]
    # products but no warehouse yet: the CLI would advise "rexbit warehouse add --code=…"
    csv = tmp_path / "produkty.csv"
    csv.write_text("sku;ean;name;unit\nHX-0001;;Wiertarka udarowa 750 W;szt.\n", encoding="utf-8")
    catalog.import_products(db.uow(), Actor.system(), file=csv)


def _receive_into_unknown_warehouse(qtbot, db) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    view = ProductsView(make_ctx(db, Role.OPERATOR))
    qtbot.addWidget(view)
    view.refresh()
    view.table.setCurrentIndex(view.model.index(0, 0))
    view.receive_stock({"warehouse": "NIEMA", "qty": Decimal(1), "price_net": None, "comment": None})
    assert len(view.ctx.dialogs.errors) == 1
    return view.ctx.dialogs.errors[0]


def test_a_service_error_from_a_gui_action_is_a_polish_dialog_without_cli_text(
    qtbot, db, products_only
) -> None:  # type: ignore[no-untyped-def]
    message, hint, details = _receive_into_unknown_warehouse(qtbot, db)
    assert (message, hint) == ("Nie ma magazynu NIEMA.", "Poproś administratora o dodanie magazynu.")
    assert "NotFound" in details  # the technical details stay behind "Copy details"


def test_the_same_error_in_english_mode(qtbot, db, products_only) -> None:  # type: ignore[no-untyped-def]
    set_language("en")
    message, hint, _details = _receive_into_unknown_warehouse(qtbot, db)
    assert (message, hint) == ("There is no warehouse NIEMA.", "Ask an administrator to add the warehouse.")


def test_the_real_message_box_shows_the_phrase_and_no_command(qtbot) -> None:  # type: ignore[no-untyped-def]
    error = NotFound("There is no order 'ZAM/9'.", code="order_not_found", params={"number": "ZAM/9"})
    box = DialogService().error_box(None, error)
    qtbot.addWidget(box)
    assert isinstance(box, QMessageBox)
    assert box.text() == "Nie ma zamówienia ZAM/9."
    assert box.informativeText() == "Sprawdź numer albo wyczyść filtry listy."
    assert "rexbit" not in box.text() + box.informativeText() and box.detailedText() == ""


def test_login_without_a_password_says_so_in_polish_without_the_cli_command(qtbot, db, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.users import add_user, authenticate
    from rexbit_desktop.ui.login import LoginDialog

    add_user(db.uow(), system_actor, login="magazyn1", role="operator")
    dialog = LoginDialog(lambda login, pw: authenticate(db.uow(), login, pw))
    qtbot.addWidget(dialog)
    dialog.login_edit.setText("magazyn1")
    dialog.password_edit.setText("cokolwiek")
    dialog._try_login()
    assert dialog.actor is None
    assert dialog.error_label.text() == (
        "Użytkownik magazyn1 nie ma jeszcze hasła.\nPoproś administratora o ustawienie hasła."
    )
