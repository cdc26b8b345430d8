"""PrestaShop commands that live in other groups: ``integration test``, ``products pull`` and
``supplier sync-availability``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rexbit_desktop.cli.common import JsonOption, cli_context, console, err_console, print_json
from rexbit_desktop.domain.progress import Progress as ProgressCallback
from rexbit_desktop.domain.progress import no_progress


@contextmanager
def progress_bar(enabled: bool) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr (stdout stays clean for --json)."""
    if not enabled:
        yield no_progress
        return
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    )  # fmt: skip
    task = bar.add_task("", total=None)

    def report(done: int, total: int | None, message: str = "") -> None:
        bar.update(task, completed=done, total=total, description=message)

    with bar:
        yield report


def register_integration_commands(app: typer.Typer) -> None:
    """Adds ``rexbit integration test``."""

    @app.command("test")
    def integration_test(
        ctx: typer.Context,
        integration: int = typer.Option(..., "--integration", help="Id of the prestashop_db integration."),
        json_output: bool = JsonOption,
    ) -> None:
        """Connect to the shop database and check everything the integration uses; exit 1 on a problem."""
        from rexbit_desktop.services.shop.connection import check_shop_connection

        c = cli_context(ctx)
        report = check_shop_connection(c.db.uow(), c.actor, integration_id=integration)
        if json_output:
            print_json(report)
        else:
            _print_report(report)
        if not report.ok:
            raise typer.Exit(1)


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    def out(line: str) -> None:
        console.print(line, markup=False, highlight=False)  # shop data may hold [brackets]

    out(f"Integration {report.integration_id} ({report.integration_name}): {report.target}")
    out(f"  connection        {'ok, server ' + report.server_version if report.connected else 'FAILED'}")
    if report.connected:
        version = (
            report.prestashop_version
            if report.prestashop_version != "unknown"
            else "unknown (no PS_VERSION_DB in configuration)"
        )
        out(f"  PrestaShop        {version}")
        out(f"  schema            {report.schema_line}")
    if report.id_shop is not None:
        out(f"  shop              {report.id_shop} {report.shop_name}, group {report.id_shop_group}")
        out(f"  stock keying      {report.stock_keying}")
        langs = ", ".join(
            f"{lang.id_lang}={lang.iso_code} {lang.name}{'' if lang.active else ' (inactive)'}"
            f"{' [synced]' if lang.synced else ''}"
            for lang in report.languages
        )
        out(f"  languages         {langs}; default {report.default_language_id}")
        combo = ", ".join(report.combination_texts) or "none (no product_attribute_lang before 8.1)"
        out(f"  combination texts {combo}")
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)
    if report.ok:
        out("OK: everything the integration uses is there.")
    else:
        err_console.print("Problems:", style="bold red")
        for problem in report.problems:
            err_console.print(f"  - {problem}", markup=False, highlight=False)


def register_products_commands(app: typer.Typer) -> None:
    """Adds ``rexbit products pull``."""

    @app.command("pull")
    def products_pull(
        ctx: typer.Context,
        integration: int = typer.Option(..., "--integration", help="Id of the prestashop_db integration."),
        json_output: bool = JsonOption,
    ) -> None:
        """Our catalog from the shop: products and combinations by SKU, linked to the shop's items."""
        from rexbit_desktop.services.shop.catalog import pull_products

        c = cli_context(ctx)
        with progress_bar(not json_output) as progress:
            result = pull_products(c.db.uow(), c.actor, integration_id=integration, progress=progress)
        if json_output:
            print_json(result)
            return
        console.print(
            f"{result.shop_products} shop products, {result.items} items: "
            f"{result.products_created} products created, {result.products_updated} updated; "
            f"{result.links_created} links created, {result.links_updated} updated.",
            highlight=False,
        )
        if result.duplicate_skus:
            err_console.print(
                f"warning: {len(result.duplicate_skus)} SKU(s) used by several shop items (linked to one product): "
                + ", ".join(result.duplicate_skus[:10]),
                highlight=False,
            )


def register_supplier_commands(app: typer.Typer) -> None:
    """Adds ``rexbit supplier sync-availability``."""

    @app.command("sync-availability")
    def sync_availability_cmd(
        ctx: typer.Context,
        prestashop: int = typer.Option(..., "--prestashop", help="Id of the prestashop_db integration."),
        limit: int = typer.Option(
            None, "--limit", min=1, help="Only the first N products that need writing."
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be written; write nothing."),
        full: bool = typer.Option(False, "--full", help="Write every product, also those unchanged."),
        json_output: bool = JsonOption,
    ) -> None:
        """Write the best supplier offers' availability into the shop database (synchronously)."""
        from rexbit_desktop.services.shop.availability import sync_availability

        c = cli_context(ctx)
        with progress_bar(not json_output) as progress:
            result = sync_availability(
                c.db.uow(), c.actor, integration_id=prestashop, limit=limit, dry_run=dry_run, full=full,
                progress=progress,
            )  # fmt: skip
        if json_output:
            print_json(result.counts())
        else:
            console.print(
                f"{'dry run: ' if dry_run else ''}examined {result.examined}, to write {result.to_write}, "
                f"written {result.written}, skipped unchanged {result.skipped_unchanged}, "
                f"missing in shop {result.missing_in_shop}, errors {result.errors} "
                f"in {result.duration_s:.3f} s (sync run {result.sync_run_id})",
                highlight=False,
            )
        for detail in result.error_details[:10]:
            err_console.print(
                f"  - {detail.get('external_id', '')} {detail['reason']}".rstrip(),
                markup=False,
                highlight=False,
            )
        if result.status == "failed":
            err_console.print("error:", style="bold red", end=" ")
            err_console.print(result.message or "", markup=False, highlight=False)
            raise typer.Exit(1)
