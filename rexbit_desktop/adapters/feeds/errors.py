"""What can be wrong with a feed. Each error fails the whole run, which then changes nothing."""

from __future__ import annotations

from rexbit_desktop.domain.errors import RexbitError


class FeedError(RexbitError):
    """The supplier feed cannot be imported."""


class FeedUnreachable(FeedError):
    """The feed cannot be fetched."""


class FeedTooLarge(FeedError):
    """The feed is larger than the profile's size limit."""


class FeedUnreadable(FeedError):
    """The feed is not a readable CSV or XML file."""


class FeedUnsafe(FeedError):
    """The XML feed declares entities or an external DTD; refused for safety."""


class FeedMappingError(FeedError):
    """The profile maps a column or path that the feed does not have."""


class FeedEmpty(FeedError):
    """The feed has no rows."""
