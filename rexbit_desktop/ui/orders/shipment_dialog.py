"""Shipments in the app: the "Utwórz przesyłkę" dialog (order detail and list selection) and the DPD
handover protocol. The shipments section of the order detail is ``shipments_panel.py``.

Carrier refusals are shown in Polish naming the field (``carrier_error_text``); everything goes through
services/shipping on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.shipping import CarrierRejected, ParcelPreset, ParcelSpec
from rexbit_desktop.services.shipping import (
    ShipmentDefaults,
    ShipmentDTO,
    create_shipment,
    find_pickup_points,
    handover_protocol,
    labels_for_orders,
    shipment_defaults,
)
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import format_decimal, format_money, register, t
from rexbit_desktop.ui.messages import phrase_error
from rexbit_desktop.ui.orders.printing import pdf_folder
from rexbit_desktop.ui.runner import TaskContext, TaskError

register(
    {
        "Create shipment…": "Utwórz przesyłkę…",
        "Create shipment": "Utwórz przesyłkę",
        "Create shipments…": "Utwórz przesyłki…",
        "Shipment for order {number}": "Przesyłka do zamówienia {number}",
        "Shipments for {n} order(s)": "Przesyłki do zamówień: {n}",
        "Package preset": "Gabaryt / paczka",
        "Locker size": "Gabaryt paczkomatu",
        "Weight (kg)": "Waga (kg)",
        "Dimensions (mm)": "Wymiary (mm)",
        "Target parcel locker": "Paczkomat docelowy",
        "Find": "Szukaj",
        "Cash on delivery": "Pobranie",
        "Insurance": "Ubezpieczenie",
        "Package no.": "Nr paczki",
        "Parcels": "Liczba paczek",
        "Mark the order as shipped": "Oznacz zamówienie jako wysłane",
        "COD = order total when paid on delivery": "Pobranie = wartość zamówienia przy płatności za pobraniem",
        "Insure for the order total": "Ubezpiecz na wartość zamówienia",
        "Receiver": "Odbiorca",
        "Shipments": "Przesyłki",
        "Package": "Paczka",
        "Label": "Etykieta",
        "Problem": "Problem",
        "Print label": "Drukuj etykietę",
        "Save label…": "Zapisz etykietę…",
        "Track now": "Śledź teraz",
        "DPD handover protocol…": "Protokół przekazania DPD…",
        "Save labels": "Zapisz etykiety",
        "PDF files (*.pdf)": "Pliki PDF (*.pdf)",
        "no courier delivery: leave empty": "dostawa kurierem: zostaw puste",
        "Shipment {tracking} created.": "Utworzono przesyłkę {tracking}.",
        "{ok} shipment(s) created, {failed} failed.": "Utworzono przesyłek: {ok}, nieudanych: {failed}.",
        "Labels of {n} order(s) saved in {path}.": "Etykiety zamówień ({n}) zapisano w {path}.",
        "Tracking: {checked} checked, {delivered} delivered.": "Śledzenie: sprawdzono {checked}, doręczono {delivered}.",
        "Protocol of {day}: {parcels} parcel(s).": "Protokół z dnia {day}: paczek {parcels}.",
        "No carrier account is set up.": "Nie skonfigurowano konta przewoźnika.",
        "yes": "tak",
        "no": "nie",
        # shipment statuses
        "shipment pending": "oczekuje",
        "shipment created": "utworzona, czeka na potwierdzenie",
        "shipment confirmed": "potwierdzona",
        "shipment in_transit": "w drodze",
        "shipment ready_for_pickup": "do odbioru",
        "shipment delivered": "doręczona",
        "shipment returned": "zwrócona",
        "shipment cancelled": "anulowana",
        "shipment failed": "odrzucona",
        "shipment shipped": "wysłana",
        # carrier refusals
        "{carrier} refused the shipment.": "{carrier} odrzucił przesyłkę.",
        "Field “{field}”: {problem}.": "Pole „{field}”: {problem}.",
        "Correct the order's address or the parcel and create the shipment again.": (
            "Popraw adres w zamówieniu lub dane paczki i utwórz przesyłkę ponownie."
        ),
        "receiver's name": "imię i nazwisko odbiorcy",
        "receiver's company": "firma odbiorcy",
        "receiver's street": "ulica odbiorcy",
        "receiver's building number": "numer budynku odbiorcy",
        "receiver's postcode": "kod pocztowy odbiorcy",
        "receiver's city": "miejscowość odbiorcy",
        "receiver's country": "kraj odbiorcy",
        "receiver's phone": "telefon odbiorcy",
        "receiver's e-mail": "e-mail odbiorcy",
        "sender's address": "adres nadawcy",
        "sender's postcode": "kod pocztowy nadawcy",
        "target parcel locker": "paczkomat docelowy",
        "parcel size": "gabaryt paczki",
        "parcel weight": "waga paczki",
        "parcel dimensions": "wymiary paczki",
        "cash on delivery amount": "kwota pobrania",
        "insurance amount": "kwota ubezpieczenia",
        "carrier service": "usługa przewoźnika",
        "reference": "numer referencyjny",
        "is missing": "brak wartości (pole wymagane)",
        "is invalid": "nieprawidłowa wartość",
        "does not exist": "nie istnieje",
        "is too long": "za długa wartość",
        "is too short": "za krótka wartość",
        "is too large": "za duża wartość",
        "is not allowed": "niedozwolona wartość",
    }
)


def carrier_error_text(exc: CarrierRejected) -> str:
    """The carrier's refusal in the user's language, one line per field."""
    lines = [t("{carrier} refused the shipment.", carrier=exc.carrier)]
    for p in exc.problems:
        lines.append(t("Field “{field}”: {problem}.", field=t(p.field_name()), problem=t(p.problem_text())))
    if not exc.problems and exc.detail:
        lines.append(exc.detail)
    lines.append(t("Correct the order's address or the parcel and create the shipment again."))
    return "\n".join(lines)


def error_text(error: TaskError | BaseException) -> str:
    exc = error.exception if isinstance(error, TaskError) else error
    if isinstance(exc, CarrierRejected):
        return carrier_error_text(exc)
    if isinstance(exc, RexbitError):
        message, hint = phrase_error(exc)  # the error's code in the user's language
        return message + (f"\n{hint}" if hint else "")
    return t("Something went wrong")


def status_text(status: str) -> str:
    key = f"shipment {status}"
    text = t(key)
    return status if text == key else text


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class CreateShipmentDialog(QDialog):
    """Carrier, package preset (size or dimensions and weight), target locker, COD, insurance."""

    def __init__(
        self,
        ctx: AppContext,
        defaults: ShipmentDefaults | None,
        *,
        numbers: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.defaults = defaults
        self.numbers = list(numbers) or ([defaults.order_number] if defaults else [])
        bulk = len(self.numbers) > 1 or defaults is None
        self.setObjectName("shipment_dialog")
        self.setWindowTitle(
            t("Shipments for {n} order(s)", n=len(self.numbers))
            if bulk
            else t("Shipment for order {number}", number=self.numbers[0])
        )
        carriers = defaults.carriers if defaults else []
        presets: list[ParcelPreset] = list(defaults.presets) if defaults else []
        self.presets = presets
        self.carrier = QComboBox()
        self.carrier.setObjectName("shipment_carrier")
        for c in carriers:
            self.carrier.addItem(c.name, (c.code, c.service))
        if defaults and defaults.carrier:
            index = next((i for i, c in enumerate(carriers) if c.code == defaults.carrier), 0)
            self.carrier.setCurrentIndex(index)
        self.preset = QComboBox()
        self.preset.setObjectName("shipment_preset")
        self.size = QComboBox()
        self.size.setObjectName("shipment_size")
        self.size.addItems(["A", "B", "C"])
        self.weight = QDoubleSpinBox()
        self.weight.setObjectName("shipment_weight")
        self.weight.setRange(0.1, 31.5)
        self.weight.setDecimals(2)
        self.dims = [QSpinBox() for _ in range(3)]
        for d, name in zip(self.dims, ("length", "width", "height"), strict=True):
            d.setObjectName(f"shipment_{name}")
            d.setRange(1, 3000)
        dims_row = QHBoxLayout()
        for i, d in enumerate(self.dims):
            dims_row.addWidget(d)
            if i < 2:
                dims_row.addWidget(QLabel("×"))
        self.target = QLineEdit(defaults.target_point or "" if defaults else "")
        self.target.setObjectName("shipment_target")
        self.target.setPlaceholderText(t("no courier delivery: leave empty"))
        self.find_button = QPushButton(t("Find"))
        self.find_button.setObjectName("shipment_find_point")
        self.find_button.clicked.connect(self._find_points)
        self.points = QListWidget()
        self.points.setObjectName("shipment_points")
        self.points.setMaximumHeight(70)
        self.points.setVisible(False)
        self.points.itemClicked.connect(lambda item: self.target.setText(item.data(Qt.ItemDataRole.UserRole)))
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.find_button)
        currency = defaults.currency if defaults else "PLN"
        self.cod = QCheckBox(t("Cash on delivery"))
        self.cod.setObjectName("shipment_cod_on")
        self.cod_amount = QLineEdit()
        self.cod_amount.setObjectName("shipment_cod")
        self.insurance = QLineEdit()
        self.insurance.setObjectName("shipment_insurance")
        self.package_no = QSpinBox()
        self.package_no.setObjectName("shipment_package_no")
        self.package_no.setRange(1, 99)
        self.parcels = QSpinBox()
        self.parcels.setObjectName("shipment_parcels")
        self.parcels.setRange(1, 20)
        self.mark_shipped = QCheckBox(t("Mark the order as shipped"))
        self.mark_shipped.setObjectName("shipment_mark_shipped")
        self.mark_shipped.setChecked(True)
        self.auto_cod = QCheckBox(t("COD = order total when paid on delivery"))
        self.auto_cod.setObjectName("shipment_auto_cod")
        self.auto_cod.setChecked(True)
        self.auto_insurance = QCheckBox(t("Insure for the order total"))
        self.auto_insurance.setObjectName("shipment_auto_insurance")
        self.auto_insurance.setChecked(True)

        form = QFormLayout()
        form.addRow(t("Carrier"), self.carrier)
        form.addRow(t("Package preset"), self.preset)
        form.addRow(t("Locker size"), self.size)
        form.addRow(t("Weight (kg)"), self.weight)
        form.addRow(t("Dimensions (mm)"), dims_row)
        form.addRow(t("Target parcel locker"), target_row)
        form.addRow("", self.points)
        if bulk:
            form.addRow("", self.auto_cod)
            form.addRow("", self.auto_insurance)
        else:
            cod_row = QHBoxLayout()
            cod_row.addWidget(self.cod)
            cod_row.addWidget(self.cod_amount, 1)
            cod_row.addWidget(QLabel(currency))
            form.addRow("", cod_row)
            ins_row = QHBoxLayout()
            ins_row.addWidget(self.insurance, 1)
            ins_row.addWidget(QLabel(currency))
            form.addRow(t("Insurance"), ins_row)
            form.addRow(t("Package no."), self.package_no)
        form.addRow(t("Parcels"), self.parcels)
        form.addRow("", self.mark_shipped)
        self.receiver_label = QLabel("")
        self.receiver_label.setObjectName("shipment_receiver")
        self.receiver_label.setWordWrap(True)
        if defaults and not bulk:
            r = defaults.receiver
            self.receiver_label.setText(
                f"<b>{t('Receiver')}:</b> {r.get('company') or ''} {r.get('name') or ''}, {r.get('street') or ''}, "
                f"{r.get('postcode') or ''} {r.get('city') or ''}, {r.get('phone') or ''}, {r.get('email') or ''}"
            )
            if defaults.cod is not None:
                self.cod.setChecked(True)
                self.cod_amount.setText(format_decimal(defaults.cod, 2))
            self.insurance.setText(format_decimal(defaults.insurance, 2))
            self.package_no.setValue(defaults.next_package_no)
        self.cod.toggled.connect(self.cod_amount.setEnabled)
        self.cod_amount.setEnabled(self.cod.isChecked())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(t("Create shipment"))
        self.ok_button.setObjectName("shipment_create")
        self.ok_button.setEnabled(bool(carriers))
        if not carriers:
            self.ok_button.setToolTip(t("No carrier account is set up."))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.receiver_label)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.carrier.currentIndexChanged.connect(lambda _i: self._carrier_changed())
        self.preset.currentIndexChanged.connect(lambda _i: self._preset_changed())
        self._carrier_changed()

    def service(self) -> str:
        data = self.carrier.currentData()
        return str(data[1]) if data else ""

    def carrier_code(self) -> str:
        data = self.carrier.currentData()
        return str(data[0]) if data else ""

    def _carrier_changed(self) -> None:
        service = self.service()
        self.preset.blockSignals(True)
        self.preset.clear()
        for p in self.presets:
            if p.service == service:
                self.preset.addItem(p.name, p.code)
        self.preset.blockSignals(False)
        inpost = service == "inpost"
        self.size.setEnabled(inpost)
        self.target.setEnabled(inpost)
        self.find_button.setEnabled(inpost)
        self.parcels.setEnabled(not inpost)
        if not inpost:
            self.parcels.setValue(max(1, self.parcels.value()))
        self._preset_changed()

    def _preset_changed(self) -> None:
        code = self.preset.currentData()
        chosen = next((p for p in self.presets if p.code == code), None)
        if chosen is None:
            return
        if chosen.size:
            self.size.setCurrentText(chosen.size)
        self.weight.setValue(float(chosen.weight_kg))
        for d, value in zip(self.dims, (chosen.length_mm, chosen.width_mm, chosen.height_mm), strict=True):
            d.setValue(int(value or 1))

    def spec(self, cod: Decimal | None = None, insurance: Decimal | None = None) -> ParcelSpec:
        inpost = self.service() == "inpost"
        target = self.target.text().strip().upper() or None if inpost else None
        return ParcelSpec(
            size=self.size.currentText() if inpost else None,
            length_mm=self.dims[0].value(),
            width_mm=self.dims[1].value(),
            height_mm=self.dims[2].value(),
            weight_kg=Decimal(str(round(self.weight.value(), 2))),
            cod=cod
            if cod is not None
            else (_decimal(self.cod_amount.text()) if self.cod.isChecked() else None),
            insurance=insurance if insurance is not None else _decimal(self.insurance.text()),
            target_point=target,
            parcels=1 if inpost else self.parcels.value(),
        )

    def _find_points(self) -> None:
        db, actor, carrier, query = self.ctx.db, self.ctx.actor, self.carrier_code(), self.target.text()

        def shown(points: list[Any]) -> None:
            self.points.clear()
            for p in points:
                self.points.addItem(f"{p.code} — {p.street}, {p.postcode} {p.city} ({p.description})")
                self.points.item(self.points.count() - 1).setData(Qt.ItemDataRole.UserRole, p.code)
            self.points.setVisible(bool(points))

        self.ctx.runner.submit(
            lambda _c: find_pickup_points(db.uow(), actor, carrier, query),
            on_result=shown,
            on_error=lambda e: self.ctx.dialogs.error(self, e),
        )


def _open_file(path: Path) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


# ------------------------------------------------------------------ flows used by the detail and the list


def open_create_dialog(
    ctx: AppContext,
    parent: QWidget,
    number: str,
    on_done: Callable[[ShipmentDTO], None],
    *,
    show: Callable[[CreateShipmentDialog], bool] | None = None,
    on_failed: Callable[[], None] | None = None,
) -> None:
    """Read the defaults, show the dialog, create the shipment; errors in the user's words (then
    ``on_failed``: a refused shipment is kept as such and the detail shows it)."""
    db, actor = ctx.db, ctx.actor

    def ask(defaults: ShipmentDefaults) -> None:
        dialog = CreateShipmentDialog(ctx, defaults, parent=parent)
        accepted = show(dialog) if show else dialog.exec() == QDialog.DialogCode.Accepted
        if not accepted:
            return
        spec, carrier = dialog.spec(), dialog.carrier_code()
        package, mark = dialog.package_no.value(), dialog.mark_shipped.isChecked()
        ctx.runner.submit(
            lambda _c: create_shipment(
                db.uow(), actor, number, carrier=carrier, parcel=spec, package_no=package, mark_shipped=mark
            ),
            on_result=on_done,
            on_error=failed,
        )

    def failed(error: TaskError) -> None:
        show_error(ctx, parent, error)
        if on_failed:
            on_failed()

    ctx.runner.submit(
        lambda _c: shipment_defaults(db.uow(), actor, number),
        on_result=ask,
        on_error=lambda e: show_error(ctx, parent, e),
    )


def show_error(ctx: AppContext, parent: QWidget, error: TaskError | BaseException) -> None:
    exc = error.exception if isinstance(error, TaskError) else error
    if isinstance(exc, CarrierRejected):
        ctx.dialogs.info(parent, t("Error"), carrier_error_text(exc))
    else:
        ctx.dialogs.error(parent, error)


def create_for_selection(
    ctx: AppContext,
    parent: QWidget,
    numbers: list[str],
    *,
    show: Callable[[CreateShipmentDialog], bool] | None = None,
    ask_save_path: Callable[[str], Path | None] | None = None,
    on_done: Callable[[dict[str, str], Path | None], None] | None = None,
) -> None:
    """One dialog for the selected orders: a shipment each (COD and insurance per order), then all labels
    saved as one PDF."""
    if not numbers:
        return
    db, actor = ctx.db, ctx.actor

    def ask(defaults: ShipmentDefaults) -> None:
        dialog = CreateShipmentDialog(ctx, defaults, numbers=numbers, parent=parent)
        accepted = show(dialog) if show else dialog.exec() == QDialog.DialogCode.Accepted
        if not accepted:
            return
        carrier, base, mark = dialog.carrier_code(), dialog.spec(), dialog.mark_shipped.isChecked()
        auto_cod, auto_insurance = dialog.auto_cod.isChecked(), dialog.auto_insurance.isChecked()
        target = (ask_save_path or _ask_labels_path(parent))(f"etykiety-{date.today().isoformat()}.pdf")

        def work(c: TaskContext) -> tuple[dict[str, str], Path | None]:
            outcome: dict[str, str] = {}
            for n, number in enumerate(numbers, start=1):
                if c.cancelled():
                    break
                c.progress(n - 1, len(numbers), number)
                order_defaults = shipment_defaults(db.uow(), actor, number)
                spec = ParcelSpec(
                    **{
                        **base.__dict__,
                        "cod": order_defaults.cod if auto_cod else None,
                        "insurance": order_defaults.insurance if auto_insurance else None,
                        "target_point": base.target_point or order_defaults.target_point,
                    }
                )
                try:
                    s = create_shipment(
                        db.uow(), actor, number, carrier=carrier, parcel=spec, mark_shipped=mark
                    )
                    outcome[number] = s.tracking_number or ""
                except RexbitError as exc:
                    outcome[number] = "! " + error_text(exc)
            saved = None
            ok = [n for n, v in outcome.items() if not v.startswith("! ")]
            if ok and target is not None:
                target.write_bytes(labels_for_orders(db.uow(), actor, ok).content)
                saved = target
            return outcome, saved

        def done(result: tuple[dict[str, str], Path | None]) -> None:
            outcome, saved = result
            failed = {n: v[2:] for n, v in outcome.items() if v.startswith("! ")}
            message = t(
                "{ok} shipment(s) created, {failed} failed.",
                ok=len(outcome) - len(failed),
                failed=len(failed),
            )
            if saved is not None:
                message += "\n" + t(
                    "Labels of {n} order(s) saved in {path}.", n=len(outcome) - len(failed), path=saved
                )
            for number, why in failed.items():
                message += f"\n\n{number}: {why}"
            ctx.dialogs.info(parent, t("Shipments"), message)
            if on_done:
                on_done(outcome, saved)

        ctx.runner.submit(work, on_result=done, on_error=lambda e: show_error(ctx, parent, e))

    ctx.runner.submit(
        lambda _c: shipment_defaults(db.uow(), actor, numbers[0]),
        on_result=ask,
        on_error=lambda e: show_error(ctx, parent, e),
    )


def _ask_labels_path(parent: QWidget) -> Callable[[str], Path | None]:
    def ask(suggested: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(parent, t("Save labels"), suggested, t("PDF files (*.pdf)"))
        return Path(path) if path else None

    return ask


def dpd_protocol(ctx: AppContext, parent: QWidget, open_file: Callable[[Path], None] = _open_file) -> None:
    """Today's DPD handover protocol, written to the user's documents folder and opened (print it from
    there)."""
    db, actor = ctx.db, ctx.actor
    out_dir = pdf_folder(ctx)

    def work(_c: TaskContext) -> tuple[Any, Path]:
        protocol = handover_protocol(db.uow(), actor, carrier="dpd")
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"protokol-dpd-{protocol.day.isoformat()}-{protocol.id}.pdf"
        path.write_bytes(protocol.content)
        return protocol, path

    def done(result: tuple[Any, Path]) -> None:
        protocol, path = result
        open_file(path)
        ctx.dialogs.info(
            parent,
            t("Shipments"),
            t("Protocol of {day}: {parcels} parcel(s).", day=protocol.day, parcels=protocol.parcels),
        )

    ctx.runner.submit(work, on_result=done, on_error=lambda e: show_error(ctx, parent, e))


__all__ = [
    "CreateShipmentDialog",
    "carrier_error_text",
    "create_for_selection",
    "dpd_protocol",
    "format_money",
    "open_create_dialog",
]
