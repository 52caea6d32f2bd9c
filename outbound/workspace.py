"""The user's workspace files: discovery of segments/ and their loading."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from outbound.config import Config, format_validation_error
from outbound.errors import UserError
from outbound.rules import Rule, compile_rule


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


def read_segment(config: Config, path: Path) -> Segment:
    """One segment file, its rule compiled against the extract's columns."""
    shown = path.relative_to(config.workspace) if path.is_relative_to(config.workspace) else path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = _SegmentFile.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{shown}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{shown}: not UTF-8 text; save it as UTF-8") from None
    except ValidationError as exc:
        raise UserError(format_validation_error(shown, exc)) from None
    rule = compile_rule(spec.where, config.extract.column_types(), source=f"{shown}: where")
    return Segment(path.stem, path, spec.title, spec.description, rule)


def load_segments(config: Config) -> tuple[list[Segment], list[UserError]]:
    """Every segment that loads, and the problems of those that do not."""
    segments, problems = [], []
    for path in discover(config.workspace / "segments", ".toml"):
        try:
            segments.append(read_segment(config, path))
        except UserError as exc:
            problems.append(exc)
    return segments, problems


def find_segment(config: Config, name: str) -> Segment:
    paths = {path.stem: path for path in discover(config.workspace / "segments", ".toml")}
    if name not in paths:
        close = difflib.get_close_matches(name, list(paths), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UserError(
            f"no segment {name!r} in segments/.{hint} Segments: {', '.join(paths) or 'none yet'}."
        )
    return read_segment(config, paths[name])
