"""The errors of e-mail (accounts, templates, sending): phrased by the mail screens' own words
(``ui/mail/strings.py``), found here by code like every other error."""

from __future__ import annotations

from typing import Any

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.ui.error_strings.common import Phrase


def _by_the_mail_strings(code: str) -> Phrase:
    def phrase(p: dict[str, Any]) -> tuple[str, str]:
        from rexbit_desktop.ui.mail.strings import phrase_mail_error

        return phrase_mail_error(RexbitError("", code=code, params=p))

    return phrase


PHRASES: dict[str, Phrase] = {
    code: _by_the_mail_strings(code)
    for code in (
        "mail_account_invalid",
        "mail_password_env_missing",
        "mail_no_account",
        "mail_bad_language",
        "mail_no_address",
        "mail_not_resendable",
        "mail_template_refused",
        "mail_account_gone",
        "mail_account_name",
        "mail_template_not_found",
        "mail_rule_sources",
        "mail_empty_message",
        "mail_message_not_found",
        "mail_account_deleted",
        "mail_attachment_failed",
        "mail_retry_later",
        "mail_gave_up",
        "mail_template_bad_code",
        "mail_template_no_subject",
        "mail_template_no_body",
        "mail_template_bad_attachment",
    )
}
