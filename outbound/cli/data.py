"""Commands on extracts and segments: import, imports, segments, preview, check, sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from outbound.cli import FORMAT, MONTH, OUTPUT, App, cli, fail_on, progress, warn
from outbound.cli.audit import FULL_PHONES, phones_shown

if TYPE_CHECKING:
    from outbound.config import Config
    from outbound.errors import UserError


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--month", required=True, help="The extract's month, YYYY-MM.")
@click.option(
    "--encoding", help="The CSV's text encoding (detected when not given): gbk, gb18030, utf-8."
)
@click.option(
    "--from-database",
    "url",
    metavar="URL",
    help="Read the extract from this database (postgresql+psycopg://user@host/billing, "
    "mysql+pymysql://user@host/billing) instead of a file; its password in "
    "$ENGINE_SOURCE_PASSWORD.",
)
@click.option(
    "--query",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --from-database: the file holding the SELECT that reads the month.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the month's loaded extract (the old one is kept on record).",
)
@click.pass_obj
def import_command(
    app: App,
    file: Path | None,
    month: str,
    encoding: str | None,
    url: str | None,
    query: Path | None,
    replace: bool,
) -> None:
    """Load a billing extract (CSV, Parquet or XLSX, or a SELECT on the billing database) as
    MONTH's snapshot."""
    from outbound.errors import UserError
    from outbound.extract import imports

    config, engine = app.config, app.engine
    if (file is None) == (url is None) or (url is None) != (query is None):
        raise UserError(
            "give the extract as a FILE, or as --from-database URL with --query FILE.sql"
        )
    if url is not None and query is not None:
        with progress(f"reading {query.name}", None, unit="rows") as advance:
            summary = imports.import_query(
                config, engine, url, query, month, replace=replace, progress=advance
            )
        file = query
    else:
        assert file is not None
        with progress(
            f"importing {file.name}", file.stat().st_size if file.is_file() else 0
        ) as advance:
            summary = imports.import_extract(
                config, engine, file, month, encoding=encoding, replace=replace, progress=advance
            )
    if summary.status == "unchanged":
        click.echo(f"{file}: already imported for {summary.month}; nothing changed.")
        return
    warn(list(summary.warnings))
    click.echo(
        f"{summary.status} {file} as {summary.month}"
        + (f" ({summary.encoding})" if summary.encoding else "")
        + f" in {summary.seconds:.1f} s\n"
        f"  rows read      {summary.rows_read:>12,}\n"
        f"  rows loaded    {summary.rows_loaded:>12,}\n"
        f"  rows rejected  {summary.rows_rejected:>12,}"
        + (f"  -> {summary.rejects}" if summary.rejects else "")
        + (
            f"\n  exact copies   {summary.rows_duplicate:>12,}  dropped (rows that repeat an "
            "earlier row in every column read)"
            if summary.rows_duplicate
            else ""
        )
    )


@cli.command("imports")
@MONTH
@FORMAT
@click.pass_obj
def imports_command(app: App, month: str | None, fmt: str) -> None:
    """Every extract imported, newest first, replaced ones included."""
    import pandas as pd

    from outbound import output
    from outbound.extract import snapshots

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
                "rows_duplicate": e.rows_duplicate,
                "imported_at": e.imported_at,
                "rejects": e.reject_path and app.config.storage.path(e.reject_path),
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
            "rows_duplicate",
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
    import pandas as pd

    from outbound import output, workspace
    from outbound.plan import segments

    loaded, problems = workspace.load_segments(app.config)
    months = segments.select(app.config, app.engine, month, loaded, count_only=True)
    warn(months.warnings)
    frame = pd.DataFrame(
        [{"segment": s.name, "title": s.title, "count": months.counts[s.name]} for s in loaded],
        columns=["segment", "title", "count"],
    )
    output.emit(
        fmt,
        frame,
        {"month": months.month, "segments": output.records(frame)},
        title=f"segments of {months.month}",
        output=output_path,
    )
    fail_on(problems)


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
@FULL_PHONES
@click.pass_obj
def preview_command(
    app: App,
    segment: str,
    month: str | None,
    limit: int,
    fmt: str,
    output_path: Path | None,
    full_phones: bool,
) -> None:
    """How many lines SEGMENT selects, with a sample of them."""
    from outbound import output, workspace
    from outbound.plan import segments

    chosen = workspace.find_segment(app.config, segment)
    months = segments.select(app.config, app.engine, month, [chosen], every_column=True)
    warn(months.warnings)
    selected = months.of(chosen)
    sample = segments.sample(app.config, app.engine, chosen, months, limit)
    rows = phones_shown(app, sample, full_phones, "line_id")
    document = {
        "segment": chosen.name,
        "title": chosen.title,
        "where": chosen.rule.text,
        "month": months.month,
        "count": len(selected),
        "of": months.lines,
        "rows": output.records(rows),
    }
    if fmt == "table" and output_path is None:
        click.echo(
            f"{chosen.name}: {len(selected):,} of {months.lines:,} lines in {months.month}"
            + (f" — {chosen.title}" if chosen.title else "")
        )
    output.emit(fmt, rows, document, output=output_path)


@cli.command("check")
@click.pass_obj
def check_command(app: App) -> None:
    """Validate config.toml and every file of the workspace, reporting all problems at once."""
    from outbound import workspace
    from outbound.errors import UserError
    from outbound.extract import snapshots
    from outbound.orders import tickets
    from outbound.workspace.campaigns import load_campaigns, problems_of
    from outbound.workspace.render import Scripts

    config = app.config
    loaded, problems = workspace.load_segments(config)
    click.echo(f"config.toml: ok ({len(config.extract.column_types())} extract columns)")
    click.echo(f"segments/: {len(loaded)} ok, {len(problems)} with problems")
    campaigns, campaign_problems = load_campaigns(config)
    scripts = Scripts(config.workspace / "scripts")
    segment_names = {s.name for s in loaded} | {
        path.stem for path in workspace.discover(config.workspace / "segments", ".toml")
    }
    found = [
        UserError(p) for c in campaigns for p in problems_of(config, c, segment_names, scripts)
    ]
    found += [UserError(p) for p in tickets.problems_of_types(config, scripts)]
    kinds = config.settings.tickets.values()
    used = {script for c in campaigns for script in c.spec.scripts}
    used |= {kind.script for kind in kinds if kind.script}
    columns = config.extract.column_types()
    found += [
        UserError(p)
        for name in scripts.names()
        if name not in used
        for p in scripts.check(name, columns)
    ]
    click.echo(
        f"campaigns/: {len(campaigns) + len(campaign_problems)} files, "
        f"{len(campaign_problems) + len(found)} problems"
    )
    click.echo(f"scripts/: {len(scripts.names())} templates")
    stale = [
        UserError(f"{entry.month}: {why}. {snapshots.fix(entry)}")
        for entry, why in snapshots.stale_months(config, app.engine)
    ]
    loaded_months = snapshots.loaded_months(app.engine)
    click.echo(f"extracts: {len(loaded_months)} months loaded, {len(stale)} to read again")
    missing = _missing_snapshots(app, loaded_months)
    click.echo(f"store: {config.storage_url}, {len(missing)} snapshots missing")
    unreachable = _cluster_problems(config)
    fail_on(problems + campaign_problems + found + stale + missing + unreachable)


def _missing_snapshots(app: App, months: list[str]) -> list[UserError]:
    from outbound.errors import UserError
    from outbound.extract import snapshots

    missing = []
    for month in months:
        try:
            snapshots.locate(app.config, app.engine, month)
        except UserError as error:
            if error.code == "snapshot_missing":  # a stale one is said above
                missing.append(error)
    return missing


def _cluster_problems(config: Config) -> list[UserError]:
    """What keeps [compute] scheduler's cluster from evaluating segments, if one is named."""
    from outbound.errors import UserError
    from outbound.plan import cluster

    address = config.compute.scheduler
    if address == "local":
        click.echo("compute: segments evaluated in each command's own process")
        return []
    try:
        workers = cluster.workers(address)
    except UserError as error:
        return [error]
    click.echo(f"compute: the cluster at {address}, {workers} workers")
    if workers:
        return []
    return [UserError(f"[compute] scheduler = {address!r} answers but has no worker; start some")]


@cli.group("sample", invoke_without_command=True)
@click.option("--lines", default=30_000, show_default=True, type=click.IntRange(min=100))
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default="data")
@click.pass_context
def sample_command(ctx: click.Context, lines: int, folder: Path) -> None:
    """Write the synthetic two-month sample extract (deterministic) into FOLDER."""
    from outbound.sample.billing import write_sample
    from outbound.sample.roster import write_roster

    if ctx.invoked_subcommand is not None:
        return
    target = _in_workspace(ctx.obj, folder)
    for path, month in write_sample(target, lines=lines):
        click.echo(f"{month}: {path}")
    click.echo(f"roster: {write_roster(target / 'agents.csv')}")


@sample_command.command("work")
@click.option(
    "--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The first day."
)
@click.option(
    "--through", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The last day."
)
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default="data")
@click.pass_obj
def sample_work_command(app: App, first: dt.datetime, last: dt.datetime, folder: Path) -> None:
    """Work the sample's month day by day (the daily run, messages sent dry-run, tickets taken
    in as they arrive, agents recording seeded outcomes, departments answering), then write the
    next month's extract into FOLDER with the campaigns' planted effects
    (outbound/sample/effects.py), for engine report --month."""
    from outbound.errors import UserError
    from outbound.sample.effects import write_next_extract
    from outbound.sample.work import work

    if last < first:
        raise UserError(f"--through {last:%Y-%m-%d} is before --from {first:%Y-%m-%d}")
    for day in work(app.config, app.engine, first.date(), last.date()):
        counts = ", ".join(f"{n} {category}" for category, n in sorted(day.outcomes.items()))
        click.echo(
            f"{day.day}: {'ran' if day.ran else 'had run'} on the {day.month} extract; "
            f"outcomes {counts or 'none due'}; {day.sent} messages sent; "
            f"{day.tickets} tickets taken in"
        )
    path = write_next_extract(app.config, app.engine, _in_workspace(app, folder))
    click.echo(f"next month: {path}")


def _in_workspace(app: App, folder: Path) -> Path:
    return folder if folder.is_absolute() else app.workspace_dir / folder
