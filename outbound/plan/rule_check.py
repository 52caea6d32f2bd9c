"""Trying a rule before it becomes a segment: how many lines of a month it selects and a
sample of them, or where the rule is wrong, drawn with a caret under the place."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.plan import segments
from outbound.rules import RuleError, compile_rule
from outbound.rules.errors import display_width, line_starts
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
    config: Config, engine: sa.Engine, text: str, month: str | None, limit: int = 10
) -> Trial:
    """TEXT evaluated on MONTH (the latest by default) as `engine preview` evaluates a
    segment; a RuleError says where TEXT is wrong."""
    rule = compile_rule(text, config.extract.column_types(), source=SOURCE)
    segment = Segment(SOURCE, config.workspace / "segments", "", "", rule)
    months = segments.load_months(config, engine, month, [segment], every_column=True)
    selected = segments.members(segment, months)
    sample = segments.sample(segment, months, selected, limit)
    return Trial(months.month, len(selected), len(months.current), sample, months.warnings)


def reason_of(error: RuleError) -> str:
    """The error's first line as the command line prints it: where, and what is wrong."""
    return str(error).split("\n", 1)[0]


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
