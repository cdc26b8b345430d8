"""Secrets in URLs: masked for display, put back when an edited masked URL is saved."""

from __future__ import annotations

import pytest

from rexbit_desktop.domain.secrets import mask_secrets, restore_secrets

ORIGINAL = "https://anna:Tajne9@feeds.example.com/stany.csv?token=abc123&format=csv"


def test_a_url_is_shown_without_its_password_and_token() -> None:
    assert mask_secrets(ORIGINAL) == "https://anna:***@feeds.example.com/stany.csv?token=***&format=csv"


@pytest.mark.parametrize(
    ("edited", "saved"),
    [
        (mask_secrets(ORIGINAL), ORIGINAL),
        (
            "https://anna:***@other.example.com/stany.csv?token=***",
            "https://anna:Tajne9@other.example.com/stany.csv?token=abc123",
        ),
        (
            "https://anna:Nowe1@feeds.example.com/stany.csv?token=***",
            "https://anna:Nowe1@feeds.example.com/stany.csv?token=abc123",
        ),
        ("/srv/feeds/stany.csv", "/srv/feeds/stany.csv"),
        ("https://bob:***@h/f?key=***", "https://bob:Tajne9@h/f?key=***"),  # no saved 'key': left as typed
    ],
)
def test_an_edited_masked_url_keeps_the_secrets_still_shown_as_stars(edited: str, saved: str) -> None:
    assert restore_secrets(edited, ORIGINAL) == saved


def test_nothing_to_restore_without_a_saved_url() -> None:
    assert restore_secrets("https://a:***@h/", None) == "https://a:***@h/"
