"""RuleError: a problem in a rule, shown with the rule's line and a caret under the place; its
code and values let a page say the reason and the hint in the reader's language."""

from __future__ import annotations

import re
import unicodedata

from outbound.errors import UserError
from outbound.rules.tree import Span

_NEWLINE = re.compile(r"\r\n|\r|\n")


class TypeName(str):
    """A value type ("str", "int", ...) among a sentence's values: a catalog text says it in its
    language with a format spec that maps each type, as in `{type:str=文本|int=数字|...}`."""

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return dict(pair.split("=", 1) for pair in spec.split("|"))[self]


class Problem(Exception):
    """A problem found while compiling, before the source's name is known. CODE names the
    reason's sentence and HINT_CODE the hint's in the refusals catalogs; VALUES fill both."""

    def __init__(
        self,
        reason: str,
        span: Span,
        hint: str | None = None,
        *,
        code: str,
        hint_code: str | None = None,
        **values: object,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.span = span
        self.hint = hint
        self.code = code
        self.hint_code = hint_code
        self.values = values


class RuleError(UserError):
    """A rule that cannot be compiled; `message` shows the place with a caret."""

    def __init__(
        self,
        reason: str,
        *,
        source: str,
        text: str,
        start: int,
        end: int,
        hint: str | None = None,
        code: str | None = None,
        hint_code: str | None = None,
        **values: object,
    ) -> None:
        self.reason = reason
        self.source = source
        self.text = text
        self.start = start
        self.end = max(end, start)
        self.hint = hint
        self.hint_code = hint_code
        self.line, self.column = line_and_column(text, start)
        super().__init__(_render(self), code, **values)

    @classmethod
    def from_problem(cls, problem: Problem, source: str, text: str) -> RuleError:
        return cls(
            problem.reason,
            source=source,
            text=text,
            start=problem.span.start,
            end=problem.span.end,
            hint=problem.hint,
            code=problem.code,
            hint_code=problem.hint_code,
            **problem.values,
        )

    @property
    def hint_refusal(self) -> UserError | None:
        """The hint as a refusal of its own, for a page to say in its language as it says the
        error; None without a hint."""
        if not self.hint:
            return None
        return UserError(self.hint, self.hint_code, **self.values)


def excerpt(error: RuleError) -> str:
    """The rule's line where ERROR is and, below it, carets under the place: what `message`
    shows between the reason and the hint, for a page that says the reason in its language."""
    line_start = line_starts(error.text)[error.line - 1]
    shown = _NEWLINE.split(error.text[line_start:], maxsplit=1)[0].replace("\t", " ")
    before = shown[: error.column]
    underlined = shown[error.column : error.column + (error.end - error.start)]
    return f"{shown}\n{' ' * display_width(before)}{'^' * max(1, display_width(underlined))}"


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
    single = len(line_starts(error.text)) == 1
    where = f"{error.source}: " if single else f"{error.source}: line {error.line}: "
    lines = [f"{where}{error.reason}", *(f"    {line}" for line in excerpt(error).split("\n"))]
    if error.hint:
        lines.append(f"  {error.hint}")
    return "\n".join(lines)
