"""The user's workspace: discovery and reading of its files, campaigns/ and the scripts rendered
from scripts/. May import: errors, config, output, rules."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from outbound.config import Config, format_validation_error
from outbound.errors import UserError
from outbound.rules import Rule, compile_rule

Model = TypeVar("Model", bound=BaseModel)
Item = TypeVar("Item")


class _SegmentFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = ""
    description: str = ""
    where: str


@dataclass(frozen=True)
class Segment:
    name: str
    path: Path
    title: str
    description: str
    rule: Rule


def discover(folder: Path, suffix: str) -> list[Path]:
    """The files of one kind, by name; editor and hidden files are skipped, clashing names
    refused."""
    if not folder.is_dir():
        return []
    files = sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() == suffix
        and not path.name.startswith((".", "#", "~"))
        and not path.name.endswith("~")
    )
    seen: dict[str, Path] = {}
    for path in files:
        other = seen.setdefault(path.stem.lower(), path)
        if other != path:
            raise UserError(f"{other} and {path} both define {path.stem!r}: rename or remove one")
    return files


def read_toml(config: Config, path: Path, model: type[Model]) -> tuple[Path, Model]:
    """A workspace file read and validated as MODEL; errors name the file as the user sees it."""
    shown = path.relative_to(config.workspace) if path.is_relative_to(config.workspace) else path
    try:
        return shown, model.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{shown}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{shown}: not UTF-8 text; save it as UTF-8") from None
    except ValidationError as exc:
        raise UserError(format_validation_error(shown, exc)) from None


def read_segment(config: Config, path: Path) -> Segment:
    """One segment file, its rule compiled against the extract's columns."""
    shown, spec = read_toml(config, path, _SegmentFile)
    rule = compile_rule(spec.where, config.extract.column_types(), source=f"{shown}: where")
    return Segment(path.stem, path, spec.title, spec.description, rule)


def load_each(
    config: Config, folder: str, read: Callable[[Config, Path], Item]
) -> tuple[list[Item], list[UserError]]:
    """Every file of FOLDER that reads, and the problems of those that do not: all at once."""
    loaded, problems = [], []
    for path in discover(config.workspace / folder, ".toml"):
        try:
            loaded.append(read(config, path))
        except UserError as exc:
            problems.append(exc)
    return loaded, problems


def load_segments(config: Config) -> tuple[list[Segment], list[UserError]]:
    """Every segment that loads, and the problems of those that do not."""
    return load_each(config, "segments", read_segment)


def find_segment(config: Config, name: str) -> Segment:
    paths = {path.stem: path for path in discover(config.workspace / "segments", ".toml")}
    if name not in paths:
        close = difflib.get_close_matches(name, list(paths), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UserError(
            f"no segment {name!r} in segments/.{hint} Segments: {', '.join(paths) or 'none yet'}."
        )
    return read_segment(config, paths[name])
