"""Trying a rule before it becomes a segment: how many lines of a month it selects and a
sample of them, or where the rule is wrong, drawn with a caret under the place."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.plan import segments
from outbound.rules import RuleError, compile_rule
from outbound.rules.errors import display_width, line_starts
from outbound.rules.grants import check_grant
from outbound.rules.values import check_values
from outbound.workspace import Segment

SOURCE = "rule"


@dataclass(frozen=True)
class Trial:
    """What a rule selects in MONTH: COUNT of the month's OF lines, the first of them, and
    warnings (a month before that is not loaded)."""

    month: str
    count: int
    of: int
    sample: pd.DataFrame
    warnings: list[str]


def try_rule(
    config: Config,
    engine: sa.Engine,
    text: str,
    month: str | None,
    limit: int | None = 10,
    *,
    hidden: Collection[str],
) -> Trial:
    """TEXT evaluated on MONTH (the latest by default) as `engine preview` evaluates a
    segment, with the first LIMIT lines it selects (every one with None); a RuleError says
    where TEXT is wrong, a ValueNotFound which value of a category column it names that the
    column never takes. A rule reading a column of HIDDEN is refused: the asker may not select
    lines by it."""
    rule = compile_rule(text, config.extract.column_types(), source=SOURCE)
    check_grant(rule, hidden, SOURCE)
    segment = Segment(SOURCE, config.workspace / "segments", "", "", rule)
    months = segments.load_months(config, engine, month, [segment], every_column=True)
    read = rule.columns | rule.prev_columns
    check_values(rule, category_values(config, months, read), recoded(config), source=SOURCE)
    chosen = segments.evaluated(months, [segment])
    count = chosen.counts[segment.name]
    sample = segments.sample(config, engine, segment, chosen, count if limit is None else limit)
    return Trial(months.month, count, chosen.lines, sample, months.warnings)


def category_values(
    config: Config, months: segments.Months, columns: Collection[str]
) -> dict[str, set[str]]:
    """The values each category column of COLUMNS takes in the months, and those its recoding
    gives."""
    recodings = recoded(config)
    found: dict[str, set[str]] = {}
    frames = [frame for frame in (months.current, months.previous) if frame is not None]
    for name, kind in config.extract.column_types().items():
        if kind != "category" or name not in columns:
            continue
        taken = found.setdefault(name, set(recodings.get(name, {}).values()))
        for frame in frames:
            if name in frame.columns:
                taken.update(str(value) for value in frame[name].dropna().unique())
    return found


def recoded(config: Config) -> dict[str, dict[str, str]]:
    """Each recoded category column's extract values and what they are imported as."""
    return {
        spec.name: dict(spec.values)
        for spec in config.extract.columns.values()
        if spec.type == "category" and spec.values
    }


def with_caret(error: RuleError) -> str:
    """The whole rule text with a line of carets under the erring place; wide (Chinese)
    characters count two columns, as in the command line's message."""
    starts = line_starts(error.text)
    lines = [
        error.text[start:end].rstrip("\r\n").replace("\t", " ")
        for start, end in zip(starts, [*starts[1:], len(error.text)], strict=True)
    ]
    shown = lines[error.line - 1]
    before = shown[: error.column]
    underlined = shown[error.column : error.column + (error.end - error.start)]
    caret = " " * display_width(before) + "^" * max(1, display_width(underlined))
    return "\n".join([*lines[: error.line], caret, *lines[error.line :]])
