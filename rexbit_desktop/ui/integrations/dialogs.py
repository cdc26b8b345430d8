"""Editors of the integrations view: a supplier feed, a PrestaShop connection, and an import profile with
its mappings editor (columns offered from ``last_headers`` or a preview of the feed's first rows)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.secrets import has_secrets, mask_url, restore_secrets
from rexbit_desktop.services import integrations as integration_service
from rexbit_desktop.services.integrations import FeedPreviewDTO, ImportProfileDTO, IntegrationDTO
from rexbit_desktop.ui.context import AppContext
from rexbit_desktop.ui.i18n import register, t
from rexbit_desktop.ui.queue.base import call_service, configure_table
from rexbit_desktop.ui.queue.table import Column, RecordTableModel

register(
    {
        "The password is hidden (***); it is kept unless you type a new one.": (
            "Hasło jest ukryte (***); zostaje zapisane, dopóki nie wpiszesz nowego."
        ),
        "New supplier feed": "Nowy plik dostawcy",
        "Supplier feed": "Plik dostawcy",
        "PrestaShop connection": "Połączenie z PrestaShop",
        "Name": "Nazwa",
        "Supplier name": "Nazwa dostawcy",
        "NIP": "NIP",
        "the same as the name": "taka sama jak nazwa",
        "Host": "Host",
        "Port": "Port",
        "Database name": "Nazwa bazy",
        "User": "Użytkownik",
        "Password": "Hasło",
        "Table prefix": "Prefiks tabel",
        "Shop id": "Id sklepu",
        "Minimum stock": "Minimalny stan",
        "Default delivery days": "Domyślny czas dostawy (dni)",
        "Write availability into the shop": "Zapisuj dostępność w sklepie",
        "Off: the connection can be tested and products pulled, but Sync now writes nothing.": (
            "Wyłączone: połączenie można sprawdzić i pobrać produkty, ale „Synchronizuj teraz” nic nie zapisze."
        ),
        "unchanged (leave empty to keep the saved password)": "bez zmian (zostaw puste)",
        "Save": "Zapisz",
        "Cancel": "Anuluj",
        "Import profile": "Profil importu",
        "Source (path or http(s):// URL)": "Źródło (ścieżka lub adres http(s)://)",
        "Browse…": "Przeglądaj…",
        "Format": "Format",
        "Enabled": "Włączony",
        "Options": "Opcje",
        "Encoding": "Kodowanie",
        "Delimiter": "Separator",
        "Decimal separator": "Separator dziesiętny",
        "XML record element": "Element rekordu XML",
        "detected": "wykrywane",
        "Items missing from the feed get stock 0": "Pozycje, których brak w pliku, dostają stan 0",
        "Mappings: our field ← the feed's column": "Mapowanie: nasze pole ← kolumna pliku",
        "Preview": "Podgląd",
        "Preview of the first rows": "Podgląd pierwszych wierszy",
        "Columns come from the last import; Preview reads the feed now.": (
            "Kolumny pochodzą z ostatniego importu; „Podgląd” czyta plik teraz."
        ),
        "Detected: {what}": "Wykryto: {what}",
        "(not mapped)": "(bez mapowania)",
        "Supplier's item id": "Id pozycji u dostawcy",
        "Stock": "Stan magazynowy",
        "Delivery time (days)": "Czas dostawy (dni)",
        "Purchase price": "Cena zakupu",
        "Map SKU or EAN: rows are matched to products by them.": (
            "Zmapuj SKU lub EAN: po nich wiersze są łączone z produktami."
        ),
        "Feed files (*.csv *.txt *.xml);;All files (*)": "Pliki dostawców (*.csv *.txt *.xml);;Wszystkie pliki (*)",
    }
)


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
    buttons.rejected.connect(dialog.reject)
    return buttons


# A feed profile's fields in words (the codes are the services' names; English mode shows English).
FEED_FIELDS = {
    "sku": "SKU",
    "ean": "EAN",
    "stock_quantity": "Stock",
    "delivery_days": "Delivery time (days)",
    "purchase_price": "Purchase price",
    "external_id": "Supplier's item id",
}


def feed_field_label(code: str) -> str:
    return t(FEED_FIELDS[code]) if code in FEED_FIELDS else code


class SupplierFeedDialog(QDialog):
    """A supplier feed: its name and the supplier (a contractor) it belongs to; new or edited."""

    def __init__(self, parent: QWidget | None = None, existing: IntegrationDTO | None = None) -> None:
        super().__init__(parent)
        self.existing = existing
        self.setWindowTitle(f"{t('Supplier feed')} — {existing.name}" if existing else t("New supplier feed"))
        self.name_edit = QLineEdit(existing.name if existing else "")
        self.name_edit.setObjectName("name")
        self.supplier_edit = QLineEdit((existing.contractor_name or "") if existing else "")
        self.supplier_edit.setObjectName("supplier")
        self.supplier_edit.setPlaceholderText(t("the same as the name"))
        self.nip_edit = QLineEdit()
        self.nip_edit.setObjectName("nip")
        self.enabled_check = QCheckBox(t("Enabled"))
        self.enabled_check.setObjectName("integration_enabled")
        self.enabled_check.setChecked(existing.enabled if existing else True)
        form = QFormLayout()
        form.addRow(t("Name"), self.name_edit)
        form.addRow(t("Supplier name"), self.supplier_edit)
        form.addRow(t("NIP"), self.nip_edit)
        form.addRow("", self.enabled_check)
        self.buttons = _buttons(self, t("Save"))
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(420, 150)

    def values(self) -> dict[str, Any]:
        contractor = {"name": self.supplier_edit.text().strip() or self.name_edit.text().strip()}
        if self.nip_edit.text().strip():
            contractor["nip"] = self.nip_edit.text().strip()
        return {
            "type": "supplier_feed",
            "name": self.name_edit.text().strip(),
            "config": {"contractor": contractor},
            "enabled": self.enabled_check.isChecked(),
        }


class PrestaShopDialog(QDialog):
    """A PrestaShop database connection. The saved password is never shown: an empty field keeps it."""

    def __init__(self, existing: IntegrationDTO | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.existing = existing
        self.setWindowTitle(t("PrestaShop connection") + (f" — {existing.name}" if existing else ""))
        cfg = dict(existing.config) if existing else {}
        self.name_edit = QLineEdit(existing.name if existing else "")
        self.name_edit.setObjectName("name")
        self.host_edit = QLineEdit(str(cfg.get("host", "")))
        self.host_edit.setObjectName("host")
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("port")
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(int(cfg.get("port", 3306)))
        self.database_edit = QLineEdit(str(cfg.get("database", "")))
        self.database_edit.setObjectName("database")
        self.user_edit = QLineEdit(str(cfg.get("user", "")))
        self.user_edit.setObjectName("user")
        self.password_edit = QLineEdit()  # never filled from the saved config
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        if existing is not None:
            self.password_edit.setPlaceholderText(t("unchanged (leave empty to keep the saved password)"))
        self.prefix_edit = QLineEdit(str(cfg.get("prefix", "ps_")))
        self.prefix_edit.setObjectName("prefix")
        self.shop_spin = QSpinBox()
        self.shop_spin.setObjectName("id_shop")
        self.shop_spin.setRange(1, 1_000_000)
        self.shop_spin.setValue(int(cfg.get("id_shop", 1)))
        self.threshold_spin = QSpinBox()
        self.threshold_spin.setObjectName("min_stock_threshold")
        self.threshold_spin.setRange(0, 1_000_000)
        self.threshold_spin.setValue(int(cfg.get("min_stock_threshold", 20)))
        self.days_spin = QSpinBox()
        self.days_spin.setObjectName("default_delivery_days")
        self.days_spin.setRange(0, 3650)
        self.days_spin.setValue(int(cfg.get("default_delivery_days", 7)))
        self.listing_check = QCheckBox(t("Write availability into the shop"))
        self.listing_check.setObjectName("product_listing_enabled")
        self.listing_check.setChecked(bool(cfg.get("product_listing_enabled", False)))
        self.enabled_check = QCheckBox(t("Enabled"))
        self.enabled_check.setObjectName("integration_enabled")
        self.enabled_check.setChecked(existing.enabled if existing else True)
        note = QLabel(
            t("Off: the connection can be tested and products pulled, but Sync now writes nothing.")
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid)")
        form = QFormLayout()
        form.addRow(t("Name"), self.name_edit)
        form.addRow(t("Host"), self.host_edit)
        form.addRow(t("Port"), self.port_spin)
        form.addRow(t("Database name"), self.database_edit)
        form.addRow(t("User"), self.user_edit)
        form.addRow(t("Password"), self.password_edit)
        form.addRow(t("Table prefix"), self.prefix_edit)
        form.addRow(t("Shop id"), self.shop_spin)
        form.addRow(t("Minimum stock"), self.threshold_spin)
        form.addRow(t("Default delivery days"), self.days_spin)
        form.addRow("", self.listing_check)
        form.addRow("", self.enabled_check)
        form.addRow("", note)
        self.buttons = _buttons(self, t("Save"))
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(480, 420)

    def values(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "host": self.host_edit.text().strip(),
            "port": self.port_spin.value(),
            "database": self.database_edit.text().strip(),
            "user": self.user_edit.text().strip(),
            "prefix": self.prefix_edit.text().strip(),
            "id_shop": self.shop_spin.value(),
            "min_stock_threshold": self.threshold_spin.value(),
            "default_delivery_days": self.days_spin.value(),
            "product_listing_enabled": self.listing_check.isChecked(),
        }
        if self.password_edit.text() or self.existing is None:
            config["password"] = self.password_edit.text()
        return {
            "type": "prestashop_db",
            "name": self.name_edit.text().strip(),
            "config": config,
            "enabled": self.enabled_check.isChecked(),
        }


def preview_model(preview: FeedPreviewDTO) -> RecordTableModel[dict[str, str]]:
    return RecordTableModel(
        [Column(h, lambda row, h=h: str(row.get(h, "") or "")) for h in preview.headers]  # type: ignore[misc]
    )


class ProfileDialog(QDialog):
    """Create or edit an import profile. Saving goes through the service, which validates it."""

    MAPPED = ("sku", "ean", "stock_quantity", "delivery_days", "purchase_price", "external_id")

    def __init__(
        self,
        ctx: AppContext,
        integration_id: int,
        profile: ImportProfileDTO | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.integration_id = integration_id
        self.profile = profile
        self.saved: ImportProfileDTO | None = None
        self.preview: FeedPreviewDTO | None = None
        self.setWindowTitle(t("Import profile") + (f" — {profile.name}" if profile else ""))
        options = dict(profile.options) if profile else {}

        self.name_edit = QLineEdit(profile.name if profile else "")
        self.name_edit.setObjectName("name")
        # The location is shown with its password and tokens masked (***) and stays editable: a secret
        # still shown as *** keeps its saved value (restore_secrets), one typed anew replaces it.
        self._saved_source = profile.source_location if profile else ""
        self.source_edit = QLineEdit(mask_url(self._saved_source))
        self.source_edit.setObjectName("source")
        if has_secrets(self._saved_source):
            self.source_edit.setToolTip(
                t("The password is hidden (***); it is kept unless you type a new one.")
            )
        browse = QPushButton(t("Browse…"))
        browse.clicked.connect(self._browse)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(browse)
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("format")
        self.format_combo.addItems(["csv", "xml"])
        self.format_combo.setCurrentText(profile.format if profile else "csv")
        self.enabled_check = QCheckBox(t("Enabled"))
        self.enabled_check.setChecked(profile.enabled if profile else True)

        self.encoding_combo = self._option_combo(
            ["", "utf-8", "utf-8-sig", "cp1250", "iso-8859-2"], options, "encoding"
        )
        self.delimiter_combo = self._option_combo(["", ";", ",", "\\t", "|"], options, "delimiter")
        self.decimal_combo = self._option_combo(["", ",", ".", "auto"], options, "decimal")
        self.record_edit = QLineEdit(str(options.get("record", "")))
        self.record_edit.setObjectName("record")
        self.record_edit.setPlaceholderText(t("detected"))
        self.zero_check = QCheckBox(t("Items missing from the feed get stock 0"))
        self.zero_check.setChecked(bool(options.get("zero_missing", True)))
        self._other_options = {
            k: v
            for k, v in options.items()
            if k not in ("encoding", "delimiter", "decimal", "record", "zero_missing")
        }
        options_box = QGroupBox(t("Options"))
        of = QFormLayout(options_box)
        of.addRow(t("Encoding"), self.encoding_combo)
        of.addRow(t("Delimiter"), self.delimiter_combo)
        of.addRow(t("Decimal separator"), self.decimal_combo)
        of.addRow(t("XML record element"), self.record_edit)
        of.addRow("", self.zero_check)

        # mappings: editable combos offering the feed's columns
        self.mapping_combos: dict[str, QComboBox] = {}
        mappings_box = QGroupBox(t("Mappings: our field ← the feed's column"))
        mf = QFormLayout(mappings_box)
        for field in self.MAPPED:
            combo = QComboBox()
            combo.setObjectName(f"map_{field}")
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            edit = combo.lineEdit()
            if edit is not None:
                edit.setPlaceholderText(t("(not mapped)"))
            self.mapping_combos[field] = combo
            mf.addRow(feed_field_label(field), combo)
        self.headers_note = QLabel(t("Columns come from the last import; Preview reads the feed now."))
        self.headers_note.setWordWrap(True)
        self.headers_note.setStyleSheet("color: palette(mid)")
        mf.addRow(self.headers_note)
        self._offer_columns(list(profile.last_headers or []) if profile else [])
        for field, combo in self.mapping_combos.items():
            combo.setEditText(str((profile.mappings if profile else {}).get(field, "")))

        self.preview_button = QPushButton(t("Preview"))
        self.preview_button.setObjectName("preview")
        self.preview_button.clicked.connect(self.load_preview)
        self.detected_label = QLabel("")
        self.detected_label.setObjectName("detected")
        self.detected_label.setWordWrap(True)
        self.preview_table = QTableView()
        self.preview_table.setObjectName("preview_table")
        configure_table(self.preview_table, stretch_last=False)
        self.preview_table.setMinimumHeight(160)
        self.preview_model: RecordTableModel[dict[str, str]] | None = None

        form = QFormLayout()
        form.addRow(t("Name"), self.name_edit)
        form.addRow(t("Source (path or http(s):// URL)"), source_row)
        form.addRow(t("Format"), self.format_combo)
        form.addRow("", self.enabled_check)
        upper = QHBoxLayout()
        upper.addWidget(options_box, 1)
        upper.addWidget(mappings_box, 1)
        preview_bar = QHBoxLayout()
        preview_bar.addWidget(QLabel("<b>" + t("Preview of the first rows") + "</b>"))
        preview_bar.addWidget(self.detected_label, 1)
        preview_bar.addWidget(self.preview_button)
        self.buttons = _buttons(self, t("Save"))
        self.buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(upper)
        layout.addLayout(preview_bar)
        layout.addWidget(self.preview_table, 1)
        layout.addWidget(self.buttons)
        self.resize(900, 640)

    def _option_combo(self, items: list[str], options: dict[str, Any], key: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(key)
        combo.setEditable(True)
        combo.addItems(items)
        edit = combo.lineEdit()
        if edit is not None:
            edit.setPlaceholderText(t("detected"))
        value = options.get(key)
        combo.setEditText("" if value is None else ("\\t" if value == "\t" else str(value)))
        return combo

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, t("Source (path or http(s):// URL)"), "", t("Feed files (*.csv *.txt *.xml);;All files (*)")
        )
        if path:
            self.source_edit.setText(path)

    def _offer_columns(self, headers: list[str]) -> None:
        for combo in self.mapping_combos.values():
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("")
            combo.addItems([str(h) for h in headers])
            combo.setEditText(current)
            combo.blockSignals(False)

    def offered_columns(self, field: str = "sku") -> list[str]:
        combo = self.mapping_combos[field]
        return [combo.itemText(i) for i in range(1, combo.count())]

    # -- values -----------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        out = dict(self._other_options)
        for key, combo in (
            ("encoding", self.encoding_combo),
            ("delimiter", self.delimiter_combo),
            ("decimal", self.decimal_combo),
        ):
            value = combo.currentText().strip() if key != "delimiter" else combo.currentText()
            if value:
                out[key] = "\t" if value == "\\t" else value
        if self.record_edit.text().strip():
            out["record"] = self.record_edit.text().strip()
        if not self.zero_check.isChecked():
            out["zero_missing"] = False
        return out

    def mappings(self) -> dict[str, str]:
        return {f: c.currentText().strip() for f, c in self.mapping_combos.items() if c.currentText().strip()}

    def source_location(self) -> str:
        """The location as typed, with the saved secrets where it still shows ***."""
        return restore_secrets(self.source_edit.text().strip(), self._saved_source)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name_edit.text().strip(),
            "source_location": self.source_location(),
            "format": self.format_combo.currentText(),
            "options": self.options(),
            "mappings": self.mappings(),
            "enabled": self.enabled_check.isChecked(),
        }

    # -- preview and save -------------------------------------------------------------------------
    def load_preview(self) -> None:
        ctx, v = self.ctx, self.values()
        self.preview_button.setEnabled(False)

        def show(preview: FeedPreviewDTO) -> None:
            self.preview = preview
            self._offer_columns(preview.headers)
            self.preview_model = preview_model(preview)
            self.preview_model.set_rows(preview.rows)
            self.preview_table.setModel(self.preview_model)
            self.preview_table.resizeColumnsToContents()
            shown = {
                k: v
                for k, v in preview.detected.items()
                if k in ("encoding", "delimiter", "decimal", "record")
            }
            self.detected_label.setText(
                t("Detected: {what}", what=", ".join(f"{k} {v!r}" for k, v in shown.items() if v))
            )

        call_service(
            ctx,
            self,
            lambda _c: integration_service.preview_feed(
                ctx.actor,
                source_location=v["source_location"],
                format=v["format"],
                options=v["options"],
                mappings={},
                rows=20,
            ),
            show,
            on_done=lambda: self.preview_button.setEnabled(True),
        )

    def save(self) -> None:
        ctx, v = self.ctx, self.values()

        def saved(profile: ImportProfileDTO) -> None:
            self.saved = profile
            self.accept()

        if self.profile is None:
            call_service(
                ctx,
                self,
                lambda _c: integration_service.create_import_profile(
                    ctx.db.uow(), ctx.actor, integration_id=self.integration_id, **v
                ),
                saved,
            )
        else:
            profile_id = self.profile.id
            call_service(
                ctx,
                self,
                lambda _c: integration_service.update_import_profile(
                    ctx.db.uow(), ctx.actor, profile_id, **v
                ),
                saved,
            )


__all__ = ["PrestaShopDialog", "ProfileDialog", "SupplierFeedDialog", "preview_model"]
