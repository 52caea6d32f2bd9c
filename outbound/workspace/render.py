"""Call scripts and message texts: the Jinja2 templates staff write in scripts/, checked
without rendering and rendered in a sandbox as plain text.

A script sees four variables: `customer` and `prev` (this month's and last month's extract
columns of the line), `agent` and `campaign`. Besides Jinja's built-in filters it has:

- `yuan`: an amount as yuan with two decimals, `35.5` → `35.50元`
- `phone_tail`: the last four digits of a number, `13812345678` → `尾号5678`
- `date_cn`: a date or a datetime in Chinese, `2026-10-31` → `2026年10月31日`

A missing value (None) shows as `—`, through the filters too.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateNotFound, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from outbound.errors import UserError
from outbound.workspace import discover

VARIABLES = ("customer", "prev", "agent", "campaign")
# A ticket's script also reads the ticket (config.toml [tickets.NAME] script).
TICKET_FIELDS = ("external_id", "source", "type", "text", "received_at", "department")
AGENT_FIELDS = ("agent_id", "name", "team")
CAMPAIGN_FIELDS = ("name", "title", "channel")
MISSING = "—"
# Names Jinja itself provides inside loops, macros and blocks.
_SPECIAL_NAMES = ("loop", "caller", "varargs", "kwargs", "self", "super")

_UNDEFINED_NAME = re.compile(r"^'(.+)' is undefined$")
_UNDEFINED_ATTRIBUTE = re.compile(r"has no (?:attribute|element) '(.+)'$")
_UNSAFE_ATTRIBUTE = re.compile(r"^access to attribute '(.+?)' of")


class ScriptError(UserError):
    """A script that cannot be loaded or rendered: the message names the file, the line and
    what to change."""


def yuan(amount: float | None) -> str:
    """`35.5` → `35.50元`."""
    if _missing(amount):
        return MISSING
    try:
        return f"{amount:.2f}元"
    except (TypeError, ValueError):
        raise ValueError(f"yuan needs a number, not {amount!r}") from None


def phone_tail(phone: str | None) -> str:
    """`13812345678` or `+86 138-1234-5678` → `尾号5678`."""
    if _missing(phone):
        return MISSING
    text = str(phone)
    tail = text[-4:]
    if not tail.isdigit():
        tail = "".join(char for char in text if char.isdigit())[-4:]
    return f"尾号{tail}" if tail else MISSING


def date_cn(day: dt.date | None) -> str:
    """`2026-10-31` (a date or a datetime) → `2026年10月31日`."""
    if day is None or day != day:  # NaT, like NaN, differs from itself
        return MISSING
    try:
        return f"{day.year}年{day.month}月{day.day}日"
    except AttributeError:
        raise ValueError(f"date_cn needs a date, not {day!r}") from None


def _missing(value: object) -> bool:
    # Frames carry NaN (and NaT) for a missing value: both differ from themselves.
    return value is None or value != value


def _printed(value: object) -> object:
    return MISSING if value is None else value


class _Sandbox(SandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # Jinja reads `customer.phone` as an attribute first: on a dict that raises and
        # catches an AttributeError on every access, near half the cost of a render. A dict's
        # keys are data the caller put there, nothing the sandbox has to refuse; whatever is
        # not a key still goes through the sandbox's checks.
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class Scripts:
    """The workspace's scripts/ folder: templates are loaded on first use and reloaded when
    their file changes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loader = FileSystemLoader(folder, encoding="utf-8-sig")
        self._environment = _Sandbox(
            loader=self._loader,
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_printed,
        )
        self._environment.filters.update(yuan=yuan, phone_tail=phone_tail, date_cn=date_cn)

    def names(self) -> list[str]:
        """The scripts' file names, e.g. `zero_usage_call.j2`."""
        return [path.name for path in discover(self.folder, ".j2")]

    def check(self, name: str, columns: Collection[str], *, ticket: bool = False) -> list[str]:
        """Every problem of script NAME, found without rendering it; COLUMNS are the
        extract's column names that `customer` and `prev` carry. A TICKET's script also reads
        `ticket`."""
        try:
            source = self._source(name)
        except ScriptError as exc:
            return [exc.message]
        shown = self._shown(name)
        try:
            tree = self._environment.parse(source, name, shown)
        except TemplateSyntaxError as exc:
            return [_syntax_problem(shown, exc)]
        known: dict[str, Collection[str]] = {
            "customer": columns,
            "prev": columns,
            "agent": AGENT_FIELDS,
            "campaign": CAMPAIGN_FIELDS,
        } | ({"ticket": TICKET_FIELDS} if ticket else {})
        filters = list(_unknown_filters(tree, shown, self._environment))
        problems = [
            *_unknown_variables(tree, shown, [*known, *self._environment.globals]),
            *_unknown_fields(tree, shown, known),
            *filters,
        ]
        if not filters:
            # What only compiling finds (a block defined twice): one at most, and compiling
            # stops at the first unknown filter or test.
            try:
                self._environment.compile(tree, name, shown)
            except TemplateSyntaxError as exc:
                problems.append((exc.lineno, _syntax_problem(shown, exc)))
        return [problem for _, problem in sorted(problems)]

    def version(self, name: str) -> str:
        """NAME and the digest of its text as it is now (`zero_usage_call.j2@3f2a91c0`): what
        a work order records, so that results can be read per script and per edit of it."""
        digest = hashlib.sha256(self._source(name).encode("utf-8")).hexdigest()
        return f"{name}@{digest[:8]}"

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Script NAME for one item; CONTEXT holds customer, prev, agent and campaign."""
        return self.render_many(name, [context])[0]

    def render_many(self, name: str, contexts: Iterable[Mapping[str, Any]]) -> list[str]:
        """Script NAME for each of CONTEXTS, in order.

        Pass customer, prev, agent and campaign as plain dicts: their keys are read directly
        (see `_Sandbox.getattr`), any other mapping or object pays the sandbox's checks.
        """
        template = self._template(name)
        environment = self._environment
        # Template.render reads the template's globals out of a ChainMap twice a call (once
        # for the variables, once for the context's set of their names): a plain copy made
        # once takes a third off the time of a short script.
        base = dict(template.globals)
        render, blocks = template.root_render_func, template.blocks
        make_context, join = environment.context_class, environment.concat
        rendered = []
        for context in contexts:
            state = make_context(environment, {**base, **context}, name, blocks, globals=base)
            try:
                rendered.append(join(render(state)))
            except Exception as exc:
                raise self._render_error(name, exc) from exc
        return rendered

    def _shown(self, name: str) -> str:
        return f"{self.folder.name}/{name}"

    def _source(self, name: str) -> str:
        try:
            return self._loader.get_source(self._environment, name)[0]
        except TemplateNotFound:
            raise self._not_found(name) from None
        except UnicodeDecodeError:
            raise ScriptError(f"{self._shown(name)}: not UTF-8 text; save it as UTF-8") from None

    def _template(self, name: str) -> Template:
        try:
            return self._environment.get_template(name)
        except TemplateNotFound:
            raise self._not_found(name) from None
        except UnicodeDecodeError:
            raise ScriptError(f"{self._shown(name)}: not UTF-8 text; save it as UTF-8") from None
        except TemplateSyntaxError as exc:
            raise ScriptError(_syntax_problem(self._shown(name), exc)) from None

    def _not_found(self, name: str) -> ScriptError:
        present = self.names()
        close = difflib.get_close_matches(name, present, n=1)
        if close:
            hint = f"did you mean {close[0]}?"
        elif present:
            hint = f"the scripts are {', '.join(present)}"
        else:
            hint = f"{self.folder} holds no .j2 script"
        return ScriptError(f"{self._shown(name)}: no such script file; {hint}")

    def _render_error(self, name: str, error: Exception) -> ScriptError:
        # The innermost template on the traceback: an included script names itself.
        name, line = _failed_at(error, name)
        where = f"{self._shown(name)}: line {line}"
        message = str(error)
        if isinstance(error, SecurityError):
            match = _UNSAFE_ATTRIBUTE.match(message)
            what = self._qualified(name, line, match.group(1)) if match else "this expression"
            return ScriptError(
                f"{where}: the sandbox refuses '{what}': a script may not reach Python's "
                f"internals; remove it"
            )
        if isinstance(error, UndefinedError):
            match = _UNDEFINED_NAME.match(message)
            if match:
                return ScriptError(
                    f"{where}: unknown variable '{match.group(1)}'; a script can use "
                    f"{', '.join(VARIABLES)}"
                )
            match = _UNDEFINED_ATTRIBUTE.search(message)
            what = self._qualified(name, line, match.group(1)) if match else message
            return ScriptError(
                f"{where}: '{what}' has no value here: it is not a column or field given to "
                f"the script; fix the name (engine check lists every unknown one)"
            )
        return ScriptError(
            f"{where}: {type(error).__name__}: {message}; check the value given to the filter "
            f"or expression on this line"
        )

    def _qualified(self, name: str, line: int, attribute: str) -> str:
        """`customer.plan` for ATTRIBUTE `plan` read on LINE of script NAME."""
        for node in _lookups(self._environment.parse(self._source(name))):
            found = node.lineno == line and _field(node) == attribute
            if found and isinstance(node.node, nodes.Name):
                return f"{node.node.name}.{attribute}"
        return attribute


def _failed_at(error: BaseException, name: str) -> tuple[str, int]:
    """The name and line of the innermost template the traceback of ERROR passes through,
    starting from template NAME."""
    line = 1
    trace = error.__traceback__
    while trace is not None:
        template = trace.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, Template) and template.name:
            name, line = template.name, template.get_corresponding_lineno(trace.tb_lineno)
        trace = trace.tb_next
    return name, line


def _syntax_problem(shown: str, error: TemplateSyntaxError) -> str:
    return (
        f"{shown}: line {error.lineno}: syntax error: {(error.message or '').rstrip('.')}; "
        "fix the {{ }} or {% %} tag on that line"
    )


def _lookups(tree: nodes.Template) -> Iterator[nodes.Getattr | nodes.Getitem]:
    """Every `x.y` and `x[...]` of TREE."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            yield node


def _field(node: nodes.Getattr | nodes.Getitem) -> str | None:
    """`plan` for `x.plan` and `x['plan']`; None for a computed subscript."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown_variables(
    tree: nodes.Template, shown: str, known: Collection[str]
) -> Iterator[tuple[int, str]]:
    # jinja2.meta.find_undeclared_variables would stop at the first unknown filter; a name
    # the script binds anywhere counts as known, and what that misses fails at render.
    defined = {*_SPECIAL_NAMES, *known}
    for node in tree.find_all((nodes.Name, nodes.Macro, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Macro) or (isinstance(node, nodes.Name) and node.ctx != "load"):
            defined.add(node.name)
        elif isinstance(node, nodes.Import):
            defined.add(node.target)
        elif isinstance(node, nodes.FromImport):
            defined.update(name if isinstance(name, str) else name[1] for name in node.names)
    first_lines: dict[str, int] = {}
    for name_node in tree.find_all(nodes.Name):
        if name_node.name not in defined:
            first_lines.setdefault(name_node.name, name_node.lineno)
    variables = [name for name in known if name in VARIABLES or name == "ticket"]
    for name, line in first_lines.items():
        yield (
            line,
            f"{shown}: line {line}: unknown variable '{name}'{_did_you_mean(name, variables)}; "
            f"a script can use {', '.join(variables)}",
        )


def _unknown_fields(
    tree: nodes.Template, shown: str, known: Mapping[str, Collection[str]]
) -> Iterator[tuple[int, str]]:
    for node in _lookups(tree):
        field = _field(node)
        if field is None:
            continue
        owner = node.node.name if isinstance(node.node, nodes.Name) else None
        where = f"{shown}: line {node.lineno}"
        if field.startswith("_"):
            yield (
                node.lineno,
                f"{where}: '{field}' is refused by the sandbox: a script may not read names "
                f"starting with '_'; remove it",
            )
        elif owner is not None and owner in known and field not in known[owner]:
            fields = known[owner]
            kind = "a column of the extract" if owner in ("customer", "prev") else "a field"
            yield (
                node.lineno,
                f"{where}: '{owner}.{field}' is not {kind}{_did_you_mean(field, fields)}; "
                f"{owner} has {', '.join(sorted(fields))}",
            )


def _unknown_filters(
    tree: nodes.Template, shown: str, environment: SandboxedEnvironment
) -> Iterator[tuple[int, str]]:
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.Filter) and node.name not in environment.filters:
            yield (
                node.lineno,
                f"{shown}: line {node.lineno}: unknown filter '{node.name}'"
                f"{_did_you_mean(node.name, environment.filters)}; the script filters are yuan, "
                f"phone_tail and date_cn besides Jinja's own",
            )
        elif isinstance(node, nodes.Test) and node.name not in environment.tests:
            yield (
                node.lineno,
                f"{shown}: line {node.lineno}: unknown test 'is {node.name}'"
                f"{_did_you_mean(node.name, environment.tests)}; the tests are Jinja's own",
            )
