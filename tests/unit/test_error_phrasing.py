"""Service errors carry a code and params; the CLI and the GUI phrase them, each in its own words.

The AST walks read every ``raise SomeError(...)`` under ``services/``, ``domain/``, ``queueing/`` and
``adapters/``: no raise-site text may hold a CLI flag or a ``rexbit`` command, and every ``code`` raised
has a GUI phrase in Polish and English (with placeholders the raise site gives).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import typer

import rexbit_desktop
from rexbit_desktop.cli import errors as cli_errors
from rexbit_desktop.cli.errors import cli_phrase
from rexbit_desktop.cli.main import app
from rexbit_desktop.domain.errors import NotFound, RexbitError, TransitionRefused, ValidationError
from rexbit_desktop.ui import error_strings
from rexbit_desktop.ui.i18n import POLISH, register, set_language
from rexbit_desktop.ui.messages import phrase_error

PACKAGE = Path(rexbit_desktop.__file__).resolve().parent
LAYERS = ("services", "domain", "queueing", "adapters")


@dataclass(frozen=True)
class RaiseSite:
    path: Path
    line: int
    texts: list[str]  # the string literals of the message and of hint=
    code: str | None
    params: set[str] | None  # the keys of a literal params={...}, None when not a literal
    error: str = ""  # the raised class's name
    passes_code: bool = False  # code=exc.code: passes on the code of the error it wraps

    def __str__(self) -> str:
        return f"{self.path.relative_to(PACKAGE)}:{self.line}"


def _strings(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def _codes_set_by_classes(trees: list[ast.Module]) -> dict[str, ast.Call]:
    """Error classes that give their own code: ``super().__init__(…, code="x", params={…})`` in their
    ``__init__`` (e.g. ``TemplateRefused``); a raise of such a class carries that code."""
    found = {}
    for tree in trees:
        for cls in ast.walk(tree):
            if not isinstance(cls, ast.ClassDef):
                continue
            for init in cls.body:
                if not (isinstance(init, ast.FunctionDef) and init.name == "__init__"):
                    continue
                for call in ast.walk(init):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "__init__"
                        and any(k.arg == "code" and isinstance(k.value, ast.Constant) for k in call.keywords)
                    ):
                        found[cls.name] = call
    return found


def raise_sites() -> list[RaiseSite]:
    sites = []
    paths = [path for layer in LAYERS for path in sorted((PACKAGE / layer).rglob("*.py"))]
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in paths]
    by_class = _codes_set_by_classes(trees)
    for path, tree in zip(paths, trees, strict=True):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            texts = [s for a in call.args[:1] for s in _strings(a)]
            code = params = None
            extra: list[str] = []
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            keywords = list(call.keywords)
            if name in by_class and not any(k.arg == "code" for k in keywords):
                keywords += [k for k in by_class[name].keywords if k.arg in ("code", "params")]
            for kw in keywords:
                if kw.arg == "hint":
                    texts.extend(_strings(kw.value))
                elif kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    code = kw.value.value
                elif kw.arg == "code" and isinstance(kw.value, ast.IfExp):  # one of two codes
                    code = kw.value.body.value if isinstance(kw.value.body, ast.Constant) else None
                    other = kw.value.orelse
                    if isinstance(other, ast.Constant):
                        extra.append(other.value)
                elif kw.arg == "params" and isinstance(kw.value, ast.Dict):
                    params = {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
            passes = any(k.arg == "code" and isinstance(k.value, ast.Attribute) for k in call.keywords)
            sites.append(RaiseSite(path, node.lineno, texts, code, params, name, passes))
            sites.extend(RaiseSite(path, node.lineno, texts, c, params, name) for c in extra)
    return sites


SITES = raise_sites()
CODED = [s for s in SITES if s.code]


def cli_commands() -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_walk_finds_the_raise_sites() -> None:
    # a walk that finds nothing would make every test below pass
    assert len(SITES) > 200 and len(CODED) > 30


def test_no_service_error_text_holds_a_cli_flag_or_command() -> None:
    commands = "|".join(sorted(cli_commands()))
    cli = re.compile(rf"(?<![\w-])--[a-z]|\brexbit (?:{commands})\b")
    offending = [f"{s}: {text!r}" for s in SITES for text in s.texts if cli.search(text)]
    assert offending == []


def test_the_cli_check_catches_a_command_and_a_flag() -> None:
    commands = "|".join(sorted(cli_commands()))
    cli = re.compile(rf"(?<![\w-])--[a-z]|\brexbit (?:{commands})\b")
    assert cli.search("Reserve it: rexbit orders reserve ZAM/1")
    assert cli.search("Name the carrier (--carrier=inpost).")
    assert not cli.search("this rexbit has no mail module; 2026-12-02 -- noon")


def _placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


SAMPLES: dict[str, object] = {
    "items": [{"sku": "A-1", "qty": Decimal("2"), "warehouse": "MAG"}],
    "allowed": ["new", "cancelled"],
    "known": ["MAG", "SKL"],
    "kinds": ["invoice", "wz"],
}


def _sample(keys: set[str] | None) -> dict[str, object]:
    return {k: SAMPLES.get(k, f"<{k}>") for k in keys or set()}


@pytest.mark.parametrize("site", CODED, ids=str)
def test_every_code_raised_has_a_gui_phrase_in_polish_and_english(site: RaiseSite) -> None:
    phrase = error_strings.PHRASES.get(site.code or "")
    assert phrase is not None, f"{site}: no GUI phrase for {site.code!r} (ui/error_strings/)"
    if not callable(phrase):
        for template in phrase:
            assert not template or template in POLISH, f"{site.code}: no Polish for {template!r}"
            if site.params is not None:
                missing = _placeholders(template) - site.params
                assert not missing, (
                    f"{site}: {site.code} phrase needs {missing}, the raise gives {site.params}"
                )
    exc = RexbitError("x", code=site.code, params=_sample(site.params))
    try:
        set_language("en")
        english = phrase_error(exc)
        set_language("pl")
        polish = phrase_error(exc)
    finally:
        set_language("pl")
    assert english[0] and polish[0]
    for text in (*english, *polish):
        assert "--" not in text and "rexbit " not in text


def _rexbit_error_names() -> set[str]:
    import importlib
    import pkgutil

    for mod in pkgutil.walk_packages([str(PACKAGE / "services")], prefix="rexbit_desktop.services."):
        importlib.import_module(mod.name)
    names, todo = set(), [RexbitError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


# Service modules whose errors are not all coded yet, and why (none left).
NOT_ALL_CODED: set[str] = set()


def test_every_service_error_carries_a_code() -> None:
    errors = _rexbit_error_names()
    uncoded = sorted(
        {
            str(s.path.relative_to(PACKAGE))
            for s in SITES
            if s.error in errors
            and not (s.code or s.passes_code)
            and str(s.path.relative_to(PACKAGE)).startswith("services/")
        }
        - NOT_ALL_CODED
    )
    assert uncoded == []


# Modules outside services/ whose errors a person meets in the GUI (the feed profile's Preview, a failed
# import run, the rule editor, the shop connection editor, the shipment dialog): every error they raise
# carries a code (CarrierRejected phrases its field problems in the shipment dialog).
GUI_FACING = (
    "adapters/feeds/",
    "domain/automation/",
    "adapters/prestashop/config.py",
    "adapters/carriers/",
)


def test_every_error_of_the_gui_facing_adapters_carries_a_code() -> None:
    errors = _rexbit_error_names()
    uncoded = [
        str(s)
        for s in SITES
        if (s.error in errors or s.error == "_fail")  # _fail: the shop's and carriers' config error builder
        and s.error != "CarrierRejected"
        and not (s.code or s.passes_code)
        and str(s.path.relative_to(PACKAGE)).startswith(GUI_FACING)
    ]
    assert uncoded == []


def test_every_cli_entry_is_a_code_that_is_raised() -> None:
    raised = {s.code for s in CODED}
    dead = sorted((set(cli_errors.MESSAGES) | set(cli_errors.HINTS)) - raised)
    assert dead == []


def test_codes_are_unique_across_the_gui_areas() -> None:
    seen: dict[str, str] = {}
    for area in error_strings.AREAS:
        for code in area.PHRASES:
            assert code not in seen, f"{code} in {area.__name__} and {seen[code]}"
            seen[code] = area.__name__


# -- the phrasing itself -------------------------------------------------------------------------
def test_cli_adds_its_command_to_a_missing_reservation() -> None:
    exc = ValidationError(
        "Order ZAM/7 has no reservation yet.", code="no_reservation", params={"number": "ZAM/7"}
    )
    assert cli_phrase(exc) == (
        "Order ZAM/7 has no reservation yet.",
        "Reserve it: rexbit orders reserve ZAM/7",
    )


def test_cli_names_the_option_the_person_typed() -> None:
    exc = ValidationError(
        "The limit must be at least 1 (got 0).",
        code="limit_too_small",
        params={"option": "limit", "min": 1, "value": 0},
    )
    assert cli_phrase(exc) == ("--limit must be at least 1 (got 0).", None)
    assert cli_phrase(ValidationError("Name the carrier.", code="carrier_required"))[0] == (
        "Name the carrier (--carrier=inpost)."
    )


def test_cli_keeps_the_service_hint_and_adds_its_advice_only_when_it_helps() -> None:
    known = NotFound(
        "There is no warehouse 'X'.",
        hint="Known warehouses: MAG",
        code="warehouse_not_found",
        params={"code": "X", "known": ["MAG"]},
    )
    assert cli_phrase(known) == ("There is no warehouse 'X'.", "Known warehouses: MAG")
    none = NotFound(
        "There is no warehouse 'X'.", code="warehouse_not_found", params={"code": "X", "known": []}
    )
    assert cli_phrase(none)[1] == "Add one with: rexbit warehouse add --code=MAG1 --name=... --default"
    plain = ValidationError("Something odd.", hint="Look here.")
    assert cli_phrase(plain) == ("Something odd.", "Look here.")


def test_gui_phrases_in_polish_and_in_english() -> None:
    exc = ValidationError(
        "Order ZAM/7 has no reservation yet.", code="no_reservation", params={"number": "ZAM/7"}
    )
    try:
        assert phrase_error(exc) == (
            "Zamówienie ZAM/7 nie ma jeszcze rezerwacji.",
            "Najpierw zarezerwuj towar (Rezerwuj towar).",
        )
        set_language("en")
        assert phrase_error(exc) == (
            "Order ZAM/7 has no reservation yet.",
            "Reserve the stock first (Reserve stock).",
        )
    finally:
        set_language("pl")


def test_gui_shows_status_labels_and_quantities_in_the_language() -> None:
    refused = TransitionRefused(
        "x", code="nothing_to_reserve", params={"number": "ZAM/1", "status": "cancelled"}
    )
    short = ValidationError(
        "x",
        code="wz_not_enough_stock",
        params={"order": "ZAM/2", "items": [{"sku": "A-1", "qty": Decimal("1.500"), "warehouse": "MAG"}]},
    )
    try:
        assert phrase_error(refused)[0] == "Zamówienie ZAM/1 ma status „Anulowane”: nie ma czego rezerwować."
        assert phrase_error(short)[0].endswith("A-1: brakuje 1,5 w MAG")
        set_language("en")
        assert phrase_error(refused)[0] == "Order ZAM/1 is „Cancelled”: there is nothing to reserve."
        assert phrase_error(short)[0].endswith("A-1: 1.5 missing in MAG")
    finally:
        set_language("pl")


def test_an_error_without_a_code_loses_its_command_line_text_in_the_gui() -> None:
    message, hint = phrase_error(NotFound("Gone (rexbit orders list).", hint="Use --force."))
    assert (message, hint) == ("Gone.", "")


def test_a_refused_price_of_a_new_order_names_the_field_in_polish() -> None:
    from rexbit_desktop.services.orders.payload import parse_order_payload

    with pytest.raises(ValidationError) as info:
        parse_order_payload({"items": [{"sku": "A-1", "price_gross": "dwanaście"}]})
    assert info.value.message == "Price of item 1 (A-1) 'dwanaście' is not a number."  # the CLI's words
    try:
        assert phrase_error(info.value)[0] == "Cena pozycji 1 (A-1): „dwanaście” nie jest liczbą."
        set_language("en")
        assert phrase_error(info.value)[0] == "Price of item 1 (A-1): „dwanaście” is not a number."
    finally:
        set_language("pl")


def test_a_mail_that_failed_for_good_says_why_and_after_how_many_attempts_in_polish() -> None:
    gave_up = RexbitError(
        "x",
        code="mail_gave_up",
        params={"problem": "refused", "reply": "451 try later", "attempts": 3, "reason": "x"},
    )
    missing = NotFound("x", code="mail_template_not_found", params={"code": "nope", "known": ["a", "b"]})
    try:
        assert phrase_error(gave_up) == (
            "Serwer poczty odpowiedział: 451 try later. Zrezygnowano po 3 próbach.",
            "",
        )
        assert phrase_error(missing) == ("Nie ma szablonu e-maila „nope”.", "Szablony: a, b.")
        set_language("en")
        assert (
            phrase_error(gave_up)[0] == "The mail server answered: 451 try later. Gave up after 3 attempts."
        )
        assert phrase_error(missing) == ("There is no mail template „nope”.", "Templates: a, b.")
    finally:
        set_language("pl")


def test_a_feed_the_reader_cannot_use_is_said_in_polish_with_the_profile_fields(tmp_path: Path) -> None:
    from rexbit_desktop.adapters.feeds.errors import FeedError
    from rexbit_desktop.adapters.feeds.reader import open_feed_reader

    feed = tmp_path / "hurt.csv"
    feed.write_text("Symbol;Ilosc\nA-1;5\n", encoding="utf-8")
    with pytest.raises(FeedError) as missing:
        open_feed_reader(feed, "csv", {}, {"sku": "Kod", "stock_quantity": "Ilosc"})
    assert missing.value.message == "The feed has no column for sku → 'Kod'."  # the CLI's words, unchanged
    empty = tmp_path / "pusty.csv"
    empty.write_bytes(b"\n")
    with pytest.raises(FeedError) as nothing:
        open_feed_reader(empty, "csv", {}, {"sku": "Kod"})
    broken = tmp_path / "hurt.xml"
    broken.write_text("<offers><o><id>1</id></offers>", encoding="utf-8")
    with pytest.raises(FeedError) as malformed:
        list(open_feed_reader(broken, "xml", {}, {"sku": "id"}).chunks(("sku",), 10))
    try:
        assert phrase_error(missing.value) == (
            "Plik nie ma kolumny dla: SKU → „Kod”.",
            "Kolumny w pliku: Symbol, Ilosc.",
        )
        assert phrase_error(nothing.value)[0] == "Plik pusty.csv jest pusty."
        assert phrase_error(malformed.value)[0].startswith("Plik XML hurt.xml jest uszkodzony: ")
        set_language("en")
        assert phrase_error(missing.value)[0] == "The feed has no column for SKU → „Kod”."
    finally:
        set_language("pl")


def test_a_rule_the_editor_refuses_is_said_in_polish_with_the_editors_words() -> None:
    from rexbit_desktop.domain.automation.parsing import parse_rule

    rule = {"name": "Drogie", "event": "order_created", "actions": [{"type": "reserve"}]}
    with pytest.raises(ValidationError) as no_value:
        parse_rule({**rule, "conditions": [{"field": "total_gross", "op": "gte", "value": ""}]})
    with pytest.raises(ValidationError) as bad_status:
        parse_rule({**rule, "conditions": [{"field": "status", "op": "eq", "value": "zly"}]})
    with pytest.raises(ValidationError) as no_name:
        parse_rule({**rule, "name": " "})
    assert no_value.value.message == "The condition on 'total_gross' needs a value."  # the CLI's words
    try:
        register({"total_gross": "wartość brutto"})  # as the rule editor registers its field names
        assert phrase_error(no_value.value)[0] == "Warunek „wartość brutto” musi mieć wartość."
        message, hint = phrase_error(bad_status.value)
        assert message == "Nieznany status „zly” w warunku „status”."
        assert "Anulowane" in hint
        assert phrase_error(no_name.value)[0] == "Podaj nazwę reguły."
        set_language("en")
        assert phrase_error(no_value.value)[0] == "The condition on „total_gross” needs a value."
        assert "Cancelled" in phrase_error(bad_status.value)[1]
    finally:
        set_language("pl")


def test_a_refused_shop_connection_names_the_editors_field_in_polish() -> None:
    from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config

    shop = {"host": "127.0.0.1", "database": "sklep", "user": "ps"}
    with pytest.raises(ValidationError) as port:
        validate_prestashop_config({**shop, "port": "abc"})
    with pytest.raises(ValidationError) as braces:
        validate_prestashop_config({**shop, "texts": {"pl": {"available_now": "Jest {"}}})
    assert port.value.message == "PrestaShop configuration: 'port' must be a whole number, not 'abc'."
    try:
        assert phrase_error(port.value) == ("Port: wpisz liczbę całkowitą.", "")
        message, hint = phrase_error(braces.value)
        assert message.startswith("Tekst dostępności, gdy towar jest (pl) nie jest poprawnym tekstem: ")
        assert hint == "Nawiasy klamrowe zapisz jako {{ i }}."
        set_language("en")
        assert phrase_error(port.value)[0] == "Port: enter a whole number."
    finally:
        set_language("pl")


def test_a_carrier_that_cannot_be_reached_is_said_in_polish() -> None:
    from rexbit_desktop.adapters.carriers.base import unsupported
    from rexbit_desktop.adapters.carriers.inpost import ShipXClient
    from rexbit_desktop.domain.errors import ConfigurationError
    from rexbit_desktop.domain.shipping import CarrierUnavailable

    with pytest.raises(ConfigurationError) as empty:
        ShipXClient(base_url="http://127.0.0.1:1", token="", organization_id="1")
    client = ShipXClient(base_url="http://127.0.0.1:1", token="t", organization_id="1", timeout=2.0)
    try:
        with pytest.raises(CarrierUnavailable) as down:  # nothing listens on port 1
            client.track("520000011395200025754311")
    finally:
        client.close()
    assert down.value.message == "InPost cannot be reached: ConnectError."  # the CLI's words
    try:
        assert phrase_error(empty.value) == (
            "Dane logowania konta InPost są puste.",
            "Wpisz je w ustawieniach konta przewoźnika.",
        )
        assert phrase_error(down.value)[0] == "Nie można połączyć się z InPost (ConnectError)."
        manual = unsupported("a handover protocol", "A manual carrier")
        assert phrase_error(manual)[0] == "Przewoźnik ręczny nie oferuje protokołu przekazania."
        set_language("en")
        assert phrase_error(manual)[0] == "A manual carrier does not offer a handover protocol."
    finally:
        set_language("pl")


def test_a_refused_carrier_account_setting_is_said_in_polish() -> None:
    from rexbit_desktop.adapters.carriers.config import validate_carrier_config

    with pytest.raises(ValidationError) as label:
        validate_carrier_config("inpost", {"organization_id": "1", "token": "t", "label_type": "A4"})
    assert label.value.message == "InPost carrier configuration: 'label_type' is A6 or normal."
    try:
        assert phrase_error(label.value)[0] == "Konto InPost: „label_type” to jedno z: A6, normal."
        set_language("en")
        assert phrase_error(label.value)[0] == "InPost account: „label_type” is one of A6, normal."
    finally:
        set_language("pl")
