"""The command line's words for the services' errors.

A service error says what failed in plain English (``message``) and carries which object and value
(``params``) under a stable ``code``. What to type next — flags, ``rexbit …`` commands — is the CLI's
business and lives here, keyed by that code: ``MESSAGES`` replaces the message where the CLI names the
option the person typed ("--limit must be at least 1."), ``HINTS`` gives the advice (in place of the
service's own hint; a function may return None to keep it). An error without an entry prints its own
message and hint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.phrasing import fill

# A template filled with the params, or a function of the params (None: nothing to add).
Words = str | Callable[[Mapping[str, Any]], str | None]


def _limit(p: Mapping[str, Any]) -> str:
    got = f" (got {p['value']})" if "value" in p else ""
    return f"--{p.get('option', 'limit')} must be at least {p.get('min', 1)}{got}."


def _user_not_found(p: Mapping[str, Any]) -> str:
    if p.get("acting"):  # --user / REXBIT_USER names nobody
        return "Add one with: rexbit user add --login=..."
    return "See the users with: rexbit user list"


def _warehouse_not_found(p: Mapping[str, Any]) -> str | None:
    return None if p.get("known") else "Add one with: rexbit warehouse add --code=MAG1 --name=... --default"


def _carrier_required(p: Mapping[str, Any]) -> str:
    if p.get("via") == "transition":  # orders transition --to=shipped
        return "Shipping records the carrier: give --carrier (and --tracking when the carrier needs one)."
    return "Name the carrier (--carrier=inpost)."


MESSAGES: dict[str, Words] = {
    "carrier_required": _carrier_required,
    "tracking_required": "Give the tracking number (--tracking=...).",
    "limit_too_small": _limit,
    "limit_and_hours_too_small": "--limit and --hours must be at least 1.",
    "value_negative": "--{option} must be 0 or more.",
}

HINTS: dict[str, Words] = {
    # orders
    "order_not_found": "List orders with: rexbit orders list",
    "no_reservation": "Reserve it: rexbit orders reserve {number}",
    "no_wz": "It is issued on '{status}' (rexbit orders transition).",
    "order_already_imported": "See it with: rexbit orders show {existing}",
    "carrier_required": lambda p: (
        "rexbit orders ship NUMBER --carrier=inpost --tracking=..." if p.get("via") == "transition" else None
    ),
    # stock
    "wz_not_enough_stock": "Receive the goods (rexbit stock receive) or reserve them first.",
    "warehouse_not_found": _warehouse_not_found,
    "no_default_warehouse": (
        "Mark one: rexbit warehouse add --code=MAG1 --name=... --default "
        "(or rexbit orders settings set default_warehouse MAG1)."
    ),
    "product_not_found": "List them with: rexbit products list",
    # shipping
    "carrier_account_not_found": "Add one with: rexbit shipments carrier-set CODE --service=inpost|dpd --config=FILE",
    "shipment_cancelled": "Create the next package: --package={next_package}",
    "manual_carrier": "Record the parcel with: rexbit orders ship NUMBER --carrier=… --tracking=…",
    "carrier_not_chosen": "Name it: --carrier=inpost or --carrier=dpd",
    "no_shipment": "Create one: rexbit shipments create {number}",
    # automation
    "rule_not_found": "List them with: rexbit rules list",
    "endpoint_not_found": "List them with: rexbit webhooks list",
    "url_private": "An administrator can allow private addresses for this endpoint (--allow-private).",
    # mail
    "mail_no_account": "Add one: rexbit mail account set NAME --smtp-host=… --from=… (see docs/messages.md).",
    # integrations, feeds, shop
    "integration_not_found": "List them with: rexbit integration list",
    "no_import_profile": "Add one with: rexbit integration task-create --integration=ID --config=FILE.json",
    "shop_schema_incomplete": "Check 'prefix' and 'database'; 'rexbit integration test' shows the full report.",
    "skus_not_linked": "See 'rexbit products list' and 'rexbit products pull'.",
    # operations, users, demo
    "failed_job_not_found": "List failed jobs with 'rexbit queue failed'.",
    "job_already_queued": "Wait until it starts, or look at it with 'rexbit queue monitor'.",
    "user_not_found": _user_not_found,
    "user_without_password": "An admin sets one with: rexbit user password --login={login}",
    "demo_database_not_empty": "Use a new database, or run 'rexbit demo --if-empty' to skip quietly.",
    "mail_password_env_missing": "Set {env} for the process that sends or fetches mail (the worker, rexbit serve).",
}


def _say(words: Words, params: Mapping[str, Any]) -> str | None:
    return fill(words, params) if isinstance(words, str) else words(params)


def cli_phrase(exc: RexbitError) -> tuple[str, str | None]:
    """(message, hint) as ``rexbit`` prints them."""
    code = exc.code
    message = (_say(MESSAGES[code], exc.params) if code in MESSAGES else None) or exc.message
    advice = _say(HINTS[code], exc.params) if code in HINTS else None
    return message, advice or exc.hint
