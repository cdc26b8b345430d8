"""The Polish templates shipped with rexbit (seeded by the migration; an operator edits them afterwards)
and the automatic rules offered for them (seeded switched off)."""

from __future__ import annotations

from typing import Any

_FOOTER = """
--
{{ company.name }}
{% if company.phone %}tel. {{ company.phone }}{% endif %} {{ company.email }}
"""

_ITEMS = """Zamówione produkty:
{% for item in items %}
- {{ item.name }} ({{ item.sku }}): {{ item.quantity }} {{ item.unit }} × {{ item.price_gross }} = {{ item.total_gross }}
{% endfor %}
Razem: {{ totals.gross }}
"""

_HTML_HEAD = "<p>Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},</p>\n"
_HTML_FOOT = "<p>--<br>{{ company.name }}<br>{{ company.phone }} {{ company.email }}</p>\n"

DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "order_received",
        "name": "Przyjęcie zamówienia",
        "subject": "Przyjęliśmy zamówienie {{ order.number }}",
        "body_text": "Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},\n\n"
        "dziękujemy za zamówienie {{ order.number }} z dnia {{ order.date }}.\n\n"
        + _ITEMS
        + "\nSposób dostawy: {{ order.delivery_method }}\n"
        "{% if links.documents %}Dokumenty zamówienia: {{ links.documents }}\n{% endif %}" + _FOOTER,
        "body_html": _HTML_HEAD
        + "<p>dziękujemy za zamówienie <b>{{ order.number }}</b> z dnia {{ order.date }}.</p>\n"
        "<ul>{% for item in items %}<li>{{ item.name }}: {{ item.quantity }} {{ item.unit }} × {{ item.price_gross }}</li>{% endfor %}</ul>\n"
        "<p>Razem: <b>{{ totals.gross }}</b></p>\n" + _HTML_FOOT,
        "attachments": ["confirmation"],
    },
    {
        "code": "payment_received",
        "name": "Otrzymanie płatności",
        "subject": "Otrzymaliśmy płatność za zamówienie {{ order.number }}",
        "body_text": "Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},\n\n"
        "otrzymaliśmy płatność {{ totals.paid }} za zamówienie {{ order.number }}. "
        "Przygotowujemy je do wysyłki.\n" + _FOOTER,
        "body_html": None,
        "attachments": [],
    },
    {
        "code": "order_shipped",
        "name": "Wysłanie zamówienia (z numerem przesyłki)",
        "subject": "Zamówienie {{ order.number }} zostało wysłane",
        "body_text": "Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},\n\n"
        "zamówienie {{ order.number }} zostało wysłane"
        "{% if shipment.carrier_name %} ({{ shipment.carrier_name }}){% endif %}.\n"
        "{% if shipment.tracking_number %}Numer przesyłki: {{ shipment.tracking_number }}\n{% endif %}"
        "{% if shipment.tracking_url %}Śledzenie przesyłki: {{ shipment.tracking_url }}\n{% endif %}"
        "\n\nAdres dostawy: {{ shipping_address.name }}, {{ shipping_address.street }}, "
        "{{ shipping_address.postcode }} {{ shipping_address.city }}\n" + _FOOTER,
        "body_html": _HTML_HEAD + "<p>zamówienie <b>{{ order.number }}</b> zostało wysłane"
        "{% if shipment.carrier_name %} ({{ shipment.carrier_name }}){% endif %}.</p>\n"
        "{% if shipment.tracking_number %}<p>Numer przesyłki: <b>{{ shipment.tracking_number }}</b>"
        '{% if shipment.tracking_url %} – <a href="{{ shipment.tracking_url }}">śledź przesyłkę</a>{% endif %}'
        "</p>{% endif %}\n" + _HTML_FOOT,
        "attachments": ["confirmation"],
    },
    {
        "code": "ready_for_pickup",
        "name": "Gotowe do odbioru",
        "subject": "Zamówienie {{ order.number }} czeka na odbiór",
        "body_text": "Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},\n\n"
        "zamówienie {{ order.number }} jest gotowe do odbioru"
        "{% if company.street %} pod adresem {{ company.street }}, {{ company.postcode }} {{ company.city }}{% endif %}.\n"
        "Do zapłaty przy odbiorze: {{ totals.gross }} (zapłacono: {{ totals.paid }}).\n" + _FOOTER,
        "body_html": None,
        "attachments": [],
    },
    {
        "code": "order_cancelled",
        "name": "Anulowanie zamówienia",
        "subject": "Zamówienie {{ order.number }} zostało anulowane",
        "body_text": "Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},\n\n"
        "zamówienie {{ order.number }} z dnia {{ order.date }} zostało anulowane. "
        "Jeśli zostało opłacone, zwrócimy pieniądze tą samą drogą.\n" + _FOOTER,
        "body_html": None,
        "attachments": [],
    },
    {
        "code": "return_received",
        "name": "Przyjęcie zwrotu",
        "subject": "Otrzymaliśmy zwrot do zamówienia {{ order.number }}",
        "body_text": "Dzień dobry{% if customer.name %} {{ customer.name }}{% endif %},\n\n"
        "otrzymaliśmy zwrot towaru z zamówienia {{ order.number }}. "
        "Zwrot pieniędzy zlecimy w ciągu 14 dni.\n" + _FOOTER,
        "body_html": None,
        "attachments": [],
    },
]

# "Send template X when an order enters status Y": offered switched off (the shop may still send its
# own e-mails for orders it changes itself). ``sources``: None = every order, else a list of
# ``orders.source`` values (manual, prestashop …).
DEFAULT_RULES: list[dict[str, Any]] = [
    {"status": "paid", "template": "payment_received", "sources": None, "enabled": False},
    {"status": "shipped", "template": "order_shipped", "sources": None, "enabled": False},
    {"status": "cancelled", "template": "order_cancelled", "sources": None, "enabled": False},
    {"status": "returned", "template": "return_received", "sources": None, "enabled": False},
]
