"""The dashboard as CSV (one row per figure) and as a PDF report (numbers in tables, charts drawn).

Both are documents for people, so they carry labels in the reader's language (Polish by default, as the
WZ and the other printed documents), numbers in the Polish format, and the statuses as their labels.
"""

from __future__ import annotations

import io
from decimal import Decimal

from rexbit_desktop.adapters.pdf.kpi_report import BarChart, LineChart, Report, TableBlock, render_report
from rexbit_desktop.domain.csv_safety import csv_writer
from rexbit_desktop.domain.kpi import AGE_BUCKETS, BACKLOG_STATUSES
from rexbit_desktop.services.kpi.dto import Dashboard

_PL = {
    "KPI report": "Raport KPI",
    "Period": "Okres",
    "Previous period": "Poprzedni okres",
    "Orders": "Zamówienia",
    "Gross value (PLN)": "Wartość brutto (PLN)",
    "Average order value (PLN)": "Średnia wartość zamówienia (PLN)",
    "Returns": "Zwroty",
    "Shipped": "Wysłane",
    "Late": "Spóźnione",
    "Late %": "Spóźnione %",
    "Fulfilment median (working h)": "Realizacja – mediana (godz. robocze)",
    "Fulfilment p90 (working h)": "Realizacja – p90 (godz. robocze)",
    "Open orders": "Otwarte zamówienia",
    "Late now": "Spóźnione teraz",
    "Reserved lines": "Pozycje zarezerwowane",
    "Reservation level %": "Poziom rezerwacji %",
    "Figure": "Wskaźnik",
    "This period": "Ten okres",
    "Orders per day": "Zamówienia dziennie",
    "Backlog by age (working days)": "Zaległości wg wieku (dni robocze)",
    "Status": "Status",
    "Stock value by warehouse": "Wartość magazynu",
    "Warehouse": "Magazyn",
    "Units": "Sztuki",
    "Value (PLN)": "Wartość (PLN)",
    "Without price": "Bez ceny",
    "Top products by units": "Najlepsze produkty wg sztuk",
    "Top products by value": "Najlepsze produkty wg wartości",
    "Product": "Produkt",
    "Units short by product": "Brakujące sztuki wg produktu",
    "Shop sync and feeds": "Synchronizacja sklepu i feedy",
    "Integration": "Integracja",
    "Kind": "Rodzaj",
    "Last": "Ostatnio",
    "Runs": "Uruchomienia",
    "Failures": "Błędy",
    "sync": "synchronizacja",
    "import": "import",
    "Computed": "Obliczono",
    "Section": "Sekcja",
    "Value": "Wartość",
    "Summary": "Podsumowanie",
    "Backlog": "Zaległości",
    "Top by units": "Najlepsze wg sztuk",
    "Top by value": "Najlepsze wg wartości",
    "Short": "Braki",
    "Health": "Stan integracji",
    "Stock value": "Wartość magazynu",
    "Order": "Zamówienia",
    "Previous": "Poprzedni",
    "never": "nigdy",
    "succeeded": "udane",
    "failed": "nieudane",
    "running": "w toku",
    "queued": "w kolejce",
    "cancelled": "anulowane",
}


def _t(text: str, language: str) -> str:
    return _PL.get(text, text) if language == "pl" else text


def _num(value: Decimal | float | int | None, language: str, places: int = 2) -> str:
    if value is None:
        return "–"
    text = f"{value:,}" if isinstance(value, int) else f"{float(value):,.{places}f}"
    if language == "pl":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def summary_rows(d: Dashboard, language: str = "pl") -> list[tuple[str, str, str]]:
    """(label, this period, previous period) of the headline figures."""
    t = lambda s: _t(s, language)  # noqa: E731
    n = lambda v, p=2: _num(v, language, p)  # noqa: E731
    return [
        (t("Orders"), n(d.current.orders), n(d.previous.orders)),
        (t("Gross value (PLN)"), n(d.current.gross), n(d.previous.gross)),
        (t("Average order value (PLN)"), n(d.current.average), n(d.previous.average)),
        (t("Returns"), n(d.current.returns), n(d.previous.returns)),
        (t("Shipped"), n(d.shipped), ""),
        (t("Late"), n(d.late), ""),
        (t("Late %"), n(d.late_pct, 1), ""),
        (t("Fulfilment median (working h)"), n(d.fulfilment_median_h, 1), ""),
        (t("Fulfilment p90 (working h)"), n(d.fulfilment_p90_h, 1), ""),
        (t("Open orders"), n(d.open_orders), ""),
        (t("Late now"), n(d.late_now), ""),
        (t("Reserved lines"), f"{n(d.reserved_lines)} / {n(d.reservation_lines)}", ""),
        (t("Reservation level %"), n(d.reservation_pct, 1), ""),
    ]


def dashboard_csv(d: Dashboard, language: str = "pl") -> str:
    """Every figure as ``section;figure;value;previous`` (Excel-friendly, Polish decimal comma)."""
    t = lambda s: _t(s, language)  # noqa: E731
    n = lambda v, p=2: _num(v, language, p)  # noqa: E731
    out = io.StringIO()
    # Product names come from suppliers' feeds and customers' orders: formula cells neutralised (OWASP).
    w = csv_writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow([t("Section"), t("Figure"), t("Value"), t("Previous")])
    for label, now, before in summary_rows(d, language):
        w.writerow([t("Summary"), label, now, before])
    for point, prev in zip(d.per_day, d.previous_per_day, strict=False):
        w.writerow([t("Orders per day"), point.day.isoformat(), n(point.orders), n(prev.orders)])
    for cell in d.backlog:
        w.writerow(
            [t("Backlog"), f"{d.status_label(cell.status, language)} {cell.bucket}", n(cell.orders), ""]
        )
    for p in d.top_by_units:
        w.writerow([t("Top by units"), f"{p.sku} {p.name}", n(p.units, 0), ""])
    for p in d.top_by_value:
        w.writerow([t("Top by value"), f"{p.sku} {p.name}", n(p.gross), ""])
    for s in d.short_products:
        w.writerow([t("Short"), f"{s.sku} {s.name}", n(s.units, 0), ""])
    for v in d.stock_value:
        w.writerow([t("Stock value"), v.code, n(v.value), ""])
    for h in d.health:
        w.writerow(
            [
                t("Health"),
                f"{h.integration} ({t(h.kind)})",
                t(h.last_status or "never"),
                n(h.failures_in_period),
            ]
        )
    return out.getvalue()


def dashboard_pdf(d: Dashboard, language: str = "pl") -> bytes:
    """The dashboard as a one- or two-page A4 PDF: headline figures, charts and the tables."""
    t = lambda s: _t(s, language)  # noqa: E731
    n = lambda v, p=2: _num(v, language, p)  # noqa: E731
    period = f"{d.period.first.isoformat()} – {d.period.last.isoformat()}"
    previous = f"{d.previous_period.first.isoformat()} – {d.previous_period.last.isoformat()}"
    blocks: list[TableBlock | LineChart | BarChart] = [
        TableBlock(
            t("Summary"),
            [t("Figure"), t("This period"), t("Previous period")],
            [list(r) for r in summary_rows(d, language)],
            [3, 1.3, 1.3],
        ),
        LineChart(
            t("Orders per day"),
            [p.day.strftime("%d.%m") for p in d.per_day],
            [
                (period, [p.orders for p in d.per_day]),
                (previous, [p.orders for p in d.previous_per_day]),
            ],
        ),
        BarChart(
            t("Backlog by age (working days)"),
            [d.status_label(s, language) for s in BACKLOG_STATUSES],
            [(label, [d.backlog_count(s, label) for s in BACKLOG_STATUSES]) for label, _, _ in AGE_BUCKETS],
        ),
        TableBlock(
            t("Top products by units"),
            [t("Product"), t("Units"), t("Value (PLN)")],
            [[f"{p.sku} {p.name}"[:70], n(p.units, 0), n(p.gross)] for p in d.top_by_units],
            [4, 1, 1.3],
        ),
        TableBlock(
            t("Top products by value"),
            [t("Product"), t("Units"), t("Value (PLN)")],
            [[f"{p.sku} {p.name}"[:70], n(p.units, 0), n(p.gross)] for p in d.top_by_value],
            [4, 1, 1.3],
        ),
        TableBlock(
            t("Units short by product"),
            [t("Product"), t("Units")],
            [[f"{s.sku} {s.name}"[:70], n(s.units, 0)] for s in d.short_products],
            [5, 1],
        ),
        TableBlock(
            t("Stock value by warehouse"),
            [t("Warehouse"), t("Units"), t("Value (PLN)"), t("Without price")],
            [
                [f"{v.code} {v.name}", n(v.units, 0), n(v.value), n(v.unpriced_products)]
                for v in d.stock_value
            ],
            [3, 1, 1.3, 1],
        ),
        TableBlock(
            t("Shop sync and feeds"),
            [t("Integration"), t("Kind"), t("Last"), t("Runs"), t("Failures")],
            [
                [
                    h.integration,
                    t(h.kind),
                    t(h.last_status or "never"),
                    n(h.runs_in_period),
                    n(h.failures_in_period),
                ]
                for h in d.health
            ],
            [3, 1.3, 1.2, 1, 1],
        ),
    ]
    report = Report(
        title=t("KPI report"),
        subtitle=f"{t('Period')}: {period}   ·   {t('Previous period')}: {previous}",
        blocks=blocks,
        footer=f"rexbit desktop · {t('Computed')}: {d.computed_at.strftime('%Y-%m-%d %H:%M')}",
    )
    return render_report(report)
