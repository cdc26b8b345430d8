"""The GUI's words for the errors of automation: rules, webhook endpoints and deliveries."""

from __future__ import annotations

from rexbit_desktop.ui.error_strings.common import Phrase
from rexbit_desktop.ui.i18n import register

register(
    {
        "There is no automation rule {rule}.": "Nie ma reguły automatyzacji {rule}.",
        "Refresh the list: someone may have deleted it.": "Odśwież listę: ktoś mógł ją usunąć.",
        "„{name}” is a built-in rule: switch it off instead of deleting it.": (
            "„{name}” to reguła wbudowana: wyłącz ją zamiast usuwać."
        ),
        "„{name}” is a built-in rule: only switch it on or off.": (
            "„{name}” to reguła wbudowana: można ją tylko włączyć lub wyłączyć."
        ),
        "Its status is chosen in the order settings (Issue the WZ when the order enters).": (
            "Jej status wybiera się w ustawieniach zamówień (Wystaw WZ przy przejściu do)."
        ),
        "There is no webhook delivery {delivery}.": "Nie ma wysyłki webhooka {delivery}.",
        "The endpoint of this delivery is switched off.": "Adres tej wysyłki jest wyłączony.",
        "Switch it on first, then send again.": "Najpierw go włącz, potem wyślij ponownie.",
        "The webhook endpoint „{name}” is switched off.": "Adres webhooka „{name}” jest wyłączony.",
        "Unknown webhook type „{type}”.": "Nieznany typ webhooka „{type}”.",
        "Known types: {types}.": "Znane typy: {types}.",
        "Give the endpoint a name.": "Podaj nazwę adresu.",
        "There is no webhook endpoint „{name}”.": "Nie ma adresu webhooka „{name}”.",
        "There is already a webhook endpoint „{name}”.": "Adres webhooka „{name}” już istnieje.",
        "A webhook secret starts with „whsec_”.": "Sekret webhooka zaczyna się od „whsec_”.",
        "Leave it empty to get a new one.": "Zostaw puste pole, aby dostać nowy.",
        "A webhook secret holds 24 to 64 bytes.": "Sekret webhooka ma od 24 do 64 bajtów.",
        "The webhook secret after „whsec_” is not base64.": "Sekret webhooka po „whsec_” nie jest w base64.",
        "„{url}” is not a web address.": "„{url}” nie jest adresem internetowym.",
        "A webhook URL looks like https://example.com/hooks/rexbit.": (
            "Adres webhooka wygląda tak: https://example.com/hooks/rexbit."
        ),
        "Put no user name or password in the webhook URL; the signature authenticates.": (
            "Nie wpisuj nazwy użytkownika ani hasła w adresie webhooka; uwierzytelnia go podpis."
        ),
        "The host {host} of the webhook URL cannot be resolved.": "Nie można odnaleźć hosta {host} z adresu webhooka.",
        "The webhook URL points to a private or local address ({host} → {address}).": (
            "Adres webhooka wskazuje adres prywatny lub lokalny ({host} → {address})."
        ),
        "An administrator can allow private and local addresses for this endpoint.": (
            "Administrator może zezwolić temu adresowi na adresy prywatne i lokalne."
        ),
        "The port in „{url}” is not a number.": "Port w „{url}” nie jest liczbą.",
    }
)

PHRASES: dict[str, Phrase] = {
    "rule_not_found": (
        "There is no automation rule {rule}.",
        "Refresh the list: someone may have deleted it.",
    ),
    "builtin_rule_not_deleted": ("„{name}” is a built-in rule: switch it off instead of deleting it.", ""),
    "builtin_rule_fixed": (
        "„{name}” is a built-in rule: only switch it on or off.",
        "Its status is chosen in the order settings (Issue the WZ when the order enters).",
    ),
    "delivery_not_found": ("There is no webhook delivery {delivery}.", ""),
    "delivery_endpoint_off": (
        "The endpoint of this delivery is switched off.",
        "Switch it on first, then send again.",
    ),
    "endpoint_off": ("The webhook endpoint „{name}” is switched off.", ""),
    "unknown_webhook_type": ("Unknown webhook type „{type}”.", "Known types: {types}."),
    "endpoint_name_missing": ("Give the endpoint a name.", ""),
    "endpoint_not_found": (
        "There is no webhook endpoint „{name}”.",
        "Refresh the list: someone may have deleted it.",
    ),
    "endpoint_exists": ("There is already a webhook endpoint „{name}”.", ""),
    "secret_prefix": ("A webhook secret starts with „whsec_”.", "Leave it empty to get a new one."),
    "secret_length": ("A webhook secret holds 24 to 64 bytes.", "Leave it empty to get a new one."),
    "secret_not_base64": (
        "The webhook secret after „whsec_” is not base64.",
        "Leave it empty to get a new one.",
    ),
    "url_invalid": (
        "„{url}” is not a web address.",
        "A webhook URL looks like https://example.com/hooks/rexbit.",
    ),
    "url_credentials": ("Put no user name or password in the webhook URL; the signature authenticates.", ""),
    "url_unresolved": ("The host {host} of the webhook URL cannot be resolved.", ""),
    "url_private": (
        "The webhook URL points to a private or local address ({host} → {address}).",
        "An administrator can allow private and local addresses for this endpoint.",
    ),
    "url_port_invalid": ("The port in „{url}” is not a number.", ""),
}
