"""A4 business documents with reportlab platypus: WZ, order confirmation, reservation, packing list.

The caller describes a document (``PrintableDocument``: title, number, parties, an items table, totals,
signatures); this module lays it out. DejaVuSans is bundled because the built-in PDF fonts cannot print
ąęłńśźż. Every text goes through ``escape`` first: platypus ``Paragraph`` reads a small XML markup, so a
customer called ``Kowalski & <Syn>`` would otherwise vanish or break the page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONTS_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


@dataclass(frozen=True)
class Party:
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    """Relative width."""
    align: str = "LEFT"
    wrap: bool = False
    """Long text that may need several lines (names): a Paragraph; short values are drawn as plain
    strings, which costs a fraction of the time."""


@dataclass(frozen=True)
class PrintableDocument:
    title: str
    number: str
    meta: list[tuple[str, str]] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    marker: str = ""
    """E.g. ``Oryginał`` or ``ANULOWANY``, printed under the title."""
    footer: str = ""


_registered = False


def _register_fonts() -> None:
    global _registered
    if _registered:
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    _registered = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=19),
        "number": ParagraphStyle("number", parent=base, fontName=FONT_BOLD, fontSize=11, leading=14),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "head_right": ParagraphStyle(
            "head_right", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, alignment=TA_RIGHT
        ),
        "party_title": ParagraphStyle(
            "party_title", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, textColor=colors.grey
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "cell_right": ParagraphStyle(
            "cell_right", parent=base, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "total": ParagraphStyle("total", parent=base, fontName=FONT_BOLD, alignment=TA_RIGHT),
    }


def p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: markup characters are escaped, line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _DocumentStart(Flowable):
    """Zero-size marker at the start of each document of a multi-document PDF: the canvas learns which
    document the page belongs to (its footer, its own "Strona X z Y")."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def wrap(self, _aw: float, _ah: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv._rexbit_document = self.index  # type: ignore[attr-defined]


def _numbered_canvas(draw):  # type: ignore[no-untyped-def]
    """A canvas that keeps each page until the end, so every page can say "Strona X z Y" — counted per
    document when one PDF holds several."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []  # type: ignore[type-arg]
            self._rexbit_document = 0

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            totals: dict[int, int] = {}
            for state in self._pages:
                totals[state["_rexbit_document"]] = totals.get(state["_rexbit_document"], 0) + 1
            seen: dict[int, int] = {}
            for state in self._pages:
                self.__dict__.update(state)
                index = state["_rexbit_document"]
                seen[index] = seen.get(index, 0) + 1
                draw(self, index, seen[index], totals[index])
                super().showPage()
            super().save()

    return NumberedCanvas


def render_pdf(doc: PrintableDocument, out: Path | BinaryIO) -> None:
    render_pdfs([doc], out)


def render_pdfs(docs: list[PrintableDocument], out: Path | BinaryIO) -> int:
    """Several documents in one PDF (each from a new page, with its own footer and page count): the
    fonts are embedded once and the file is built in one pass. Returns the page count."""
    if not docs:
        raise ValueError("no documents to render")
    _register_fonts()
    st = _styles()
    target: BinaryIO = io.BytesIO() if isinstance(out, Path) else out
    page_w, _page_h = A4
    margin = 15 * mm
    width = page_w - 2 * margin
    first = docs[0]
    template = SimpleDocTemplate(
        target,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{first.title} {first.number}" if len(docs) == 1 else f"{first.title} ({len(docs)})",
        author="rexbit",
        subject=first.title,
    )
    story: list = []  # type: ignore[type-arg]
    for index, doc in enumerate(docs):
        if index:
            story.append(PageBreak())
        story.append(_DocumentStart(index))
        story += _story(doc, st, width)
    footers = [doc.footer or f"{doc.title} {doc.number}" for doc in docs]

    def page_footer(canvas, index: int, page: int, pages: int) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(margin, 9 * mm, footers[index])
        canvas.drawRightString(page_w - margin, 9 * mm, f"Strona {page} z {pages}")
        canvas.restoreState()

    template.build(story, canvasmaker=_numbered_canvas(page_footer))
    if isinstance(out, Path):
        assert isinstance(target, io.BytesIO)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(target.getvalue())
    return int(template.page)


def _story(doc: PrintableDocument, st: dict[str, ParagraphStyle], width: float) -> list:  # type: ignore[type-arg]
    story: list = []  # type: ignore[type-arg]

    # Header: title, number and dates on the left; the barcode of the number on the right.
    left = [p(doc.title, st["title"]), p(f"nr {doc.number}", st["number"])]
    if doc.marker:
        left.append(p(doc.marker, st["head"]))
    barcode = Code128(doc.number, barHeight=13 * mm, barWidth=0.3 * mm, quiet=False)
    # Values are paragraphs so that a long one (a warehouse with its address) wraps inside the column
    # instead of running off the page.
    meta_rows = [[k, p(v, st["base"])] for k, v in doc.meta]
    meta = Table(meta_rows, colWidths=[32 * mm, 48 * mm]) if meta_rows else Spacer(1, 1)
    if meta_rows:
        meta.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("FONTSIZE", (0, 0), (0, -1), 7.5),
                    ("FONTSIZE", (1, 0), (1, -1), 9),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
    header = Table(
        [[left, [barcode, Spacer(1, 2 * mm), meta]]],
        colWidths=[width - 82 * mm, 82 * mm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [header, Spacer(1, 5 * mm)]

    if doc.parties:
        cells = [
            [p(party.title, st["party_title"]), *[p(line, st["base"]) for line in party.lines if line]]
            for party in doc.parties
        ]
        parties = Table([cells], colWidths=[width / len(cells)] * len(cells))
        parties.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.lightgrey),
                    ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.lightgrey),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        story += [parties, Spacer(1, 6 * mm)]

    if doc.columns:
        total_w = sum(c.width for c in doc.columns)
        widths = [width * c.width / total_w for c in doc.columns]
        data: list[list[object]] = [[c.header for c in doc.columns]]
        for row in doc.rows:
            data.append(
                [
                    p(value, st["cell_right"] if col.align == "RIGHT" else st["cell"]) if col.wrap else value
                    for value, col in zip(row, doc.columns, strict=True)
                ]
            )
        # repeatRows: a long order continues on the next page under the same column headers.
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
                    ("FONTSIZE", (0, 0), (-1, 0), 8),
                    ("FONTNAME", (0, 1), (-1, -1), FONT),
                    ("FONTSIZE", (0, 1), (-1, -1), 8.5),
                    *[
                        ("ALIGN", (i, 0), (i, -1), "RIGHT")
                        for i, c in enumerate(doc.columns)
                        if c.align == "RIGHT"
                    ],
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0bec5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fafafa")]),
                ]
            )
        )
        story += [table]

    if doc.totals:
        rows = [[k, v] for k, v in doc.totals]
        totals = Table(rows, colWidths=[width - 40 * mm, 40 * mm])
        totals.setStyle(
            TableStyle(
                [
                    ("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black),
                    ("FONTNAME", (0, 0), (-1, -1), FONT_BOLD),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ]
            )
        )
        story += [Spacer(1, 2 * mm), totals]

    for note in doc.notes:
        story += [Spacer(1, 3 * mm), p(note, st["base"])]

    if doc.signatures:
        # Signature boxes with a gap between them: each line is its own cell's bottom edge.
        n = len(doc.signatures)
        gap = 6 * mm
        box = (width - gap * (n - 1)) / n
        widths = [w for i in range(n) for w in ([box] if i == n - 1 else [box, gap])]
        top: list = []  # type: ignore[type-arg]
        labels: list = []  # type: ignore[type-arg]
        for i, name in enumerate(doc.signatures):
            top.append(Spacer(1, 14 * mm))
            labels.append(name)
            if i < n - 1:
                top.append("")
                labels.append("")
        sig = Table([top, labels], colWidths=widths)
        sig.setStyle(
            TableStyle(
                [("LINEBELOW", (i, 0), (i, 0), 0.5, colors.black) for i in range(0, 2 * n - 1, 2)]
                + [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("FONTNAME", (0, 1), (-1, 1), FONT),
                    ("FONTSIZE", (0, 1), (-1, 1), 7.5),
                    ("ALIGN", (0, 1), (-1, 1), "CENTER"),
                ]
            )
        )
        story += [Spacer(1, 10 * mm), KeepTogether([sig])]

    return story
