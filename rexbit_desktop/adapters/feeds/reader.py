"""One entry point for both feed formats."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rexbit_desktop.adapters.feeds.csv_reader import CsvFeedReader
from rexbit_desktop.adapters.feeds.errors import FeedUnreadable
from rexbit_desktop.adapters.feeds.xml_reader import XmlFeedReader

FeedReader = CsvFeedReader | XmlFeedReader


def open_feed_reader(
    path: Path, format: str, options: Mapping[str, Any], mappings: Mapping[str, Any]
) -> FeedReader:
    if format == "csv":
        return CsvFeedReader(path, options, mappings)
    if format == "xml":
        return XmlFeedReader(path, options, mappings)
    raise FeedUnreadable(
        f"Unknown feed format '{format}'.",
        hint="Use csv or xml.",
        code="feed_format_unknown",
        params={"format": format},
    )
