"""The `engine` command line: thin commands over the use cases, errors as sentences."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import click
import pandas as pd
import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from outbound import imports, output, segments, snapshots, workspace
from outbound.config import Config, load_config
from outbound.errors import UserError
from outbound.store.db import open_database

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(output.FORMATS),
    default="table",
    show_default=True,
    help="table for people, csv or json for programs.",
)
OUTPUT = click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the listing to a .csv, .json or .xlsx file instead.",
)
MONTH = click.option("--month", help="Extract month YYYY-MM (default: the latest loaded).")
stderr = Console(stderr=True)


class App:
    """What every command needs, opened on first use."""

    def __init__(self, workspace_dir: Path) -> None:
        self.workspace_dir = workspace_dir

    @cached_property
    def config(self) -> Config:
        return load_config(self.workspace_dir)

    @cached_property
    def engine(self) -> sa.Engine:
        return open_database(self.config.database_url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ENGINE_WORKSPACE",
    default=".",
    show_default=True,
    help="The workspace folder (config.toml, segments/, ...).",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path, debug: bool) -> None:
    """Outbound campaign engine: billing extracts in, the day's calls and messages out."""
    ctx.obj = App(workspace.resolve())


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--month", required=True, help="The extract's month, YYYY-MM.")
@click.option(
    "--encoding", help="The CSV's text encoding (detected when not given): gbk, gb18030, utf-8."
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the month's loaded extract (the old one is kept on record).",
)
@click.pass_obj
def import_command(app: App, file: Path, month: str, encoding: str | None, replace: bool) -> None:
    """Load a billing extract (CSV, Parquet or XLSX) as MONTH's snapshot."""
    config, engine = app.config, app.engine
    with _progress(
        f"importing {file.name}", file.stat().st_size if file.is_file() else 0
    ) as advance:
        summary = imports.import_extract(
            config, engine, file, month, encoding=encoding, replace=replace, progress=advance
        )
    if summary.status == "unchanged":
        click.echo(f"{file}: already imported for {summary.month}; nothing changed.")
        return
    click.echo(
        f"{summary.status} {file} as {summary.month}"
        + (f" ({summary.encoding})" if summary.encoding else "")
        + f" in {summary.seconds:.1f} s\n"
        f"  rows read      {summary.rows_read:>12,}\n"
        f"  rows loaded    {summary.rows_loaded:>12,}\n"
        f"  rows rejected  {summary.rows_rejected:>12,}"
        + (f"  -> {summary.rejects}" if summary.rejects else "")
    )


@cli.command("imports")
@MONTH
@FORMAT
@click.pass_obj
def imports_command(app: App, month: str | None, fmt: str) -> None:
    """Every extract imported, newest first, replaced ones included."""
    entries = snapshots.history(app.engine, month and snapshots.parse_month(month))
    frame = pd.DataFrame(
        [
            {
                "month": e.month,
                "current": e.replaced_at is None,
                "source": e.source_path,
                "sha256": e.sha256[:16],
                "rows_read": e.rows_read,
                "rows_loaded": e.rows_loaded,
                "rows_rejected": e.rows_rejected,
                "imported_at": e.imported_at,
                "rejects": e.reject_path,
            }
            for e in entries
        ],
        columns=[
            "month",
            "current",
            "source",
            "sha256",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "imported_at",
            "rejects",
        ],
    )
    output.emit(fmt, frame, {"imports": output.records(frame)})


@cli.command("segments")
@MONTH
@FORMAT
@OUTPUT
@click.pass_obj
def segments_command(app: App, month: str | None, fmt: str, output_path: Path | None) -> None:
    """Every segment with the number of lines it selects."""
    loaded, problems = workspace.load_segments(app.config)
    months = segments.load_months(app.config, app.engine, month, loaded)
    _warn(months.warnings)
    frame = pd.DataFrame(
        [
            {"segment": s.name, "title": s.title, "count": len(segments.members(s, months))}
            for s in loaded
        ],
        columns=["segment", "title", "count"],
    )
    output.emit(
        fmt,
        frame,
        {"month": months.month, "segments": output.records(frame)},
        title=f"segments of {months.month}",
        output=output_path,
    )
    _fail_on(problems)


@cli.command("preview")
@click.argument("segment")
@MONTH
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="Sample rows to show.",
)
@FORMAT
@OUTPUT
@click.pass_obj
def preview_command(
    app: App, segment: str, month: str | None, limit: int, fmt: str, output_path: Path | None
) -> None:
    """How many lines SEGMENT selects, with a sample of them."""
    chosen = workspace.find_segment(app.config, segment)
    months = segments.load_months(app.config, app.engine, month, [chosen], every_column=True)
    _warn(months.warnings)
    selected = segments.members(chosen, months)
    rows = segments.sample(chosen, months, selected, limit)
    document = {
        "segment": chosen.name,
        "title": chosen.title,
        "where": chosen.rule.text,
        "month": months.month,
        "count": len(selected),
        "of": len(months.current),
        "rows": output.records(rows),
    }
    if fmt == "table" and output_path is None:
        click.echo(
            f"{chosen.name}: {len(selected):,} of {len(months.current):,} lines in {months.month}"
            + (f" — {chosen.title}" if chosen.title else "")
        )
    output.emit(fmt, rows, document, output=output_path)


@cli.command("check")
@click.pass_obj
def check_command(app: App) -> None:
    """Validate config.toml and every file of the workspace, reporting all problems at once."""
    config = app.config
    loaded, problems = workspace.load_segments(config)
    click.echo(f"config.toml: ok ({len(config.extract.column_types())} extract columns)")
    click.echo(f"segments/: {len(loaded)} ok, {len(problems)} with problems")
    _fail_on(problems)


@cli.command("sample")
@click.option("--lines", default=30_000, show_default=True, type=click.IntRange(min=100))
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default="data")
@click.pass_obj
def sample_command(app: App, lines: int, folder: Path) -> None:
    """Write the synthetic two-month sample extract (deterministic) into FOLDER."""
    from outbound.sample import write_sample

    target = folder if folder.is_absolute() else app.workspace_dir / folder
    for path, month in write_sample(target, lines=lines):
        click.echo(f"{month}: {path}")


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        stderr.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _fail_on(problems: list[UserError]) -> None:
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(1)


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], object]]:
    """A progress bar on a terminal for large inputs; silent otherwise."""
    if not stderr.is_terminal or total < 8 << 20:
        yield lambda _: None
        return
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(
        *Progress.get_default_columns()[:1], *columns, console=stderr, transient=True
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=argv, prog_name="engine", standalone_mode=False)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True
        )
        sys.exit(2)
    if isinstance(code, int) and code:
        sys.exit(code)
