"""CSV feeds, read in chunks with pandas (every value as text).

Detected unless the profile's options say otherwise: ``encoding`` (UTF-8 with or without BOM, cp1250,
ISO-8859-2), ``delimiter`` (``;`` ``,`` tab ``|``), ``decimal`` ("," or "."), ``quotechar`` (``"``;
``"none"`` for feeds with stray quotes) and line endings (CRLF, LF, CR). ``header_line`` (1-based, default
1) skips a preamble.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexbit_desktop.adapters.feeds.errors import FeedMappingError, FeedUnreadable

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (";", ",", "\t", "|")
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "cp1250": "cp1250",
    "windows-1250": "cp1250",
    "win1250": "cp1250",
    "iso-8859-2": "iso8859_2",
    "iso8859-2": "iso8859_2",
    "iso8859_2": "iso8859_2",
    "latin2": "iso8859_2",
}
# Polish letters that the two single-byte encodings put at different bytes (DOMAIN.md):
# ą Ą ś Ś ź Ź. ż ł ć ę ń ó are the same in both and tell nothing.
_CP1250_ONLY = bytes([0xB9, 0xA5, 0x9C, 0x8C, 0x9F, 0x8F])
_ISO8859_2_ONLY = bytes([0xB1, 0xA1, 0xB6, 0xA6, 0xBC, 0xAC])


@dataclass(frozen=True)
class CsvDialect:
    encoding: str
    delimiter: str
    quotechar: str | None
    lineterminator: str | None  # None: pandas handles \n and \r\n itself
    decimal: str | None  # None: each number says it itself (see domain.feed_values.parse_decimal)
    header_line: int


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as f:
            while block := f.read(4 * 1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path, sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _is_utf8(path):
        return "utf-8"
    # Score on the whole file: a sample may hold no distinguishing letter.
    cp = iso = 0
    with path.open("rb") as f:
        while block := f.read(4 * 1024 * 1024):
            cp += sum(block.count(b) for b in _CP1250_ONLY)
            iso += sum(block.count(b) for b in _ISO8859_2_ONLY)
    return "iso8859_2" if iso > cp else "cp1250"


def _encoding_option(value: Any) -> str:
    name = str(value).strip().lower()
    if name not in ENCODINGS:
        raise FeedUnreadable(
            f"Unknown encoding '{value}' in the profile options.",
            hint="Use utf-8, utf-8-sig, cp1250 (windows-1250) or iso-8859-2.",
            code="feed_encoding_unknown",
            params={"encoding": str(value)},
        )
    return ENCODINGS[name]


def detect_delimiter(text: str, quotechar: str | None) -> str:
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    best, best_score = ";", -1
    for delimiter in DELIMITERS:
        reader = csv.reader(
            lines,
            delimiter=delimiter,
            quotechar=quotechar or '"',
            quoting=csv.QUOTE_NONE if not quotechar else 0,
        )
        try:
            counts = [len(row) for row in reader if row]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = sum(1 for c in counts if c == counts[0]) * 100 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def detect_dialect(path: Path, options: Mapping[str, Any]) -> CsvDialect:
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if b"\x00" in sample[:4096]:
        raise FeedUnreadable(
            f"The feed {path.name} looks binary (UTF-16 or a spreadsheet?), not a CSV text file.",
            hint="Export it as CSV (UTF-8 or windows-1250).",
            code="feed_binary",
            params={"feed": path.name},
        )
    encoding = _encoding_option(options["encoding"]) if options.get("encoding") else None
    if encoding is None:
        encoding = detect_encoding(path, sample)
    elif encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    text = sample.decode(encoding, errors="replace")
    raw_quote = options.get("quotechar", '"')
    quotechar = None if raw_quote in (None, "", "none") else str(raw_quote)
    header_line = int(options.get("header_line", 1) or 1)
    body = "\n".join(text.splitlines()[header_line - 1 :])
    delimiter = options.get("delimiter") or detect_delimiter(body, quotechar)
    if delimiter == "\\t" or delimiter == "tab":
        delimiter = "\t"
    if len(delimiter) != 1:
        raise FeedUnreadable(
            f"The delimiter must be one character, not '{delimiter}'.",
            code="feed_delimiter_invalid",
            params={"delimiter": str(delimiter)},
        )
    lineterminator = "\r" if ("\r" in text and "\n" not in text) else None
    decimal = options.get("decimal")
    if decimal is None and delimiter == ";":
        decimal = ","  # ';' is used precisely because ',' is the decimal separator
    if decimal == "auto":
        decimal = None
    if decimal not in (None, ",", "."):
        raise FeedUnreadable(
            f"The decimal separator must be ',' or '.', not '{decimal}'.",
            code="feed_decimal_invalid",
            params={"decimal": str(decimal)},
        )
    return CsvDialect(encoding, delimiter, quotechar, lineterminator, decimal, header_line)


def _pandas() -> Any:
    # Imported on first use: pandas costs a second of start-up that list commands and the UI do not need.
    import pandas

    return pandas


class CsvFeedReader:
    """Reads mapped columns of a CSV feed in chunks: ``[(line, raw values in field order…), …]``."""

    def __init__(self, path: Path, options: Mapping[str, Any], mappings: Mapping[str, str]) -> None:
        self.path = path
        self.options = options
        self.mappings = {k: str(v) for k, v in mappings.items() if v not in (None, "")}
        self.explicit_fields = set(self.mappings)
        self.value_maps: dict[str, Any] = dict(options.get("value_maps") or {})
        self.dialect = detect_dialect(path, options)
        self._binary: io.BufferedReader | None = None
        self.headers = self._read_headers()
        missing = [f"{field} → '{col}'" for field, col in self.mappings.items() if col not in self.headers]
        if missing:
            raise FeedMappingError(
                f"The feed has no column for {', '.join(missing)}.",
                hint="Columns in the feed: " + ", ".join(self.headers[:30]),
                code="feed_columns_missing",
                params={
                    "missing": {f: c for f, c in self.mappings.items() if c not in self.headers},
                    "headers": self.headers[:30],
                },
            )

    @property
    def decimal(self) -> str | None:
        return self.dialect.decimal

    def _read_csv(self, source: Any, **kwargs: Any) -> Any:
        d = self.dialect
        return _pandas().read_csv(
            source,
            sep=d.delimiter,
            encoding=d.encoding,
            encoding_errors="strict",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quotechar=d.quotechar or '"',
            quoting=csv.QUOTE_NONE if d.quotechar is None else csv.QUOTE_MINIMAL,
            lineterminator=d.lineterminator,
            skiprows=d.header_line - 1,
            skip_blank_lines=False,
            engine="c",
            **kwargs,
        )

    def _read_headers(self) -> list[str]:
        pd = _pandas()
        try:
            frame = self._read_csv(self.path, nrows=0)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise self._unreadable(exc) from None
        headers = [str(h).strip() for h in frame.columns]
        if len(headers) < 2 and len(self.mappings) > 1:
            raise FeedUnreadable(
                f"The feed {self.path.name} has one column only with delimiter '{self.dialect.delimiter}'.",
                hint="Set options.delimiter in the import profile.",
                code="feed_one_column",
                params={"feed": self.path.name, "delimiter": self.dialect.delimiter},
            )
        return headers

    def _unreadable(self, exc: BaseException) -> FeedUnreadable:
        pd = _pandas()
        if isinstance(exc, UnicodeDecodeError):
            return FeedUnreadable(
                f"The feed {self.path.name} is not valid {self.dialect.encoding} text "
                f"(byte 0x{exc.object[exc.start]:02X}).",
                hint="Set options.encoding in the import profile (utf-8, cp1250 or iso-8859-2).",
                code="feed_not_text",
                params={"feed": self.path.name, "encoding": self.dialect.encoding},
            )
        if isinstance(exc, pd.errors.EmptyDataError):
            return FeedUnreadable(
                f"The feed {self.path.name} is empty.",
                code="feed_empty_file",
                params={"feed": self.path.name},
            )
        return FeedUnreadable(
            f"The feed {self.path.name} is not a readable CSV file: {exc}".strip(),
            code="feed_not_csv",
            params={"feed": self.path.name, "reason": str(exc).strip()},
        )

    def tell(self) -> int:
        return self._binary.tell() if self._binary is not None else 0

    def chunks(
        self, fields: tuple[str, ...], chunk_rows: int, limit: int | None = None
    ) -> Iterator[list[tuple]]:
        """Chunks of ``(line, value of each field or None)``; blank lines are skipped silently."""
        names = list(dict.fromkeys(self.mappings[f] for f in fields if f in self.mappings))
        # Header names are stripped; read by position so that ' Stan ' still maps to 'Stan'.
        positions = [self.headers.index(n) for n in names]
        first_line = self.dialect.header_line + 1
        pd = _pandas()
        done = 0
        with self.path.open("rb") as binary:
            self._binary = binary  # type: ignore[assignment]
            try:
                reader = self._read_csv(binary, usecols=positions, chunksize=chunk_rows)
                with reader:
                    for frame in reader:
                        if limit is not None and done + len(frame) > limit:
                            frame = frame.iloc[: limit - done]
                        n = len(frame)
                        # Blank lines are dropped here, keeping each row's index (= its line number).
                        frame = frame[(frame != "").any(axis=1)]
                        columns = {
                            names[positions.index(p)]: [v or None for v in frame.iloc[:, i].tolist()]
                            for i, p in enumerate(sorted(positions))
                        }
                        lines = (frame.index + first_line).tolist()
                        empty = [None] * len(lines)
                        cols = [columns[self.mappings[f]] if f in self.mappings else empty for f in fields]
                        rows = list(zip(lines, *cols, strict=True))
                        done += n
                        if rows:
                            yield rows
                        if limit is not None and done >= limit:
                            return
            except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
                raise self._unreadable(exc) from None
            finally:
                self._binary = None

    def preview(self, rows: int = 20) -> list[dict[str, str]]:
        pd = _pandas()
        try:
            frame = self._read_csv(self.path, nrows=rows)
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
            raise self._unreadable(exc) from None
        frame.columns = self.headers
        return [dict(r) for r in frame.to_dict(orient="records")]
