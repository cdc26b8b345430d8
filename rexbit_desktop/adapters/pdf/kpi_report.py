"""A one- or two-page A4 report of figures and charts (the KPI dashboard's PDF), with reportlab.

The caller gives plain data (``Report``: tables of text, a line chart of two series, bar charts); the
charts are reportlab drawings, so the report is rendered the same way from the desktop and from the
headless ``rexbit kpi --pdf``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from rexbit_desktop.adapters.pdf.render import FONT, FONT_BOLD, _register_fonts

CURRENT = colors.HexColor("#1e88e5")
PREVIOUS = colors.HexColor("#9e9e9e")


@dataclass(frozen=True)
class TableBlock:
    title: str
    header: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None
    """Relative widths."""


@dataclass(frozen=True)
class LineChart:
    title: str
    labels: list[str]
    """One per point (e.g. dates); every n-th is printed."""
    series: list[tuple[str, list[float]]]
    """(legend, values), at most two: the period and the one before."""


@dataclass(frozen=True)
class BarChart:
    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    blocks: list[TableBlock | LineChart | BarChart] = field(default_factory=list)
    footer: str = ""


WIDTH = A4[0] - 30 * mm


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=15, leading=19)
    sub = ParagraphStyle("sub", fontName=FONT, fontSize=9, leading=12, textColor=colors.HexColor("#555555"))
    head = ParagraphStyle("head", fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=6)
    return title, sub, head


def _table(block: TableBlock, head: ParagraphStyle) -> KeepTogether:
    widths = block.widths or [1.0] * len(block.header)
    total = sum(widths)
    table = Table(
        [block.header, *block.rows],
        colWidths=[WIDTH * w / total for w in widths],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return KeepTogether([Paragraph(escape(block.title), head), table])


def _line(chart: LineChart) -> Drawing:
    drawing = Drawing(WIDTH, 58 * mm)
    plot = LinePlot()
    plot.x, plot.y = 12 * mm, 10 * mm
    plot.width, plot.height = WIDTH - 16 * mm, 40 * mm
    n = max((len(v) for _, v in chart.series), default=0)
    plot.data = [[(i, float(v)) for i, v in enumerate(values)] for _, values in chart.series] or [[(0, 0)]]
    for i, color in enumerate((CURRENT, PREVIOUS)[: len(plot.data)]):
        plot.lines[i].strokeColor = color
        plot.lines[i].strokeWidth = 1.6 if i == 0 else 1.0
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, max(n - 1, 1)
    step = max(1, n // 8)
    plot.xValueAxis.valueSteps = list(range(0, n, step))
    plot.xValueAxis.labelTextFormat = lambda i: (
        chart.labels[int(i)] if 0 <= int(i) < len(chart.labels) else ""
    )
    plot.xValueAxis.labels.fontName = FONT
    plot.xValueAxis.labels.fontSize = 6.5
    plot.yValueAxis.labels.fontName = FONT
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(String(0, 53 * mm, chart.title, fontName=FONT_BOLD, fontSize=10))
    legend = Legend()
    legend.x, legend.y = WIDTH - 70 * mm, 55 * mm
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [
        (c, name) for c, (name, _) in zip((CURRENT, PREVIOUS), chart.series, strict=False)
    ]
    drawing.add(legend)
    return drawing


def _bars(chart: BarChart) -> Drawing:
    drawing = Drawing(WIDTH, 52 * mm)
    bars = VerticalBarChart()
    bars.x, bars.y = 12 * mm, 10 * mm
    bars.width, bars.height = WIDTH - 16 * mm, 34 * mm
    bars.data = [list(map(float, values)) for _, values in chart.series] or [[0]]
    bars.categoryAxis.categoryNames = chart.categories
    bars.categoryAxis.labels.fontName = FONT
    bars.categoryAxis.labels.fontSize = 7
    bars.valueAxis.labels.fontName = FONT
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.valueMin = 0
    palette = [CURRENT, colors.HexColor("#43a047"), colors.HexColor("#ffb300"), colors.HexColor("#e53935")]
    for i in range(len(bars.data)):
        bars.bars[i].fillColor = palette[i % len(palette)]
    drawing.add(bars)
    drawing.add(String(0, 47 * mm, chart.title, fontName=FONT_BOLD, fontSize=10))
    if len(chart.series) > 1:
        legend = Legend()
        legend.x, legend.y = WIDTH - 90 * mm, 49 * mm
        legend.fontName, legend.fontSize = FONT, 7
        legend.columnMaximum = 1
        legend.dx = 6
        legend.deltax = 40
        legend.colorNamePairs = [
            (palette[i % len(palette)], name) for i, (name, _) in enumerate(chart.series)
        ]
        drawing.add(legend)
    return drawing


def render_report(report: Report) -> bytes:
    _register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=report.title,
    )
    title, sub, head = _styles()
    story: list = [
        Paragraph(escape(report.title), title),
        Paragraph(escape(report.subtitle), sub),
        Spacer(1, 3 * mm),
    ]
    for block in report.blocks:
        if isinstance(block, TableBlock):
            story.append(_table(block, head))
        elif isinstance(block, LineChart):
            story.append(_line(block))
        else:
            story.append(_bars(block))
        story.append(Spacer(1, 2 * mm))

    def footer(canvas, document) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(15 * mm, 8 * mm, report.footer)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, str(document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
