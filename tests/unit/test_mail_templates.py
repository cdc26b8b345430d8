"""Message templates: Jinja2's sandbox with strict undefined variables, checked when saved; the Polish
defaults; mail account settings (passwords never shown)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rexbit_desktop.adapters.mail.config import redacted_config, resolve_password, validate_mail_config
from rexbit_desktop.domain.errors import ConfigurationError, ValidationError
from rexbit_desktop.services.messages.defaults import DEFAULT_RULES, DEFAULT_TEMPLATES
from rexbit_desktop.services.messages.templates import (
    VARIABLES,
    TemplateRefused,
    TemplateSource,
    check_template,
    render,
    sample_context,
    sample_order,
)


def _source(**fields: object) -> TemplateSource:
    base = TemplateSource("t", "pl", "Test", "Zamówienie {{ order.number }}", "Treść {{ order.number }}\n")
    return replace(base, **fields)  # type: ignore[arg-type]


def test_an_unknown_variable_is_refused_at_save_with_its_line() -> None:
    with pytest.raises(TemplateRefused) as refused:
        check_template(_source(body_text="Dzień dobry,\n\n{{ order.number }}\n{{ order.nonexistent }}\n"))
    assert (refused.value.field, refused.value.line) == ("body_text", 4)
    assert "nonexistent" in refused.value.message and "line 4" in refused.value.message
    with pytest.raises(TemplateRefused) as in_html:
        check_template(_source(body_html="<p>\n{{ customer.nmae }}</p>"))
    assert (in_html.value.field, in_html.value.line) == ("body_html", 2)
    with pytest.raises(TemplateRefused, match="subject, line 1: unknown variable"):
        check_template(_source(subject="{{ zamowienie }}"))


def test_a_syntax_error_is_refused_with_its_line() -> None:
    with pytest.raises(TemplateRefused) as refused:
        check_template(_source(body_text="a\nb\n{% for item in items %}\n{{ item.name }}\n"))
    assert refused.value.line == 4 and "endfor" in refused.value.reason
    with pytest.raises(TemplateRefused) as unclosed:
        check_template(_source(body_text="ok\n{{ order.number \n"))
    assert unclosed.value.line is not None and unclosed.value.field == "body_text"


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ order.__class__ }}",
        "{{ items.__class__.__base__ }}",
        "{{ order.number.__class__.__init__.__globals__ }}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__ }}",
        "{{ range(10) }}",
        "{{ self.__init__ }}",
        "{{ order.items.__self__ }}",
    ],
)
def test_python_internals_are_out_of_reach(attack: str) -> None:
    with pytest.raises(TemplateRefused) as refused:
        check_template(_source(body_text=f"Dzień dobry\n{attack}\n"))
    assert refused.value.line == 2
    assert "class" not in render(_source(), sample_context()).body_text


def test_html_is_escaped_in_the_html_body_only() -> None:
    order = sample_order()
    ctx = sample_context()
    ctx["customer"]["name"] = "<script>alert(1)</script> & Syn"
    mail = render(_source(body_text="{{ customer.name }}", body_html="<p>{{ customer.name }}</p>"), ctx)
    assert mail.body_text == "<script>alert(1)</script> & Syn"
    assert mail.body_html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Syn</p>"
    assert order.number in render(_source(), ctx).subject


def test_every_listed_variable_is_in_the_context() -> None:
    ctx = sample_context()
    for name, _description in VARIABLES:
        first = name.split(" ")[0].split(",")[0]
        root, _, rest = first.partition(".")
        assert root in ctx, name
        if rest and rest != "*":
            assert rest.split(" ")[0] in ctx[root], name
    assert set(ctx["items"][0]) >= {"name", "sku", "quantity", "unit", "price_gross", "total_gross"}


def test_the_polish_defaults_pass_their_own_check() -> None:
    codes = {t["code"] for t in DEFAULT_TEMPLATES}
    assert codes == {
        "order_received", "payment_received", "order_shipped", "ready_for_pickup", "order_cancelled",
        "return_received",
    }  # fmt: skip
    for t in DEFAULT_TEMPLATES:
        check_template(TemplateSource(language="pl", **t))
    assert {r["template"] for r in DEFAULT_RULES} <= codes and not any(r["enabled"] for r in DEFAULT_RULES)
    shipped = next(t for t in DEFAULT_TEMPLATES if t["code"] == "order_shipped")
    text = render(TemplateSource(language="pl", **shipped), sample_context()).body_text
    assert "620000000000000000000000" in text and "https://inpost.pl/sledzenie-przesylek?number=" in text


def test_mail_account_settings_are_checked_and_passwords_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = validate_mail_config(
        {
            "smtp_host": "smtp.example.pl",
            "from_address": "sklep@example.pl",
            "login": "sklep",
            "password": "tajne",
        }
    )
    assert (cfg["smtp_port"], cfg["security"], cfg["imap_folder"]) == (587, "starttls", "INBOX")
    assert redacted_config(cfg)["password"] == "***" and "tajne" not in repr(redacted_config(cfg))
    with pytest.raises(ValidationError, match="either 'password' or 'password_env'"):
        validate_mail_config({**cfg, "password_env": "SMTP_PW"})
    with pytest.raises(ValidationError, match="'security' must be one of"):
        validate_mail_config({**cfg, "security": "tls"})
    with pytest.raises(ValidationError, match="not an e-mail address"):
        validate_mail_config({**cfg, "from_address": "sklep"})
    with pytest.raises(ValidationError, match="unknown key"):
        validate_mail_config({**cfg, "pasword": "x"})
    env_cfg = validate_mail_config(
        {"smtp_host": "h", "from_address": "a@b.pl", "password_env": "REXBIT_T_PW"}
    )
    monkeypatch.delenv("REXBIT_T_PW", raising=False)
    with pytest.raises(ConfigurationError, match="REXBIT_T_PW is not set"):
        resolve_password(env_cfg)
    monkeypatch.setenv("REXBIT_T_PW", "z-env")
    assert resolve_password(env_cfg) == "z-env" and resolve_password(env_cfg, imap=True) == "z-env"
    assert (
        validate_mail_config({"smtp_host": "h", "from_address": "a@b.pl", "security": "ssl"})["smtp_port"]
        == 465
    )


def test_the_outbox_defers_into_the_send_tasks_own_queue() -> None:
    from rexbit_desktop.queueing import resolve_task
    from rexbit_desktop.services.messages.outbox import SEND_QUEUE, SEND_TASK

    assert resolve_task(SEND_TASK).queue == SEND_QUEUE
