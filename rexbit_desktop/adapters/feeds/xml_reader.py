"""XML feeds, streamed with lxml ``iterparse``: memory stays flat however many records there are.

Options: ``record`` — the record element's name, anywhere in the tree (``item``, ``o``, ``g:item``);
``namespaces`` — prefixes used in ``record`` and in the mappings (``{"g": "http://base.google.com/ns/1.0"}``);
``preset`` — ``google_merchant`` or ``ceneo`` (detected from the root element when ``record`` is not set).
Mappings are paths relative to the record: a child element (``g:id``, ``name``), an attribute (``@id``),
or a small XPath (``attrs/a[@name='EAN']``).

Safety: entities are never expanded, nothing is fetched from the network, ``huge_tree`` stays off, and
a document that declares entities or an external DTD is refused before parsing (billion laughs, XXE).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from rexbit_desktop.adapters.feeds.errors import FeedMappingError, FeedUnreadable, FeedUnsafe

GOOGLE_NS = "http://base.google.com/ns/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"

PRESETS: dict[str, dict[str, Any]] = {
    "google_merchant": {
        "record": "item",
        "namespaces": {"g": GOOGLE_NS},
        "mappings": {
            "sku": "g:id",
            "ean": "g:gtin",
            "stock_quantity": "g:availability",
            "delivery_days": "g:availability_date",
            "purchase_price": "g:price",
        },
    },
    "google_merchant_atom": {
        "record": "atom:entry",
        "namespaces": {"g": GOOGLE_NS, "atom": ATOM_NS},
        "mappings": {
            "sku": "g:id",
            "ean": "g:gtin",
            "stock_quantity": "g:availability",
            "delivery_days": "g:availability_date",
            "purchase_price": "g:price",
        },
    },
    "ceneo": {
        "record": "o",
        "namespaces": {},
        "mappings": {
            "sku": "@id",
            "ean": "attrs/a[@name='EAN']",
            "stock_quantity": "@stock",
            "delivery_days": "@avail",
            "purchase_price": "@price",
        },
        # Ceneo's avail 99 means "ask the shop": no delivery promise.
        "value_maps": {"delivery_days": {"99": None}},
    },
}

_PROLOG_BYTES = 64 * 1024
_SIMPLE_CHILD = re.compile(r"^(?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*$")
_SIMPLE_ATTR = re.compile(r"^@((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)$")


def _check_prolog(path: Path) -> bytes:
    """Refuse DTDs that declare entities or load an external subset, before lxml sees the file."""
    with path.open("rb") as f:
        head = f.read(_PROLOG_BYTES)
    if not head.strip():
        raise FeedUnreadable(
            f"The feed {path.name} is empty.", code="feed_empty_file", params={"feed": path.name}
        )
    upper = head.upper()
    start = upper.find(b"<!DOCTYPE")
    if start >= 0:
        doctype = upper[start:]
        if b"<!ENTITY" in doctype or re.match(rb"<!DOCTYPE\s+[^\s>\[]+\s+(SYSTEM|PUBLIC)\b", doctype):
            raise FeedUnsafe(
                f"The XML feed {path.name} declares entities or an external DTD; refused for safety "
                "(entity expansion and external files are never loaded).",
                hint="Ask the supplier for a feed without a DOCTYPE.",
                code="feed_xml_unsafe",
                params={"feed": path.name},
            )
    return head


def _root_name(head: bytes) -> str | None:
    try:
        for _, elem in etree.iterparse(
            _BytesHead(head), events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        ):
            return etree.QName(elem).localname
    except etree.XMLSyntaxError:
        return None
    return None


class _BytesHead:
    """A file-like over the first bytes only (iterparse of a truncated head stops at its end)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def resolve_preset(path: Path, options: Mapping[str, Any]) -> dict[str, Any]:
    """Options with a preset's record and namespaces filled in (the profile's own values win)."""
    head = _check_prolog(path)
    preset_name = options.get("preset")
    if not preset_name and not options.get("record"):
        root = _root_name(head)
        if root == "rss":
            preset_name = "google_merchant"
        elif root == "feed":
            preset_name = "google_merchant_atom"
        elif root == "offers":
            preset_name = "ceneo"
        else:
            raise FeedMappingError(
                f"Cannot tell which element is one record in {path.name} (root element <{root}>).",
                hint='Set options.record in the import profile, e.g. "product".',
                code="feed_record_unknown",
                params={"feed": path.name, "root": root or ""},
            )
    merged: dict[str, Any] = {}
    if preset_name:
        if preset_name not in PRESETS:
            raise FeedMappingError(
                f"Unknown XML preset '{preset_name}'.",
                hint="Use one of: " + ", ".join(PRESETS),
                code="feed_preset_unknown",
                params={"preset": str(preset_name), "known": list(PRESETS)},
            )
        merged.update(PRESETS[preset_name])
    merged.update({k: v for k, v in options.items() if v is not None})
    merged["namespaces"] = {
        **PRESETS.get(preset_name or "", {}).get("namespaces", {}),
        **(options.get("namespaces") or {}),
    }
    return merged


def _clark(name: str, namespaces: Mapping[str, str]) -> str:
    if name.startswith("{"):
        return name
    if ":" in name:
        prefix, local = name.split(":", 1)
        if prefix not in namespaces:
            raise FeedMappingError(
                f"The prefix '{prefix}:' in '{name}' has no namespace in options.namespaces.",
                hint='Add it, e.g. "namespaces": {"g": "http://base.google.com/ns/1.0"}.',
                code="feed_namespace_missing",
                params={"prefix": prefix, "path": name},
            )
        return f"{{{namespaces[prefix]}}}{local}"
    return name


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if isinstance(value, str):
        return value
    if isinstance(value, etree._Element):
        return "".join(value.itertext())
    return str(value)


def compile_path(path: str, namespaces: Mapping[str, str]) -> Callable[[Any], str | None]:
    """A function reading one mapping path from a record element."""
    if m := _SIMPLE_ATTR.match(path):
        attr = _clark(m.group(1), namespaces)
        return lambda e: e.get(attr)
    if _SIMPLE_CHILD.match(path):
        tag = _clark(path, namespaces)
        return lambda e: _text(e.find(tag))
    try:
        xpath = etree.XPath(path, namespaces=dict(namespaces), smart_strings=False)
    except etree.XPathSyntaxError as exc:
        raise FeedMappingError(
            f"The mapping path '{path}' is not valid XPath: {exc}.",
            code="feed_path_invalid",
            params={"path": path, "reason": str(exc)},
        ) from None
    return lambda e: _text(xpath(e))


def _short_name(tag: str, namespaces: Mapping[str, str]) -> str:
    q = etree.QName(tag)
    for prefix, uri in namespaces.items():
        if q.namespace == uri:
            return f"{prefix}:{q.localname}"
    return q.localname


class XmlFeedReader:
    """Reads mapped paths of each record of an XML feed in chunks: ``[(line, raw values…), …]``."""

    def __init__(self, path: Path, options: Mapping[str, Any], mappings: Mapping[str, str]) -> None:
        self.path = path
        self.options = resolve_preset(path, options)
        given = {k: str(v) for k, v in mappings.items() if v not in (None, "")}
        # Paths the profile names must occur in the feed; a preset's defaults may be absent.
        self.explicit_fields = set(given)
        self.mappings = given or dict(self.options.get("mappings") or {})
        self.namespaces: dict[str, str] = dict(self.options.get("namespaces") or {})
        self.record_tag = _clark(str(self.options["record"]), self.namespaces)
        self.readers = {f: compile_path(p, self.namespaces) for f, p in self.mappings.items()}
        self._file: Any = None
        self.headers: list[str] = []
        self.value_maps: dict[str, Any] = dict(self.options.get("value_maps") or {})
        self.decimal: str | None = self.options.get("decimal")

    def tell(self) -> int:
        return self._file.tell() if self._file is not None else 0

    def _record_headers(self, elem: Any) -> list[str]:
        names = [f"@{_short_name(a, self.namespaces)}" for a in elem.attrib]
        for child in elem:
            if isinstance(child.tag, str):
                name = _short_name(child.tag, self.namespaces)
                if name not in names:
                    names.append(name)
        return names

    def _records(self, limit: int | None) -> Iterator[Any]:
        with self.path.open("rb") as f:
            self._file = f
            try:
                context = etree.iterparse(
                    f,
                    events=("end",),
                    tag=self.record_tag,
                    resolve_entities=False,
                    no_network=True,
                    load_dtd=False,
                    huge_tree=False,
                    remove_comments=True,
                )
                for n, (_, elem) in enumerate(context, 1):
                    if n == 1:
                        self.headers = self._record_headers(elem)
                    yield elem
                    # Free what was read: the tree would otherwise grow with the file.
                    elem.clear(keep_tail=False)
                    parent = elem.getparent()
                    if parent is not None:
                        while elem.getprevious() is not None:
                            del parent[0]
                    if limit is not None and n >= limit:
                        return
            except etree.XMLSyntaxError as exc:
                msg = str(exc)
                if "entity" in msg.lower():
                    raise FeedUnsafe(
                        f"The XML feed {self.path.name} uses entities; refused: {msg}.",
                        code="feed_xml_entities",
                        params={"feed": self.path.name, "reason": msg},
                    ) from None
                raise FeedUnreadable(
                    f"The XML feed {self.path.name} is malformed: {msg}.",
                    hint="Ask the supplier to fix the file; nothing was imported.",
                    code="feed_xml_malformed",
                    params={"feed": self.path.name, "reason": msg},
                ) from None
            finally:
                self._file = None

    def chunks(
        self, fields: tuple[str, ...], chunk_rows: int, limit: int | None = None
    ) -> Iterator[list[tuple]]:
        readers = [self.readers.get(f) for f in fields]
        batch: list[tuple] = []
        for elem in self._records(limit):
            values = [(r(elem) if r is not None else None) for r in readers]
            # A present but empty element is "" (as an empty CSV cell), not None (no such element): a
            # mapped element empty in every record is a feed without those values, not a wrong mapping.
            batch.append((elem.sourceline or 0, *(v.strip() if v is not None else None for v in values)))
            if len(batch) >= chunk_rows:
                yield batch
                batch = []
        if batch:
            yield batch

    def preview(self, rows: int = 20) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for elem in self._records(rows):
            record: dict[str, str] = {
                f"@{_short_name(k, self.namespaces)}": v for k, v in elem.attrib.items()
            }
            for child in elem:
                if isinstance(child.tag, str):
                    record.setdefault(_short_name(child.tag, self.namespaces), (_text(child) or "").strip())
            for field, read in self.readers.items():
                # A mapping to a child or attribute is already a column of the record: shown once.
                if self.mappings[field] not in record:
                    record.setdefault(f"→{field}", (read(elem) or "").strip())
            out.append(record)
        return out
