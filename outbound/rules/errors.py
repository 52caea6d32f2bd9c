"""RuleError: a problem in a rule, shown with the rule's line and a caret under the place."""

from __future__ import annotations

import re
import unicodedata

from outbound.errors import UserError
from outbound.rules.tree import Span

_NEWLINE = re.compile(r"\r\n|\r|\n")


class Problem(Exception):
    """A problem found while compiling, before the source's name is known."""

    def __init__(self, reason: str, span: Span, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.span = span
        self.hint = hint


class RuleError(UserError):
    """A rule that cannot be compiled; `message` shows the place with a caret."""

    def __init__(
        self, reason: str, *, source: str, text: str, start: int, end: int, hint: str | None = None
    ) -> None:
        self.reason = reason
        self.source = source
        self.text = text
        self.start = start
        self.end = max(end, start)
        self.hint = hint
        self.line, self.column = line_and_column(text, start)
        super().__init__(_render(self))

    @classmethod
    def from_problem(cls, problem: Problem, source: str, text: str) -> RuleError:
        return cls(
            problem.reason,
            source=source,
            text=text,
            start=problem.span.start,
            end=problem.span.end,
            hint=problem.hint,
        )


def line_starts(text: str) -> list[int]:
    """The offset of each line of TEXT, splitting lines as Python's tokenizer does."""
    return [0, *(match.end() for match in _NEWLINE.finditer(text))]


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and 0-based character column of OFFSET in TEXT."""
    starts = line_starts(text)
    line = sum(1 for start in starts if start <= offset)
    return line, offset - starts[line - 1]


def display_width(text: str) -> int:
    """Terminal columns TEXT occupies: wide (Chinese) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _render(error: RuleError) -> str:
    starts = line_starts(error.text)
    line_start = starts[error.line - 1]
    line_text = _NEWLINE.split(error.text[line_start:], maxsplit=1)[0]
    shown = line_text.replace("\t", " ")
    before = shown[: error.column]
    underlined = shown[error.column : error.column + (error.end - error.start)]
    where = f"{error.source}: " if len(starts) == 1 else f"{error.source}: line {error.line}: "
    lines = [
        f"{where}{error.reason}",
        f"    {shown}",
        f"    {' ' * display_width(before)}{'^' * max(1, display_width(underlined))}",
    ]
    if error.hint:
        lines.append(f"  {error.hint}")
    return "\n".join(lines)
