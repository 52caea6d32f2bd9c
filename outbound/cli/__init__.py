"""The `engine` command line: thin commands over the use cases, errors as sentences. May import:
every package; the commands import theirs when they run, so that `engine --help` starts at once."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from outbound.errors import UserError

if TYPE_CHECKING:
    import sqlalchemy as sa
    from rich.console import Console

    from outbound.config import Config

FORMATS = ("table", "csv", "json")
FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
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
DATE = click.option(
    "--date",
    "date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day, YYYY-MM-DD (default: today).",
)


class ChoiceOf(click.Choice):
    """A choice among the keys or items of a module's constant, "module:NAME", read when the
    option is first checked or shown, so that defining a command imports nothing heavy."""

    def __init__(self, where: str, *more: str) -> None:
        self.where, self.more, self.case_sensitive = where, more, True

    @cached_property
    def choices(self) -> Sequence[Any]:  # type: ignore[override]
        module, name = self.where.split(":")
        return (*getattr(importlib.import_module(module), name), *self.more)


class App:
    """What every command needs, opened on first use."""

    def __init__(self, workspace_dir: Path, now: dt.datetime | None = None) -> None:
        self.workspace_dir = workspace_dir
        self.fixed_now = now

    def now(self) -> dt.datetime:
        """The present moment, in the workspace's timezone (or the one --now fixes)."""
        moment = self.fixed_now or dt.datetime.now(dt.UTC)
        return moment.astimezone(self.config.tz)

    def day(self, given: dt.datetime | None) -> dt.date:
        return given.date() if given else self.now().date()

    @cached_property
    def config(self) -> Config:
        from outbound.config import load_config
        from outbound.workspace import leftovers

        config = load_config(self.workspace_dir)
        leftovers.sweep(config.var)  # what a killed command left half-written
        store = config.storage.root if "://" not in config.storage_url else None
        if store is not None and Path(store) != config.var.resolve():  # a folder of its own
            leftovers.sweep(store)
        return config

    @cached_property
    def engine(self) -> sa.Engine:
        from outbound.store.db import open_database

        return open_database(self.config.database_url, self.config.database.wait_seconds)

    def close(self) -> None:
        """Let the database's connections go when the command ends, not when the collector
        gets to them: a process running many commands (the tests, a script) keeps none."""
        if "engine" in self.__dict__:
            self.engine.dispose()


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
@click.option(
    "--now",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]),
    hidden=True,
    help="Act as if it were this local time (replays and tests).",
)
@click.pass_context
def cli(ctx: click.Context, workspace: Path, debug: bool, now: dt.datetime | None) -> None:
    """Outbound campaign engine: billing extracts in, the day's calls and messages out."""
    app = App(workspace.resolve())
    if now is not None:
        app.fixed_now = now.replace(tzinfo=app.config.tz)
    ctx.obj = app
    ctx.call_on_close(app.close)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        stderr().print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def fail_on(problems: list[UserError]) -> None:
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(1)


@contextmanager
def progress(
    label: str, total: int | None, unit: str = "bytes"
) -> Iterator[Callable[[int], object]]:
    """A progress bar on a terminal for large inputs (8 MB, or 100 messages), or a count of
    rows as they come when their number is not known beforehand (TOTAL None); silent otherwise."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = stderr()
    if not console.is_terminal or (
        total is not None and total < (8 << 20 if unit == "bytes" else 100)
    ):
        yield lambda _: None
        return
    if total is None:
        counted: tuple[ProgressColumn, ...] = (TextColumn("{task.completed:,.0f} " + unit),)
    elif unit == "bytes":
        counted = (DownloadColumn(), TransferSpeedColumn())
    else:
        counted = (MofNCompleteColumn(),)
    columns = (BarColumn(), *counted, TimeRemainingColumn())
    with Progress(
        *Progress.get_default_columns()[:1], *columns, console=console, transient=True
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _busy(exc: BaseException) -> bool:
    """Whether EXC is a database that waited too long for another writer's lock (SQLite's
    "database is locked", PostgreSQL's lock timeout)."""
    text = str(exc)
    return type(exc).__name__ == "OperationalError" and (
        "database is locked" in text or "lock timeout" in text
    )


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
        if _busy(exc):
            click.echo(
                "error: the database stayed busy with another command (the daily run or an "
                "import, most likely) longer than a write waits ([database] wait_seconds); "
                "this one changed nothing. Try again when that one is over.",
                err=True,
            )
            sys.exit(1)
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True
        )
        sys.exit(2)
    if isinstance(code, int) and code:
        sys.exit(code)


# The command modules add their commands to `cli`; they import what is defined above.
from outbound.cli import (  # noqa: E402, F401
    audit,
    data,
    intake,
    messages,
    people,
    scores,
    tickets,
    users,
    web,
    work,
)
