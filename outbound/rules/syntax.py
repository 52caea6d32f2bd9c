"""Reading a rule's text as a Python expression, with positions mapped back to the text."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings

from outbound.rules.errors import Problem, line_starts
from outbound.rules.tree import Span

_EXAMPLE = "A rule looks like: status == 'active' and calls_30d == 0"
_EXAMPLE_CODE = "rule_hint_example"
# Python's messages past those _plain rewrites, by the code a page says them with.
_PYTHON_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"unterminated triple-quoted string"), "rule_unclosed_text"),
    (re.compile(r"'(?P<bracket>.)' was never closed"), "rule_bracket_not_closed"),
    (re.compile(r"unmatched '(?P<bracket>.)'"), "rule_unmatched_bracket"),
    (
        re.compile(
            r"closing parenthesis '(?P<closing>.)' does not match opening parenthesis "
            r"'(?P<opening>.)'"
        ),
        "rule_brackets_mismatch",
    ),
    (re.compile(r"invalid character '(?P<character>.)'"), "rule_invalid_character"),
    (
        re.compile(r"invalid non-printable character (?P<codepoint>U\+[0-9A-F]+)"),
        "rule_invisible_character",
    ),
    (re.compile(r"invalid \w* ?literal|invalid digit|leading zeros"), "rule_invalid_number"),
)


class Positions:
    """Maps positions in the wrapped source (the rule inside '(\\n' and '\\n)') to the rule's text.

    The wrapping lets a rule span several lines, as a TOML multi-line string does; the space
    keeps a final '\r' of the text from joining the wrapper's '\n' into one line break.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)
        ends = [*(start for start in self.starts[1:]), len(text)]
        pairs = zip(self.starts, ends, strict=True)
        self.lines = [text[start:end].rstrip("\r\n") for start, end in pairs]
        self.wrapped = f"(\n{text} \n)"

    def offset(self, lineno: int, column: int) -> int:
        """The text offset of a wrapped line number (1-based) and character column."""
        index = lineno - 2
        if index < 0:
            return 0
        if index >= len(self.lines):
            return len(self.text)
        return self.starts[index] + min(column, len(self.lines[index]))

    def byte_offset(self, lineno: int, byte_column: int) -> int:
        """As offset, but for ast's column, which counts UTF-8 bytes."""
        index = lineno - 2
        if 0 <= index < len(self.lines):
            line = self.lines[index].encode()
            return self.offset(lineno, len(line[:byte_column].decode(errors="ignore")))
        return self.offset(lineno, byte_column)

    def span(self, node: ast.AST) -> Span:
        start = self.byte_offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_line = node.end_lineno or node.lineno  # type: ignore[attr-defined]
        end_column = node.end_col_offset  # type: ignore[attr-defined]
        end = self.byte_offset(end_line, end_column) if end_column is not None else start + 1
        return Span(start, max(end, start))


def parse_expression(text: str) -> tuple[ast.expr, Positions]:
    """The rule's expression tree; a Problem if the text is not one Python expression."""
    _check_characters(text)
    positions = Positions(text)
    if not text.strip():
        raise Problem(
            "the rule is empty",
            Span(0, len(text)),
            _EXAMPLE,
            code="rule_empty",
            hint_code=_EXAMPLE_CODE,
        )
    try:
        with warnings.catch_warnings():
            # e.g. "invalid escape sequence" in a text: Python's concern, not the user's
            warnings.simplefilter("ignore")
            tree = ast.parse(positions.wrapped, mode="eval")
    except SyntaxError as error:
        _check_brackets(positions)  # a stray ')' explains the error better than the parser does
        raise _syntax_problem(error, positions) from None
    _check_brackets(positions)
    return tree.body, positions


def _check_characters(text: str) -> None:
    for index, char in enumerate(text):
        if char == "\0" or 0xD800 <= ord(char) <= 0xDFFF:
            reason = "the rule contains a character that is not text"
            raise Problem(reason, Span(index, index + 1), code="rule_bad_character")


def _syntax_problem(error: SyntaxError, positions: Positions) -> Problem:
    lineno = error.lineno or 2
    start = positions.offset(lineno, (error.offset or 1) - 1)
    end = start + 1
    if error.end_lineno == lineno and error.end_offset:
        end = positions.offset(lineno, error.end_offset - 1)
    end = min(max(end, start + 1), len(positions.text))
    reason, code, values = _plain(error.msg)
    span = Span(start, max(end, start))
    return Problem(reason, span, _EXAMPLE, code=code, hint_code=_EXAMPLE_CODE, **values)


def _plain(message: str) -> tuple[str, str, dict[str, str]]:
    """Python's MESSAGE in a rule's words, with the code and values a page says it with."""
    message = re.sub(r" \(detected at line \d+\)", "", message)
    if "meant '=='" in message:
        return "'=' is not a comparison: write '==' to compare", "rule_single_equals", {}
    if message.startswith("unterminated string"):
        return "a text in quotes is not closed", "rule_unclosed_text", {}
    if message.startswith("invalid syntax"):
        rest = message.removeprefix("invalid syntax")
        code = "rule_missing_and_or" if "forgot a comma" in rest else "rule_invalid_syntax"
        return "this is not a valid rule here" + rest, code, {}
    for pattern, code in _PYTHON_MESSAGES:
        found = pattern.match(message)
        if found:
            return message, code, found.groupdict()
    return message, "rule_invalid_syntax", {}


def _check_brackets(positions: Positions) -> None:
    """Reject a ')' that closes the wrapper's '(' early: 'a == 1) or (b == 2'."""
    depth = 0
    tokens = tokenize.generate_tokens(io.StringIO(positions.wrapped, newline=None).readline)
    try:
        for token in tokens:
            if token.type != tokenize.OP:
                continue
            if token.string in "([{":
                depth += 1
            elif token.string in ")]}":
                depth -= 1
                if depth == 0 and token.start[0] <= len(positions.lines) + 1:
                    start = positions.offset(*token.start)
                    raise Problem(
                        f"unmatched '{token.string}'",
                        Span(start, start + 1),
                        _EXAMPLE,
                        code="rule_unmatched_bracket",
                        hint_code=_EXAMPLE_CODE,
                        bracket=token.string,
                    )
    except (tokenize.TokenError, SyntaxError):
        return  # the parser's own message covers text the tokenizer cannot read
