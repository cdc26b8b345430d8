"""The supplier feed page of the integrations view: import profiles, the run history with its errors,
*Import now* (progress, cancel), *Queue import* and *Link products*."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rexbit_desktop.domain.secrets import mask_url
from rexbit_desktop.services import integrations as integration_service
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.feeds import runs as imports_runs
from rexbit_desktop.services.feeds.runs import ImportRunDTO
from rexbit_desktop.services.integrations import ImportProfileDTO
from rexbit_desktop.ui.i18n import format_datetime, t
from rexbit_desktop.ui.integrations.dialogs import ProfileDialog, feed_field_label
from rexbit_desktop.ui.integrations.runs_table import (
    _duration,
    _run_errors,
    _status,
    _status_colour,
)
from rexbit_desktop.ui.queue.base import call_service, configure_table, selected_record
from rexbit_desktop.ui.queue.table import Column, RecordTableModel

NO_IMPORT_WORKER = (
    "No worker takes imports now, so the import waits in the queue. Turn on “Run queued jobs on this "
    "computer” in Preferences, or ask the administrator to start the job server."
)


class FeedPage:
    """Part of ``IntegrationsView`` (``view.py``)."""

    # -- supplier feed page -----------------------------------------------------------------------
    def _build_feed_page(self) -> QWidget:
        self.profiles_model: RecordTableModel[ImportProfileDTO] = RecordTableModel(
            [
                Column(t("Name"), lambda p: p.name),
                Column(t("Format"), lambda p: p.format.upper()),
                Column(
                    t("Source"),
                    lambda p: mask_url(p.source_location),
                    tooltip=lambda p: mask_url(p.source_location),
                ),
                Column(
                    t("Mapped fields"),
                    lambda p: ", ".join(f"{feed_field_label(k)}←{v}" for k, v in p.mappings.items()),
                ),
                Column(t("Columns"), lambda p: str(len(p.last_headers or [])), numeric=True),
                Column(t("Enabled"), lambda p: t("yes") if p.enabled else t("no")),
            ]
        )
        self.profiles_table = QTableView()
        self.profiles_table.setObjectName("profiles_table")
        self.profiles_table.setModel(self.profiles_model)
        configure_table(self.profiles_table)
        self.profiles_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.profiles_table.doubleClicked.connect(lambda _i: self.edit_profile())

        self.new_profile_button = QPushButton(t("New profile…"))
        self.new_profile_button.setObjectName("new_profile")
        self.new_profile_button.clicked.connect(lambda: self.edit_profile(new=True))
        self.edit_profile_button = QPushButton(t("Edit profile…"))
        self.edit_profile_button.setObjectName("edit_profile")
        self.edit_profile_button.clicked.connect(lambda: self.edit_profile())
        self.import_button = QPushButton(t("Import now"))
        self.import_button.setObjectName("import_now")
        self.import_button.clicked.connect(self.import_now)
        self.queue_import_button = QPushButton(t("Queue import"))
        self.queue_import_button.setObjectName("queue_import")
        self.queue_import_button.clicked.connect(self.queue_import)
        self.link_button = QPushButton(t("Link products"))
        self.link_button.setObjectName("link_products")
        self.link_button.clicked.connect(self.link_products)
        bar = QHBoxLayout()
        bar.addWidget(self.new_profile_button)
        bar.addWidget(self.edit_profile_button)
        bar.addStretch(1)
        bar.addWidget(self.import_button)
        bar.addWidget(self.queue_import_button)
        bar.addWidget(self.link_button)
        profiles = QWidget()
        pl = QVBoxLayout(profiles)
        pl.addLayout(bar)
        pl.addWidget(self.profiles_table, 1)

        self.runs_model: RecordTableModel[ImportRunDTO] = RecordTableModel(
            [
                Column(t("Started"), lambda r: format_datetime(r.started_at)),
                Column(t("Profile"), lambda r: r.task_name or ""),
                Column(t("Status"), lambda r: _status(r.status), colour=lambda r: _status_colour(r.status)),
                Column(t("Read"), lambda r: str(r.rows_read), numeric=True),
                Column(t("Valid"), lambda r: str(r.rows_valid), numeric=True),
                Column(
                    t("Invalid"),
                    lambda r: str(r.rows_invalid),
                    numeric=True,
                    colour=lambda r: "#b00020" if r.rows_invalid else None,
                ),
                Column(t("Matched"), lambda r: str(r.matched), numeric=True),
                Column(t("Unmatched"), lambda r: str(r.unmatched), numeric=True),
                Column(t("Ambiguous"), lambda r: str(r.ambiguous), numeric=True),
                Column(t("Zeroed"), lambda r: str(r.zeroed), numeric=True),
                Column(t("Duration"), lambda r: _duration(r.duration_s), numeric=True),
                Column(t("Started by"), lambda r: r.started_by),
            ]
        )
        self.runs_table = QTableView()
        self.runs_table.setObjectName("runs_table")
        self.runs_table.setModel(self.runs_model)
        configure_table(self.runs_table)
        self.runs_table.selectionModel().selectionChanged.connect(lambda *_: self._show_run_errors())
        self.run_errors = QPlainTextEdit()
        self.run_errors.setObjectName("run_errors")
        self.run_errors.setReadOnly(True)
        self.run_errors.setPlaceholderText(t("Select a run to see its errors."))
        runs = QSplitter(Qt.Orientation.Vertical)
        runs.addWidget(self.runs_table)
        runs.addWidget(self.run_errors)
        runs.setStretchFactor(0, 3)
        runs.setStretchFactor(1, 1)

        self.feed_tabs = QTabWidget()
        self.feed_tabs.addTab(profiles, t("Import profiles"))
        self.feed_tabs.addTab(runs, t("Import runs"))
        return self.feed_tabs

    def _load_feed(self, integration_id: int) -> None:
        ctx = self.ctx

        def fetch(_c: Any) -> tuple[list[ImportProfileDTO], list[ImportRunDTO]]:
            profiles = integration_service.list_import_profiles(
                ctx.db.uow(), ctx.actor, integration_id=integration_id
            )
            runs = imports_runs.list_runs(ctx.db.uow(), ctx.actor, integration_id=integration_id, limit=100)
            return profiles, runs

        def show(data: tuple[list[ImportProfileDTO], list[ImportRunDTO]]) -> None:
            if self.current is None or self.current.id != integration_id:
                return
            profiles, runs = data
            selected = selected_record(self.profiles_table)
            self.profiles_model.set_rows(profiles)
            self.runs_model.set_rows(runs)
            self.fit_once(self.profiles_table)
            self.fit_once(self.runs_table)
            row = next(
                (i for i, p in enumerate(profiles) if selected and p.id == selected.id), 0 if profiles else -1
            )
            if row >= 0:
                self.profiles_table.selectRow(row)
            selected_run = selected_record(self.runs_table)
            if self._show_newest_run and runs:
                self._show_newest_run = False
                self.runs_table.selectRow(0)  # the run just finished, with its errors
            elif selected_run is not None:
                for i, r in enumerate(runs):
                    if r.id == selected_run.id:
                        self.runs_table.selectRow(i)
            # A run waiting in the queue or running in a worker: look again in a few seconds.
            if any(r.status in ("queued", "running") for r in runs):
                self.runs_timer.start()
            self._update_buttons()

        self.load(fetch, show)

    def _poll_runs(self) -> None:
        if self.current is not None and self.current.type == "supplier_feed" and self.isVisible():
            if self.loading == 0:
                self._load_feed(self.current.id)
            else:
                self.runs_timer.start()

    def _show_run_errors(self) -> None:
        run: ImportRunDTO | None = selected_record(self.runs_table)
        self.run_errors.setPlainText("" if run is None else _run_errors(run))

    # -- profiles ---------------------------------------------------------------------------------
    def edit_profile(self, new: bool = False) -> ProfileDialog | None:
        integration = self.current
        if integration is None or integration.type != "supplier_feed" or not self.may_edit:
            return None
        profile = None if new else selected_record(self.profiles_table)
        if not new and profile is None:
            return None
        dialog = ProfileDialog(self.ctx, integration.id, profile, self)
        dialog.accepted.connect(lambda: self._load_feed(integration.id))
        dialog.open()
        return dialog

    # -- running ----------------------------------------------------------------------------------
    def _profile_id(self) -> int | None:
        profile: ImportProfileDTO | None = selected_record(self.profiles_table)
        return profile.id if profile else None

    def import_now(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid, task_id = self.ctx, integration.id, self._profile_id()

        def work(c: Any) -> list[ImportRunDTO]:
            return imports.import_now(
                ctx.db.uow,
                ctx.actor,
                integration_id=iid,
                task_id=task_id,
                progress=c.progress,
                cancel=c.cancelled,
            )

        def done(runs: list[ImportRunDTO]) -> None:
            run = runs[-1] if runs else None
            if run is not None:
                self._say(
                    t(
                        "Import finished: {status}. Read {read}, valid {valid}, invalid {invalid}, matched {matched}.",
                        status=_status(run.status),
                        read=run.rows_read,
                        valid=run.rows_valid,
                        invalid=run.rows_invalid,
                        matched=run.matched,
                    )
                )
            self._show_newest_run = True
            self.refresh()
            self.feed_tabs.setCurrentIndex(1)

        self._with_progress(t("Importing {name}", name=integration.name), work, done)

    def queue_import(self) -> None:
        """Queue the import; warn when no live worker takes jobs from the import queue."""
        integration = self.current
        if integration is None:
            return
        ctx, iid, task_id = self.ctx, integration.id, self._profile_id()

        def work(_c: Any) -> tuple[list[tuple[int, int | None]], bool]:
            queued = imports_runs.queue_import(ctx.db.uow(), ctx.actor, integration_id=iid, task_id=task_id)
            return [(q.run_id, q.job_id) for q in queued], all(q.worker_alive for q in queued)

        def queued(result: tuple[list[tuple[int, int | None]], bool]) -> None:
            out, alive = result
            self._say(
                " ".join(t("Import queued as job {job} (run {run}).", job=job, run=run) for run, job in out)
            )
            if not alive:
                # Nothing will pick the job up: say so now, not after a silent wait.
                self.ctx.dialogs.info(self, t("Import"), t(NO_IMPORT_WORKER))
            self.refresh()

        call_service(ctx, self, work, queued)

    def link_products(self) -> None:
        integration = self.current
        if integration is None:
            return
        ctx, iid = self.ctx, integration.id

        def linked(r: Any) -> None:
            self._say(
                t(
                    "Linked {linked} of {examined} items; ambiguous {ambiguous}, unmatched {unmatched}.",
                    linked=r.linked,
                    examined=r.examined,
                    ambiguous=r.ambiguous,
                    unmatched=r.unmatched,
                )
            )

        call_service(
            ctx,
            self,
            lambda _c: catalog.link_integration_products(ctx.db.uow(), ctx.actor, integration_id=iid),
            linked,
        )
