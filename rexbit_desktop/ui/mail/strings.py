"""The mail settings' texts in Polish, and the mail errors said in the user's words.

The adapters and services put what went wrong into ``params`` (``problem``: login, tls, unreachable …;
a refused template: field, line, kind); ``phrase_mail_error`` turns them into Polish (or English) text
without command-line hints. Anything else goes to the common ``phrase_error``.
"""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.ui.error_strings.common import tr
from rexbit_desktop.ui.i18n import register, register_plurals, t, tn
from rexbit_desktop.ui.messages import phrase_error

register(
    {
        # the page
        "E-mail": "E-mail",
        "Mail accounts": "Konta pocztowe",
        "Templates": "Szablony",
        "Automatic e-mails": "Automatyczne e-maile",
        "Account": "Konto",
        "New account": "Nowe konto",
        "Delete account…": "Usuń konto…",
        "Delete the mail account „{name}”?": "Usunąć konto pocztowe „{name}”?",
        "Default account": "Konto domyślne",
        "Sending (SMTP)": "Wysyłka (SMTP)",
        "Replies (IMAP, optional)": "Odpowiedzi (IMAP, opcjonalnie)",
        "SMTP server": "Serwer SMTP",
        "IMAP server": "Serwer IMAP",
        "Port": "Port",
        "automatic": "automatycznie",
        "Security": "Zabezpieczenie",
        "STARTTLS (port 587)": "STARTTLS (port 587)",
        "SSL/TLS (port 465)": "SSL/TLS (port 465)",
        "SSL/TLS (port 993)": "SSL/TLS (port 993)",
        "STARTTLS (port 143)": "STARTTLS (port 143)",
        "none (trusted network only)": "brak (tylko w zaufanej sieci)",
        "Login": "Login",
        "Password": "Hasło",
        "Password source": "Źródło hasła",
        "typed here (stored in the database)": "wpisane tutaj (zapisane w bazie)",
        "environment variable of the worker": "zmienna środowiskowa procesu wysyłającego",
        "Variable name": "Nazwa zmiennej",
        "unchanged (leave empty to keep the saved password)": "bez zmian (zostaw puste)",
        "Sender name": "Nazwa nadawcy",
        "Sender address": "Adres nadawcy",
        "Reply-to": "Odpowiedzi na adres",
        "Folder": "Folder",
        "IMAP login (empty: as SMTP)": "Login IMAP (puste: jak SMTP)",
        "empty: as for SMTP": "puste: jak dla SMTP",
        "Link to documents": "Link do dokumentów",
        "Save account": "Zapisz konto",
        "Send a test e-mail": "Wyślij testowy e-mail",
        "Check the inbox": "Sprawdź skrzynkę",
        "Test recipient": "Odbiorca testu",
        "empty: the sender address": "puste: adres nadawcy",
        "Sending a test e-mail…": "Wysyłanie testowego e-maila…",
        "Checking the inbox…": "Sprawdzanie skrzynki…",
        "The test e-mail was sent to {to}.": "Testowy e-mail wysłano do {to}.",
        "The inbox works: folder {folder}, messages: {n}.": "Skrzynka działa: folder {folder}, wiadomości: {n}.",
        "Account „{name}” saved.": "Zapisano konto „{name}”.",
        "Give the account a name.": "Podaj nazwę konta.",
        "Save the account first.": "Najpierw zapisz konto.",
        "The password is set.": "Hasło jest ustawione.",
        "No password is set.": "Hasło nie jest ustawione.",
        "The password is read from {env}.": "Hasło jest odczytywane ze zmiennej {env}.",
        # templates
        "Template": "Szablon",
        "Code": "Kod",
        "Name": "Nazwa",
        "Language": "Język",
        "Subject": "Temat",
        "Plain-text body": "Treść (tekst)",
        "HTML body (optional)": "Treść HTML (opcjonalnie)",
        "Attachments": "Załączniki",
        "Variables": "Zmienne",
        "Double-click a variable to insert it.": "Kliknij dwukrotnie zmienną, aby ją wstawić.",
        "Preview for order": "Podgląd dla zamówienia",
        "Preview": "Podgląd",
        "Save template": "Zapisz szablon",
        "New language version…": "Nowa wersja językowa…",
        "Language code (two letters, e.g. en, de):": "Kod języka (dwie litery, np. en, de):",
        "Template „{name}” ({language}) saved.": "Zapisano szablon „{name}” ({language}).",
        "Order number": "Numer zamówienia",
        "To": "Do",
        "Order confirmation": "Potwierdzenie zamówienia",
        "Packing list": "Lista kompletacyjna",
        "Reservation": "Rezerwacja",
        "WZ": "WZ",
        # rules
        "When an order enters": "Gdy zamówienie przejdzie do",
        "send the template": "wyślij szablon",
        "Only orders from": "Tylko zamówienia ze źródeł",
        "all sources": "wszystkie źródła",
        "Rule on": "Włączona",
        "Add rule": "Dodaj regułę",
        "Remove rule": "Usuń regułę",
        "Save rules": "Zapisz reguły",
        "Rules saved.": "Zapisano reguły.",
        "Language of e-mails to orders typed in": "Język e-maili do zamówień wpisanych ręcznie",
        "Shop orders use their customer's language; a template missing in a language is sent in Polish.": (
            "Zamówienia ze sklepu mają język klienta; brakujący w danym języku szablon idzie po polsku."
        ),
        "Comma-separated, e.g. prestashop, manual; empty: all.": (
            "Oddzielone przecinkami, np. prestashop, manual; puste: wszystkie."
        ),
        "Saved": "Zapisano",
        "A template's code is letters, digits, '-' or '_' (up to 64), e.g. order_shipped.": (
            "Kod szablonu to litery, cyfry, „-” lub „_” (do 64 znaków), np. order_shipped."
        ),
        "The template needs a subject.": "Szablon musi mieć temat.",
        "The template needs a plain-text body.": "Szablon musi mieć treść tekstową.",
        "The message needs a subject and a body.": "Wiadomość musi mieć temat i treść.",
        # errors
        "Cannot reach the mail server {where}: {reason}.": "Nie można połączyć się z serwerem poczty {where}: {reason}.",
        "Check the server name and the port, and that this computer may connect to it.": (
            "Sprawdź nazwę serwera i port oraz czy ten komputer może się z nim łączyć."
        ),
        "The encrypted connection (TLS) with the mail server {where} failed: {reason}.": (
            "Nie udało się nawiązać szyfrowanego połączenia (TLS) z serwerem poczty {where}: {reason}."
        ),
        "Check the port and the security: STARTTLS is usually port 587, SSL/TLS 465 (IMAP: 993).": (
            "Sprawdź port i zabezpieczenie: STARTTLS to zwykle port 587, SSL/TLS – 465 (IMAP: 993)."
        ),
        "The mail server {where} refused the login „{login}”: {reply}.": (
            "Serwer poczty {where} odrzucił logowanie „{login}”: {reply}."
        ),
        "Check the login and the password of the mail account.": "Sprawdź login i hasło konta pocztowego.",
        "The mail server {where} does not offer STARTTLS.": "Serwer poczty {where} nie obsługuje STARTTLS.",
        "Choose SSL/TLS (port 465) or, on a trusted network only, no security.": (
            "Wybierz SSL/TLS (port 465) albo – tylko w zaufanej sieci – brak zabezpieczenia."
        ),
        "The mail server answered: {reply}.": "Serwer poczty odpowiedział: {reply}.",
        "The account has no IMAP server for replies.": "Konto nie ma serwera IMAP do odbierania odpowiedzi.",
        "Enter the IMAP server (and its port and folder) and save the account.": (
            "Wpisz serwer IMAP (oraz port i folder) i zapisz konto."
        ),
        "The folder „{folder}” cannot be opened: {reason}.": "Nie można otworzyć folderu „{folder}”: {reason}.",
        "Check the folder name (usually INBOX).": "Sprawdź nazwę folderu (zwykle INBOX).",
        "The password's environment variable {env} is not set.": (
            "Zmienna środowiskowa z hasłem {env} nie jest ustawiona."
        ),
        "Set it for the program that sends the e-mails (the worker), or type the password here.": (
            "Ustaw ją dla programu, który wysyła e-maile (procesu kolejki), albo wpisz hasło tutaj."
        ),
        "No mail account is set up.": "Nie skonfigurowano konta pocztowego.",
        "There is no mail account „{name}”.": "Nie ma konta pocztowego „{name}”.",
        "Add one in Orders → E-mail → Mail accounts.": "Dodaj je w Zamówienia → E-mail → Konta pocztowe.",
        "Fill in: {field}.": "Uzupełnij pole: {field}.",
        "{field}: enter a port number between 1 and 65535.": "{field}: wpisz numer portu od 1 do 65535.",
        "{field}: this is not an e-mail address.": "{field}: to nie jest adres e-mail.",
        "{field}: the name of an environment variable, e.g. REXBIT_SMTP_PASSWORD.": (
            "{field}: nazwa zmiennej środowiskowej, np. REXBIT_SMTP_PASSWORD."
        ),
        "{field}: the value is not valid.": "{field}: niepoprawna wartość.",
        "The template's {field}, line {line}: unknown variable.": "{field} szablonu, wiersz {line}: nieznana zmienna.",
        "The template's {field}, line {line}: syntax error ({reason}).": (
            "{field} szablonu, wiersz {line}: błąd składni ({reason})."
        ),
        "The template's {field}, line {line}: not allowed.": "{field} szablonu, wiersz {line}: niedozwolone.",
        "The template's {field}, line {line}: {reason}": "{field} szablonu, wiersz {line}: {reason}",
        "Use only the variables listed beside the editor, e.g. {{ order.number }}.": (
            "Używaj tylko zmiennych z listy obok edytora, np. {{ order.number }}."
        ),
        "Order {number} has no customer e-mail address.": "Zamówienie {number} nie ma adresu e-mail klienta.",
        "Add the e-mail to the customer's address, then send again.": "Dodaj e-mail do adresu klienta i wyślij ponownie.",
        "Only an uncertain or failed e-mail is sent again (this one is „{state}”).": (
            "Ponownie wysyła się tylko wiadomość niepewną lub z błędem (ta ma stan „{state}”)."
        ),
        "„{language}” is not a language code: two letters, e.g. pl, en, de.": (
            "„{language}” to nie kod języka: dwie litery, np. pl, en, de."
        ),
        "This mail account does not exist any more (someone deleted it).": (
            "To konto pocztowe już nie istnieje (ktoś je usunął)."
        ),
        "Give the mail account a name (up to {max} characters).": "Podaj nazwę konta pocztowego (do {max} znaków).",
        "There is no mail template „{code}”.": "Nie ma szablonu e-maila „{code}”.",
        "Templates: {known}.": "Szablony: {known}.",
        "Add one in Orders → E-mail → Templates.": "Dodaj go w Zamówienia → E-mail → Szablony.",
        "A rule's sources are order sources such as manual or prestashop.": (
            "Źródła reguły to źródła zamówień, np. manual lub prestashop."
        ),
        "This e-mail is no longer in the outbox.": "Tej wiadomości nie ma już w skrzynce nadawczej.",
        "The message's mail account was deleted.": "Konto pocztowe tej wiadomości zostało usunięte.",
        "The attachment cannot be made: {reason}": "Nie można przygotować załącznika: {reason}",
        "The e-mail will be tried again later (attempt {attempt} failed).": (
            "E-mail zostanie wysłany ponownie później (próba {attempt} nie powiodła się)."
        ),
        "Unknown attachment: {unknown}.": "Nieznany załącznik: {unknown}.",
        "Attach any of: {kinds}.": "Można dołączyć: {kinds}.",
        "subject": "Temat",
        "body_text": "Treść (tekst)",
        "body_html": "Treść HTML",
    }
)
register_plurals(
    {
        "Gave up after {n} attempt.": (
            "Gave up after {n} attempts.",
            "Zrezygnowano po {n} próbie.",
            "Zrezygnowano po {n} próbach.",
            "Zrezygnowano po {n} próbach.",
        )
    }
)

FIELD_NAMES = {
    "smtp_host": "SMTP server",
    "smtp_port": "Port",
    "from_address": "Sender address",
    "reply_to": "Reply-to",
    "from_name": "Sender name",
    "password_env": "Variable name",
    "imap_password_env": "Variable name",
    "imap_port": "Port",
    "imap_host": "IMAP server",
}


def _account_invalid(p: dict[str, Any]) -> tuple[str, str]:
    field = t(FIELD_NAMES.get(str(p.get("key")), str(p.get("key") or "")))
    problem = p.get("problem")
    if problem == "required":
        return t("Fill in: {field}.", field=field), ""
    if problem == "port":
        return t("{field}: enter a port number between 1 and 65535.", field=field), ""
    if problem == "address":
        return t("{field}: this is not an e-mail address.", field=field), ""
    if problem == "env_name":
        return t("{field}: the name of an environment variable, e.g. REXBIT_SMTP_PASSWORD.", field=field), ""
    return t("{field}: the value is not valid.", field=field), ""


def _server_problem(p: dict[str, Any]) -> tuple[str, str] | None:
    problem = p.get("problem")
    where, reason = p.get("where", ""), p.get("reason", "")
    if problem == "unreachable":
        return (
            t("Cannot reach the mail server {where}: {reason}.", where=where, reason=reason),
            t("Check the server name and the port, and that this computer may connect to it."),
        )
    if problem == "tls":
        return (
            t("The encrypted connection (TLS) with the mail server {where} failed: {reason}.", where=where, reason=reason),
            t("Check the port and the security: STARTTLS is usually port 587, SSL/TLS 465 (IMAP: 993)."),
        )  # fmt: skip
    if problem == "login":
        return (
            t(
                "The mail server {where} refused the login „{login}”: {reply}.",
                where=where, login=p.get("login", ""), reply=p.get("reply", ""),
            ),
            t("Check the login and the password of the mail account."),
        )  # fmt: skip
    if problem == "no_starttls":
        return (
            t("The mail server {where} does not offer STARTTLS.", where=where),
            t("Choose SSL/TLS (port 465) or, on a trusted network only, no security."),
        )
    if problem == "refused":
        return t("The mail server answered: {reply}.", reply=p.get("reply", "")), ""
    if problem == "no_imap":
        return (
            t("The account has no IMAP server for replies."),
            t("Enter the IMAP server (and its port and folder) and save the account."),
        )
    if problem == "folder":
        return (
            t("The folder „{folder}” cannot be opened: {reason}.", folder=p.get("folder", ""), reason=reason),
            t("Check the folder name (usually INBOX)."),
        )
    return None


def _template_refused(p: dict[str, Any]) -> tuple[str, str]:
    field, line, kind = t(str(p.get("field", ""))), p.get("line") or "?", p.get("kind")
    hint = t("Use only the variables listed beside the editor, e.g. {{ order.number }}.")
    if kind == "unknown":
        return t("The template's {field}, line {line}: unknown variable.", field=field, line=line), hint
    if kind == "syntax":
        return (
            t("The template's {field}, line {line}: syntax error ({reason}).", field=field, line=line,
              reason=p.get("reason", "")),
            "",
        )  # fmt: skip
    if kind == "forbidden":
        return t("The template's {field}, line {line}: not allowed.", field=field, line=line), hint
    return t(
        "The template's {field}, line {line}: {reason}", field=field, line=line, reason=p.get("reason", "")
    ), hint


# Codes whose text has no params to fill: (English message, English hint).
_PLAIN = {
    "mail_account_gone": ("This mail account does not exist any more (someone deleted it).", ""),
    "mail_account_name": ("Give the mail account a name (up to {max} characters).", ""),
    "mail_rule_sources": ("A rule's sources are order sources such as manual or prestashop.", ""),
    "mail_empty_message": ("The message needs a subject and a body.", ""),
    "mail_message_not_found": ("This e-mail is no longer in the outbox.", ""),
    "mail_account_deleted": ("The message's mail account was deleted.", ""),
    "mail_template_bad_code": (
        "A template's code is letters, digits, '-' or '_' (up to 64), e.g. order_shipped.",
        "",
    ),
    "mail_template_no_subject": ("The template needs a subject.", ""),
    "mail_template_no_body": ("The template needs a plain-text body.", ""),
    "mail_template_bad_attachment": ("Unknown attachment: {unknown}.", "Attach any of: {kinds}."),
}


def _template_not_found(p: dict[str, Any]) -> tuple[str, str]:
    hint = "Templates: {known}." if p.get("known") else "Add one in Orders → E-mail → Templates."
    return tr("There is no mail template „{code}”.", p), tr(hint, p)


def _attachment_failed(p: dict[str, Any]) -> tuple[str, str]:
    reason = str(p.get("reason", ""))
    if p.get("cause"):  # the error that stopped the document, in the user's words
        cause = p.get("cause_params")
        reason = phrase_error(
            RexbitError(reason, code=str(p["cause"]), params=cause if isinstance(cause, dict) else {})
        )[0]
    return t("The attachment cannot be made: {reason}", reason=reason), ""


def _attempt_failed(code: str, p: dict[str, Any]) -> tuple[str, str]:
    """A sending attempt that failed: the server's problem (or its answer), and what happens next."""
    message, hint = _server_problem(p) or (str(p.get("reason", "")), "")
    if code == "mail_retry_later":
        return message, t(
            "The e-mail will be tried again later (attempt {attempt} failed).", attempt=p.get("attempt", "")
        )
    n = p.get("attempts")
    return f"{message} {tn('Gave up after {n} attempt.', n if isinstance(n, int) else 0)}", hint


def phrase_mail_error(exc: BaseException) -> tuple[str, str]:
    """(message, hint) for an error of the mail settings, sending or resending, in the user's language."""
    if not isinstance(exc, RexbitError):
        return t("Something went wrong"), ""
    p = exc.params
    code = exc.code if isinstance(exc.code, str) else None
    if code in ("mail_retry_later", "mail_gave_up"):
        return _attempt_failed(code, p)
    server = _server_problem(p) if "problem" in p and code != "mail_account_invalid" else None
    if server is not None:
        return server
    if code == "mail_account_invalid":
        return _account_invalid(p)
    if code == "mail_template_refused":
        return _template_refused(p)
    if code == "mail_password_env_missing":
        return (
            t("The password's environment variable {env} is not set.", env=p.get("env", "")),
            t("Set it for the program that sends the e-mails (the worker), or type the password here."),
        )
    if code == "mail_no_account":
        message = (
            t("There is no mail account „{name}”.", name=p["name"])
            if p.get("name")
            else t("No mail account is set up.")
        )
        return message, t("Add one in Orders → E-mail → Mail accounts.")
    if code == "mail_no_address":
        return (
            t("Order {number} has no customer e-mail address.", number=p.get("number", "")),
            t("Add the e-mail to the customer's address, then send again."),
        )
    if code == "mail_not_resendable":
        return t(
            "Only an uncertain or failed e-mail is sent again (this one is „{state}”).",
            state=p.get("state", ""),
        ), ""
    if code == "mail_bad_language":
        return t(
            "„{language}” is not a language code: two letters, e.g. pl, en, de.",
            language=p.get("language", ""),
        ), ""
    if code == "mail_template_not_found":
        return _template_not_found(p)
    if code == "mail_attachment_failed":
        return _attachment_failed(p)
    if code in _PLAIN:
        message, hint = _PLAIN[code]
        return tr(message, p), tr(hint, p)
    return phrase_error(exc)
