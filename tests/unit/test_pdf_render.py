"""The PDF layout on its own: Polish text, markup characters, repeated table header (via pdftotext)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from rexbit_desktop.adapters.pdf.render import Column, Party, PrintableDocument, render_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


def pdftext(path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def _doc(rows: int) -> PrintableDocument:
    return PrintableDocument(
        title="WZ – Wydanie zewnętrzne",
        number="WZ/2026/11/0042",
        meta=[("Data wystawienia", "2026-11-28")],
        parties=[Party("Wystawca", ["Zakład Łódź"]), Party("Odbiorca", ['Kowalski & <Syn> "Sp." <b>x</b>'])],
        columns=[
            Column("Lp.", 5, "RIGHT"),
            Column("Nazwa towaru", 60),
            Column("J.m.", 8),
            Column("Ilość", 10, "RIGHT"),
        ],
        rows=[[str(n), f"Żółta łódź nr {n} & <dodatki>", "szt.", str(n)] for n in range(1, rows + 1)],
        signatures=["Wystawił", "Wydał", "Odebrał", "Zatwierdził"],
    )


def test_polish_text_and_markup_characters_print_as_typed(tmp_path):
    out = tmp_path / "wz.pdf"
    render_pdf(_doc(3), out)
    text = pdftext(out)
    assert "WZ – Wydanie zewnętrzne" in text
    assert "Zakład Łódź" in text
    assert 'Kowalski & <Syn> "Sp." <b>x</b>' in text
    assert "Żółta łódź nr 2 & <dodatki>" in text
    for word in ("Wystawił", "Wydał", "Odebrał", "Zatwierdził"):
        assert word in text


def test_long_tables_repeat_their_header_on_every_page(tmp_path):
    out = tmp_path / "long.pdf"
    render_pdf(_doc(120), out)
    pages = int(
        next(ln for ln in subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout.splitlines()
             if ln.startswith("Pages:")).split()[1]
    )  # fmt: skip
    assert pages >= 3
    pages_with_rows = 0
    for page in range(1, pages + 1):
        text = pdftext(out, "-f", str(page), "-l", str(page))
        assert f"Strona {page}" in text
        if "Żółta łódź" in text:
            pages_with_rows += 1
            assert "Nazwa towaru" in text and "Ilość" in text, f"page {page} lost the header"
    assert pages_with_rows >= 3
    assert "Żółta łódź nr 120 & <dodatki>" in pdftext(out)


def test_renders_into_a_stream():
    import io

    buf = io.BytesIO()
    render_pdf(_doc(1), buf)
    assert buf.getvalue().startswith(b"%PDF")
