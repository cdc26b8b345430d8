"""CSV and XML feed readers on files the tests write (real cp1250 bytes, CRLF, XML bombs, HTTP)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rexbit_desktop.adapters.feeds.errors import (
    FeedMappingError,
    FeedTooLarge,
    FeedUnreachable,
    FeedUnreadable,
    FeedUnsafe,
)
from rexbit_desktop.adapters.feeds.reader import open_feed_reader
from rexbit_desktop.adapters.feeds.source import open_feed_file

FIELDS = ("external_id", "sku", "ean", "stock_quantity", "delivery_days", "purchase_price")
WHOLESALER_MAPPINGS = {
    "sku": "Indeks",
    "ean": "EAN",
    "stock_quantity": "Stan",
    "delivery_days": "Termin dostawy",
    "purchase_price": "Cena netto",
}
# DOMAIN.md's example, decoded; written as cp1250 with CRLF by the tests.
WHOLESALER_TEXT = (
    "Indeks;EAN;Nazwa;Stan;Cena netto;VAT;Termin dostawy;Jednostka\r\n"
    'HX-1001;5901234123457;"Wkrętarka akumulatorowa 18V; zestaw";12;349,00;23;24h;szt.\r\n'
    "HX-1002;0012345678905;Akumulator 18V 4,0Ah;0;199,90;23;3-5 dni;szt.\r\n"
    "HX-1003;5907654321015;Ładowarka szybka;>10;89,00;23;24h;szt.\r\n"
    "HX-1004;;Śruby M6 (paczka 100 szt.);brak;1\u00a0234,56;23;14 dni;opak.\r\n"
    "HX-1005;5905555000015;Żarówka LED E27 źródło światła;5;7,5;8;;szt.\r\n"
)

GOOGLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel>
 <title>Hurtownia</title>
 <item>
  <g:id>HX-1001</g:id><g:title>Wkrętarka</g:title>
  <g:availability>in stock</g:availability>
  <g:price>349.00 PLN</g:price><g:gtin>5901234123457</g:gtin>
 </item>
 <item>
  <g:id>HX-1002</g:id><g:title>Akumulator 18V 4,0Ah</g:title>
  <g:availability>backorder</g:availability>
  <g:availability_date>2026-12-01T08:00+0100</g:availability_date>
  <g:price>199.90 PLN</g:price><g:gtin>0012345678905</g:gtin>
 </item>
</channel></rss>
"""

CENEO_XML = """<?xml version="1.0" encoding="UTF-8"?>
<offers version="1">
 <group name="narzedzia">
 <o id="HX-1001" url="https://hurtownia.example.pl/p/hx-1001" price="349.00" avail="1" stock="12">
  <cat><![CDATA[Elektronarzędzia/Wkrętarki]]></cat>
  <name><![CDATA[Wkrętarka akumulatorowa 18V]]></name>
  <attrs><a name="Kod_producenta"><![CDATA[WK-18-LI]]></a><a name="EAN"><![CDATA[5901234123457]]></a></attrs>
 </o>
 </group>
 <o id="HX-1003" price="89.00" avail="99" stock="0">
  <name><![CDATA[Ładowarka]]></name>
  <attrs><a name="EAN"><![CDATA[5907654321015]]></a></attrs>
 </o>
</offers>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<offers><o id="&lol9;" stock="1"/></offers>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE offers [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<offers><o id="A" stock="1"><name>&xxe;</name></o></offers>
"""


def read_all(path: Path, fmt: str, mappings: dict, options: dict | None = None) -> list[tuple]:
    reader = open_feed_reader(path, fmt, options or {}, mappings)
    return [row for chunk in reader.chunks(FIELDS, 2) for row in chunk]


def test_polish_wholesaler_csv_in_cp1250_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "hurtownia.csv"
    path.write_bytes(WHOLESALER_TEXT.encode("cp1250"))
    reader = open_feed_reader(path, "csv", {}, WHOLESALER_MAPPINGS)
    assert reader.dialect.encoding == "cp1250"
    assert reader.dialect.delimiter == ";"
    assert reader.decimal == ","
    assert reader.headers[2] == "Nazwa"
    rows = [r for chunk in reader.chunks(FIELDS, 2) for r in chunk]
    assert [r[0] for r in rows] == [2, 3, 4, 5, 6]
    assert rows[0] == (2, None, "HX-1001", "5901234123457", "12", "24h", "349,00")
    assert rows[1][3] == "0012345678905"  # leading zeros kept
    assert rows[3][3] is None and rows[3][6] == "1\u00a0234,56"
    preview = reader.preview(2)
    assert preview[0]["Nazwa"] == "Wkrętarka akumulatorowa 18V; zestaw"


def test_iso_8859_2_is_told_from_cp1250_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "iso.csv"
    path.write_bytes(WHOLESALER_TEXT.encode("iso8859_2"))
    reader = open_feed_reader(path, "csv", {}, WHOLESALER_MAPPINGS)
    assert reader.dialect.encoding == "iso8859_2"
    assert reader.preview(5)[3]["Nazwa"].startswith("Śruby")


def test_utf8_with_bom_comma_delimiter_lf_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "utf8.csv"
    text = 'sku,ean,qty,price\n"HX-1, special",5901234123457,3,"1,234.50"\nHX-2,,>10,7.5\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    rows = read_all(
        path, "csv", {"sku": "sku", "ean": "ean", "stock_quantity": "qty", "purchase_price": "price"}
    )
    reader = open_feed_reader(path, "csv", {}, {"sku": "sku"})
    assert reader.dialect.encoding == "utf-8-sig"
    assert reader.dialect.delimiter == ","
    assert reader.headers[0] == "sku"  # no BOM glued to the first header
    assert rows[0][2] == "HX-1, special" and rows[0][6] == "1,234.50"
    assert rows[1][4] == ">10"


def test_old_mac_cr_line_endings_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b"Indeks\tStan\rA-1\t5\rA-2\tbrak\r")
    rows = read_all(path, "csv", {"sku": "Indeks", "stock_quantity": "Stan"})
    assert [(r[0], r[2], r[4]) for r in rows] == [(2, "A-1", "5"), (3, "A-2", "brak")]


def test_options_override_detection(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Preamble line\nsku|stock\nA|1\n".encode("cp1250"))
    rows = read_all(
        path, "csv", {"sku": "sku", "stock_quantity": "stock"}, {"delimiter": "|", "header_line": 2}
    )
    assert rows == [(3, None, "A", None, "1", None, None)]


def test_blank_lines_are_skipped_and_limit_stops_reading(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("sku;stock\nA;1\n\nB;2\nC;3\n", encoding="utf-8")
    reader = open_feed_reader(path, "csv", {}, {"sku": "sku", "stock_quantity": "stock"})
    rows = [r for chunk in reader.chunks(FIELDS, 10) for r in chunk]
    assert [r[0] for r in rows] == [2, 4, 5]
    limited = [r for chunk in reader.chunks(FIELDS, 10, limit=2) for r in chunk]
    assert len(limited) == 1  # the second of the first two lines is blank


def test_missing_mapped_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("sku;qty\nA;1\n", encoding="utf-8")
    with pytest.raises(FeedMappingError, match="stock_quantity → 'Stan'") as info:
        open_feed_reader(path, "csv", {}, {"sku": "sku", "stock_quantity": "Stan"})
    assert "sku, qty" in (info.value.hint or "")


def test_wrong_encoding_option_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes("sku;name\nŻÓŁW-1;Żółw\n".encode("cp1250"))
    reader = open_feed_reader(path, "csv", {"encoding": "utf-8"}, {"sku": "sku"})
    with pytest.raises(FeedUnreadable, match="not valid utf-8"):
        [r for chunk in reader.chunks(FIELDS, 10) for r in chunk]


def test_binary_file_is_not_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("sku;stock\n".encode("utf-16"))
    with pytest.raises(FeedUnreadable, match="binary"):
        open_feed_reader(path, "csv", {}, {"sku": "sku"})


def test_google_merchant_feed_detected_by_root(tmp_path: Path) -> None:
    path = tmp_path / "google.xml"
    path.write_text(GOOGLE_XML, encoding="utf-8")
    reader = open_feed_reader(path, "xml", {}, {})
    rows = [r for chunk in reader.chunks(FIELDS, 10) for r in chunk]
    assert rows[0][2:] == ("HX-1001", "5901234123457", "in stock", None, "349.00 PLN")
    assert rows[1][2:] == ("HX-1002", "0012345678905", "backorder", "2026-12-01T08:00+0100", "199.90 PLN")
    assert rows[0][0] == 4  # the record's line in the file
    assert "g:id" in reader.headers and "g:availability" in reader.headers


def test_ceneo_offers_anywhere_in_the_tree_with_ean_in_attrs(tmp_path: Path) -> None:
    path = tmp_path / "ceneo.xml"
    path.write_text(CENEO_XML, encoding="utf-8")
    reader = open_feed_reader(path, "xml", {}, {})
    rows = [r for chunk in reader.chunks(FIELDS, 10) for r in chunk]
    assert [r[2:] for r in rows] == [
        ("HX-1001", "5901234123457", "12", "1", "349.00"),
        ("HX-1003", "5907654321015", "0", "99", "89.00"),
    ]
    assert reader.value_maps == {"delivery_days": {"99": None}}
    assert reader.headers[:2] == ["@id", "@url"]


def test_custom_record_namespaces_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "custom.xml"
    path.write_text(
        '<?xml version="1.0"?><x:katalog xmlns:x="urn:hurt"><x:produkt kod="A-1"><x:stan>4</x:stan>'
        '<x:cechy><x:c n="EAN">5901234123457</x:c></x:cechy></x:produkt></x:katalog>',
        encoding="utf-8",
    )
    options = {"record": "x:produkt", "namespaces": {"x": "urn:hurt"}}
    mappings = {"sku": "@kod", "stock_quantity": "x:stan", "ean": "x:cechy/x:c[@n='EAN']"}
    rows = read_all(path, "xml", mappings, options)
    assert rows == [(1, None, "A-1", "5901234123457", "4", None, None)]


def test_unknown_root_needs_a_record_option(tmp_path: Path) -> None:
    path = tmp_path / "odd.xml"
    path.write_text("<katalog><p/></katalog>", encoding="utf-8")
    with pytest.raises(FeedMappingError, match="which element is one record"):
        open_feed_reader(path, "xml", {}, {"sku": "@id"})


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE])
def test_entity_declarations_are_refused(tmp_path: Path, document: str) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(FeedUnsafe, match="refused for safety"):
        open_feed_reader(path, "xml", {"record": "o"}, {"sku": "@id"})


def test_malformed_xml_fails_with_the_parser_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text('<offers><o id="A" stock="1"></o><o id="B"></offers>', encoding="utf-8")
    reader = open_feed_reader(path, "xml", {}, {})
    with pytest.raises(FeedUnreadable, match="malformed"):
        [r for chunk in reader.chunks(FIELDS, 10) for r in chunk]


def test_local_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"sku;stock\n" + b"A;1\n" * 1000)
    with pytest.raises(FeedTooLarge, match="over the limit"), open_feed_file(str(path), max_bytes=1000):
        pass
    with pytest.raises(FeedUnreachable, match="does not exist"), open_feed_file(str(tmp_path / "none.csv")):
        pass


# ------------------------------------------------------------------ HTTP


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""
    delay = 0.0
    lie_about_length = False

    def do_GET(self) -> None:
        time.sleep(self.delay)
        self.send_response(200 if self.path != "/missing" else 404)
        self.send_header("Content-Type", "text/csv")
        if not self.lie_about_length:
            self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        try:
            self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_feed() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_http_feed_is_downloaded(http_feed: tuple[str, type[_Handler]]) -> None:
    url, handler = http_feed
    handler.body = WHOLESALER_TEXT.encode("cp1250")
    with open_feed_file(url + "/feed.csv") as path:
        rows = read_all(path, "csv", WHOLESALER_MAPPINGS)
        assert len(rows) == 5
    assert not path.exists()  # the temporary copy is removed


def test_http_feed_over_the_limit_stops(http_feed: tuple[str, type[_Handler]]) -> None:
    url, handler = http_feed
    handler.body = b"x" * 5000
    with pytest.raises(FeedTooLarge, match="over the limit"), open_feed_file(url + "/a.csv", max_bytes=1000):
        pass
    handler.lie_about_length = True  # no Content-Length: counted while streaming
    with (
        pytest.raises(FeedTooLarge, match="download stopped"),
        open_feed_file(url + "/a.csv", max_bytes=1000),
    ):
        pass


def test_http_errors_and_timeouts_fail_cleanly(http_feed: tuple[str, type[_Handler]]) -> None:
    url, handler = http_feed
    with pytest.raises(FeedUnreachable, match="404"), open_feed_file(url + "/missing"):
        pass
    handler.delay = 1.0
    with pytest.raises(FeedUnreachable), open_feed_file(url + "/slow.csv", timeout_s=0.2):
        pass
