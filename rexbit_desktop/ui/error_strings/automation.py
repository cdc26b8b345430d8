"""The GUI's words for the errors of automation: rules, webhook endpoints and deliveries."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.ui.error_strings.common import Phrase, status_label, tr
from rexbit_desktop.ui.i18n import register, t

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
        # a rule as typed in the rule editor
        "The condition on „{field}” needs a value.": "Warunek „{field}” musi mieć wartość.",
        "„{field}” between takes two numbers, e.g. 100,500.": "„{field}” między przyjmuje dwie liczby, np. 100,500.",
        "Unknown status „{value}” in the condition on „{field}”.": "Nieznany status „{value}” w warunku „{field}”.",
        "Use one of: {allowed}.": "Użyj jednego z: {allowed}.",
        "A condition needs a field, an operator and a value.": "Warunek musi mieć pole, operator i wartość.",
        "Unknown condition field „{field}”.": "Nieznane pole warunku „{field}”.",
        "The operator „{op}” does not apply to „{field}”.": "Operator „{op}” nie pasuje do pola „{field}”.",
        "An action needs a type and its parameters.": "Akcja musi mieć typ i parametry.",
        "Unknown action „{action}”.": "Nieznana akcja „{action}”.",
        "The action „{action}” needs „{param}”.": "Akcja „{action}” wymaga parametru „{param}”.",
        "Unknown status „{status}” in the action Set status.": "Nieznany status „{status}” w akcji Ustaw status.",
        "E-mail templates cannot be sent yet: e-mail sending is not set up.": (
            "Nie można jeszcze wysyłać szablonów e-mail: wysyłka e-maili nie jest skonfigurowana."
        ),
        "Remove the e-mail action, or add it once e-mail sending is set up.": (
            "Usuń akcję e-mail albo dodaj ją po skonfigurowaniu wysyłki e-maili."
        ),
        "Unknown document „{document}” to print.": "Nieznany dokument do wydruku „{document}”.",
        "Documents: {known}.": "Dokumenty: {known}.",
        "Releasing reservations belongs to the built-in cancel rule only.": (
            "Zwalnianie rezerwacji należy tylko do wbudowanej reguły anulowania."
        ),
        "Give the rule a name.": "Podaj nazwę reguły.",
        "Unknown event „{event}”.": "Nieznane zdarzenie „{event}”.",
        "A rule needs at least one action.": "Reguła musi mieć co najmniej jedną akcję.",
        "A daily „in status” rule needs a days-in-status condition (e.g. at least 3 days).": (
            "Codzienna reguła „w statusie” wymaga warunku na dni w statusie (np. co najmniej 3 dni)."
        ),
        "The priority is a whole number (lower runs first).": (
            "Priorytet to liczba całkowita (niższy działa pierwszy)."
        ),
        "„{value}” is not a number.": "„{value}” nie jest liczbą.",
        "Unknown built-in rule „{builtin}”.": "Nieznana reguła wbudowana „{builtin}”.",
        "The operator „{op}” does not apply to text.": "Operator „{op}” nie pasuje do tekstu.",
    }
)


def _on_field(message: str, hint: str = "") -> Phrase:
    """A rule editor's refusal about a condition field, named as the editor names it."""

    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        field = str(p.get("field", ""))
        named = {**p, "field": t("SKU in the order" if field == "sku" else field)}
        if isinstance(p.get("allowed"), list) and p.get("field") != "payment_status":
            named["allowed"] = [status_label(str(a)) for a in p["allowed"]]
        return tr(message, named), tr(hint, named)

    return phrase


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
    "rule_condition_no_value": _on_field("The condition on „{field}” needs a value."),
    "rule_between_two_numbers": _on_field("„{field}” between takes two numbers, e.g. 100,500."),
    "rule_condition_unknown_status": _on_field(
        "Unknown status „{value}” in the condition on „{field}”.", "Use one of: {allowed}."
    ),
    "rule_condition_not_object": ("A condition needs a field, an operator and a value.", ""),
    "rule_field_unknown": _on_field("Unknown condition field „{field}”."),
    "rule_operator_not_applicable": _on_field("The operator „{op}” does not apply to „{field}”."),
    "rule_action_not_object": ("An action needs a type and its parameters.", ""),
    "rule_action_unknown": ("Unknown action „{action}”.", ""),
    "rule_action_needs": ("The action „{action}” needs „{param}”.", ""),
    "rule_action_unknown_status": ("Unknown status „{status}” in the action Set status.", ""),
    "rule_mail_unavailable": (
        "E-mail templates cannot be sent yet: e-mail sending is not set up.",
        "Remove the e-mail action, or add it once e-mail sending is set up.",
    ),
    "rule_document_unknown": ("Unknown document „{document}” to print.", "Documents: {known}."),
    "rule_release_builtin_only": ("Releasing reservations belongs to the built-in cancel rule only.", ""),
    "rule_name_missing": ("Give the rule a name.", ""),
    "rule_event_unknown": ("Unknown event „{event}”.", ""),
    "rule_no_action": ("A rule needs at least one action.", ""),
    "rule_in_status_needs_days": (
        "A daily „in status” rule needs a days-in-status condition (e.g. at least 3 days).",
        "",
    ),
    "rule_priority_not_whole": ("The priority is a whole number (lower runs first).", ""),
    "rule_not_a_number": ("„{value}” is not a number.", ""),
    "rule_builtin_unknown": ("Unknown built-in rule „{builtin}”.", ""),
    "rule_operator_not_for_text": ("The operator „{op}” does not apply to text.", ""),
}
