"""Where the order documents' PDFs go, how they are opened and printed.

- PDFs are written under the user's own data folder (``platformdirs.user_data_dir``/pdf/<login>, only the
  user may read it) or under the folder the user chose (*Folder na dokumenty*), never a shared ``/tmp``;
  the path is always shown.
- *Otwórz PDF* asks the system viewer; when there is none, a message says so and where the file is.
- Printing goes through Qt's print dialog (``QtPrintSupport``) with the printer remembered per document
  type (WZ, packing list, confirmation …); *Drukuj bez pytania* skips the dialog for the warehouse
  printer; a print preview shows the pages first. Pages are rasterised with PDFium (``pypdfium2``) at the
  printer's resolution.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs
from PySide6.QtCore import QRectF, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import register, t

register(
    {
        "PDF saved": "Zapisano PDF",
        "Saved: {path}": "Zapisano: {path}",
        "No PDF viewer is installed on this computer. The file is saved at:\n{path}": (
            "Na tym komputerze nie ma programu do oglądania PDF. Plik zapisano w:\n{path}"
        ),
        "Print {document}": "Drukuj: {document}",
        "Print preview: {document}": "Podgląd wydruku: {document}",
        "Printed {pages} page(s) on {printer}.": "Wydrukowano stron: {pages} na drukarce {printer}.",
        "WZ": "WZ",
        "Order confirmation": "Potwierdzenie zamówienia",
        "Packing list": "Lista kompletacyjna",
        "Reservation": "Rezerwacja",
    }
)

DOCUMENT_NAMES = {
    "wz": "WZ",
    "confirmation": "Order confirmation",
    "packing": "Packing list",
    "reservation": "Reservation",
}


def default_pdf_folder(login: str) -> Path:
    return Path(platformdirs.user_data_dir("rexbit-desktop", "rexbit")) / "pdf" / login


def pdf_folder(ctx: AppContext) -> Path:
    """The chosen folder (per user), else the user's own data folder; created readable by the user only."""
    chosen = str(ctx.setting("documents/folder", "") or "")
    folder = Path(chosen) if chosen else default_pdf_folder(ctx.actor.login)
    folder.mkdir(parents=True, exist_ok=True)
    if not chosen:
        os.chmod(folder, 0o700)
    return folder


def pdf_path(ctx: AppContext, name: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return pdf_folder(ctx) / f"{safe}.pdf"


def open_with_system_viewer(path: Path) -> bool:
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def open_pdf(ctx: AppContext, parent: QWidget | None, path: Path, opener: Callable[[Path], bool]) -> bool:
    """Open ``path`` in the viewer; without one, say where the file is (never fail silently)."""
    if opener(path):
        return True
    ctx.dialogs.info(
        parent,
        t("PDF saved"),
        t("No PDF viewer is installed on this computer. The file is saved at:\n{path}", path=str(path)),
    )
    return False


def _paint_pdf(printer: QPrinter, path: Path) -> int:
    """Draw every page of the PDF onto the printer, scaled to the page; returns the page count."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    painter = QPainter()
    if not painter.begin(printer):
        pdf.close()
        return 0
    dpi = min(printer.resolution(), 300)
    try:
        for i in range(len(pdf)):
            if i:
                printer.newPage()
            page = pdf[i]
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
            width, height = bitmap.width, bitmap.height
            data = bytes(bitmap.buffer)
            image = QImage(data, width, height, bitmap.stride, QImage.Format.Format_RGB888)
            target = painter.viewport()
            scale = min(target.width() / width, target.height() / height)
            painter.drawImage(QRectF(0, 0, width * scale, height * scale), image)
            page.close()
        return len(pdf)
    finally:
        painter.end()
        pdf.close()


class Printing:
    """Printing PDFs with the printer remembered per document type. Tests replace ``ask`` (the dialog)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.ask: Callable[[QPrinter, QWidget | None, str], bool] = self._ask_with_dialog

    def printer_for(self, kind: str) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        name = str(self.ctx.setting(f"printing/{kind}/printer", "") or "")
        if name:
            printer.setPrinterName(name)
        return printer

    def without_asking(self, kind: str) -> bool:
        return str(self.ctx.setting(f"printing/{kind}/no_ask", "false")).lower() == "true"

    def set_without_asking(self, kind: str, value: bool) -> None:
        self.ctx.set_setting(f"printing/{kind}/no_ask", "true" if value else "false")

    def _ask_with_dialog(self, printer: QPrinter, parent: QWidget | None, kind: str) -> bool:
        dialog = self.print_dialog(printer, parent, kind)
        return dialog.exec() == QPrintDialog.DialogCode.Accepted

    def print_dialog(self, printer: QPrinter, parent: QWidget | None, kind: str) -> QPrintDialog:
        dialog = QPrintDialog(printer, parent)
        dialog._printer = printer  # type: ignore[attr-defined]  # the dialog does not own its printer
        dialog.setWindowTitle(t("Print {document}", document=t(DOCUMENT_NAMES.get(kind, kind))))
        return dialog

    def print_pdf(
        self, parent: QWidget | None, path: Path, kind: str, printer: QPrinter | None = None
    ) -> int:
        """Print ``path``; returns the pages printed (0: the user cancelled)."""
        printer = printer or self.printer_for(kind)
        if not self.without_asking(kind) and not self.ask(printer, parent, kind):
            return 0
        if printer.outputFormat() == QPrinter.OutputFormat.NativeFormat and printer.printerName():
            self.ctx.set_setting(f"printing/{kind}/printer", printer.printerName())
        return _paint_pdf(printer, path)

    def preview(self, parent: QWidget | None, path: Path, kind: str) -> QPrintPreviewDialog:
        printer = self.printer_for(kind)
        dialog = QPrintPreviewDialog(printer, parent)
        dialog.setWindowTitle(t("Print preview: {document}", document=t(DOCUMENT_NAMES.get(kind, kind))))
        dialog.paintRequested.connect(lambda p: _paint_pdf(p, path))
        return dialog
