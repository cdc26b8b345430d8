"""Rule matching and validation (pure), and the Standard Webhooks signing and retry policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook

from rexbit_desktop.domain import webhooks as wh
from rexbit_desktop.domain.automation import (
    Event,
    OrderFacts,
    matching_rules,
    parse_rule,
)
from rexbit_desktop.domain.errors import ValidationError

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def facts(**kw) -> OrderFacts:  # type: ignore[no-untyped-def]
    base = dict(
        order_id=1, number="ZAM/1", status="paid", payment_status="paid", source="prestashop",
        integration_id=3, total_gross=Decimal("500.00"), carriers=("inpost paczkomat",), country="PL",
        is_company=True, has_note=False, skus=frozenset({"HX-1"}), status_since=NOW - timedelta(days=4),
    )  # fmt: skip
    base.update(kw)
    return OrderFacts(**base)  # type: ignore[arg-type]


RULE = {
    "name": "firmowe",
    "event": "status_changed",
    "conditions": [
        {"field": "to_status", "op": "eq", "value": "paid"},
        {"field": "total_gross", "op": "gte", "value": "500"},
        {"field": "is_company", "op": "is_true"},
        {"field": "source", "op": "in", "value": "prestashop, allegro"},
    ],
    "actions": [{"type": "reserve"}],
}


def _event(to: str = "paid") -> Event:
    return Event(1, "status_changed", 1, 0, {"from": "awaiting_payment", "to": to})


def test_all_conditions_must_hold() -> None:
    rule = parse_rule(RULE, rule_id=1)
    assert matching_rules([rule], _event(), facts(), NOW) == [rule]
    assert matching_rules([rule], _event(), facts(total_gross=Decimal("499.99")), NOW) == []
    assert matching_rules([rule], _event(), facts(is_company=False), NOW) == []
    assert matching_rules([rule], _event(), facts(source="manual"), NOW) == []
    assert matching_rules([rule], _event("draft"), facts(), NOW) == []
    off = parse_rule({**RULE, "enabled": False}, rule_id=2)
    assert matching_rules([off], _event(), facts(), NOW) == []


def test_other_fields_and_priority() -> None:
    a = parse_rule(
        {
            "name": "a", "event": "status_changed", "priority": 5,
            "conditions": [
                {"field": "carrier", "op": "contains", "value": "InPost"},
                {"field": "sku", "op": "contains", "value": "hx-1"},
                {"field": "country", "op": "eq", "value": "pl"},
                {"field": "days_in_status", "op": "between", "value": "3,5"},
                {"field": "has_note", "op": "is_false"},
            ],
            "actions": [{"type": "add_note", "text": "x"}],
        },
        rule_id=7,
    )  # fmt: skip
    b = parse_rule({**RULE, "priority": 1}, rule_id=9)
    assert matching_rules([a, b], _event(), facts(), NOW) == [b, a]
    assert matching_rules([a], _event(), facts(status_since=NOW - timedelta(days=6)), NOW) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event": "nope"}, "Unknown event"),
        ({"conditions": [{"field": "total_gross", "op": "gte", "value": "dużo"}]}, "not a number"),
        ({"conditions": [{"field": "status", "op": "eq", "value": "lost"}]}, "Unknown status 'lost'"),
        ({"conditions": [{"field": "is_company", "op": "gte", "value": "1"}]}, "does not apply"),
        ({"actions": []}, "at least one action"),
        ({"actions": [{"type": "set_status", "status": "flying"}]}, "Unknown status 'flying'"),
        ({"actions": [{"type": "send_email", "template": "x"}]}, "no mail module"),
        ({"actions": [{"type": "print_documents", "types": "wz,faktura"}]}, "faktura"),
        ({"event": "in_status", "conditions": []}, "days_in_status"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        parse_rule({**RULE, **change})


def test_signature_verifies_with_the_reference_library_and_rotation() -> None:
    old, new = wh.generate_secret(), wh.generate_secret()
    body = wh.payload("orders.updated", NOW, {"number": "ZAM/1", "sequence": 3})
    ts = int(datetime.now(UTC).timestamp())
    headers = wh.headers([new, old], "msg_1", ts, body)
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["data"]["sequence"] == 3
    with pytest.raises(Exception):  # noqa: B017 - the library's own verification error
        Webhook(wh.generate_secret()).verify(body, headers)


def test_answers_and_backoff() -> None:
    assert [wh.outcome_of(c) for c in (200, 204, 410, 429, 408, 500, 503, None, 400, 404)] == [
        "delivered", "delivered", "disable", "retry", "retry", "retry", "retry", "retry", "failed", "failed",
    ]  # fmt: skip
    rng = random.Random(1)
    delays = [(wh.next_attempt(n, NOW, NOW, rng=rng) - NOW).total_seconds() for n in (1, 2, 3, 4)]  # type: ignore[operator]
    assert all(2.5 <= d <= 5 for d in delays[:1]) and delays[3] > delays[0]
    assert wh.next_attempt(1, NOW, NOW, retry_after=120.0, rng=rng) >= NOW + timedelta(seconds=120)  # type: ignore[operator]
    assert wh.next_attempt(30, NOW - timedelta(hours=23), NOW) is None  # past a day: give up
    assert wh.parse_retry_after("Wed, 02 Dec 2026 12:01:00 GMT", NOW) == 60.0


def test_ssrf_guard() -> None:
    for address in ("127.0.0.1", "10.0.0.5", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "0.0.0.0"):
        with pytest.raises(ValidationError, match="private or local"):
            wh.check_addresses("h", [address], allow_private=False)
    wh.check_addresses("h", ["127.0.0.1"], allow_private=True)
    wh.check_addresses("h", ["93.184.216.34"], allow_private=False)
    with pytest.raises(ValidationError, match="web address"):
        wh.parse_url("ftp://example.com/x")


def test_compiled_rules_give_the_same_answers_as_the_plain_check() -> None:
    from rexbit_desktop.domain.automation import compile_rules, matching_compiled

    rng = random.Random(7)
    specs = [
        {"field": "to_status", "op": "eq", "value": "paid"},
        {"field": "to_status", "op": "in", "value": ["paid", "draft"]},
        {"field": "status", "op": "ne", "value": "Paid"},
        {"field": "total_gross", "op": "gte", "value": "300"},
        {"field": "total_gross", "op": "lt", "value": "700,5"},
        {"field": "total_gross", "op": "between", "value": "100,400"},
        {"field": "is_company", "op": "is_false"},
        {"field": "country", "op": "not_in", "value": "DE, CZ"},
        {"field": "integration_id", "op": "eq", "value": "3"},
        {"field": "sku", "op": "contains", "value": "hx-2"},
        {"field": "carrier", "op": "contains", "value": "inpost"},
        {"field": "days_in_status", "op": "gte", "value": "2"},
        {"field": "source", "op": "in", "value": ["PrestaShop"]},
    ]
    rules = [
        parse_rule(
            {**RULE, "priority": rng.randint(0, 9), "conditions": rng.sample(specs, rng.randint(0, 4))},
            rule_id=i,
        )
        for i in range(40)
    ]
    compiled = compile_rules(rules)
    for _ in range(300):
        f = facts(
            total_gross=Decimal(rng.randint(0, 900)),
            is_company=rng.random() < 0.5,
            country=rng.choice(["PL", "DE", "cz", None]),
            integration_id=rng.choice([None, 3, 4]),
            skus=frozenset(rng.sample(["HX-1", "HX-2", "HX-3"], rng.randint(0, 2))),
            source=rng.choice(["prestashop", "manual"]),
            status=rng.choice(["paid", "draft"]),
            status_since=NOW - timedelta(days=rng.randint(0, 4)),
        )
        event = _event(rng.choice(["paid", "draft", "shipped"]))
        assert matching_compiled(compiled, event, f, NOW) == matching_rules(rules, event, f, NOW)


def test_a_send_email_action_is_refused_where_no_mail_module_is_installed() -> None:
    """The rule parser refuses ``send_email`` when told there is no mail module (a build without
    ``services/messages``); with one it accepts the action."""
    from rexbit_desktop.domain.automation.parsing import parse_action

    action = {"type": "send_email", "template": "wyslane"}
    with pytest.raises(ValidationError, match="no mail module"):
        parse_action(action, mail_available=False)
    assert parse_action(action, mail_available=True).type == "send_email"
