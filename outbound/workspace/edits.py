"""Changes the web makes to the workspace's files: a checked rule saved as a segment, a campaign
paused or resumed. Each file is written whole beside its place and renamed into it, so that a
daily run reading the folder sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Collection
from pathlib import Path

from outbound.config import Config
from outbound.errors import UserError
from outbound.rules import compile_rule
from outbound.rules.grants import check_grant
from outbound.workspace import Segment, discover, read_segment
from outbound.workspace.campaigns import Campaign, read_campaign

SEGMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TABLE = re.compile(r"^\s*\[")
_PAUSED = re.compile(r"^\s*paused\s*=")


class SegmentExists(UserError):
    """A segment of that name is in segments/ already; saving again must say to replace it."""


def save_segment(
    config: Config,
    name: str,
    where: str,
    title: str = "",
    *,
    replace: bool = False,
    hidden: Collection[str],
) -> Segment:
    """Write segments/NAME.toml (title and where, as the other segment files) for the rule
    WHERE, which must compile and read no column of HIDDEN (the saver's role may not select
    lines by them: the segment's count would show); an existing NAME is kept unless REPLACE."""
    if not SEGMENT_NAME.match(name):
        raise UserError(
            f"segment name {name!r}: use lowercase letters, digits and _, starting with a "
            "letter (e.g. lapsed_users); it becomes the file name and campaigns name it",
            "segment_name",
            name=name,
        )
    source = f"segments/{name}.toml: where"
    check_grant(compile_rule(where, config.extract.column_types(), source=source), hidden, source)
    folder = config.workspace / "segments"
    existing = {path.stem.lower(): path for path in discover(folder, ".toml")}
    if name in existing and not replace:
        raise SegmentExists(
            f"segments/{existing[name].name} exists already; confirm to replace it, "
            "or choose another name",
            "segment_exists",
            name=name,
        )
    lines = [f"title = {_string(title.strip())}", f"where = {_string(where.strip())}"]
    target = existing.get(name, folder / f"{name}.toml")
    folder.mkdir(parents=True, exist_ok=True)
    _write(target, "\n".join(lines) + "\n", replace=replace)
    return read_segment(config, target)


def set_paused(config: Config, campaign: Campaign, paused: bool) -> Campaign:
    """CAMPAIGN's file with `paused = true` among its top-level keys (or without the key, to
    resume): the rest of the file, comments and all, as it was."""
    text = campaign.path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines) if _TABLE.match(line)), len(lines))
    head = [line for line in lines[:end] if not _PAUSED.match(line)]
    at = len(head)
    while at and not head[at - 1].strip():  # after the last key, before the blank lines
        at -= 1
    if at and not head[at - 1].endswith("\n"):
        head[at - 1] += "\n"
    if paused:
        head.insert(at, "paused = true\n")
    edited = "".join(head + lines[end:])
    before, after = tomllib.loads(text), tomllib.loads(edited)
    before.pop("paused", None)
    if after.pop("paused", False) != paused or after != before:
        raise UserError(
            f"campaigns/{campaign.path.name}: could not set paused by itself; "
            f"write paused = {'true' if paused else 'false'} at its top by hand",
            "pause_not_written",
            campaign=campaign.spec.title or campaign.name,
        )
    _write(campaign.path, edited, replace=True)
    return read_campaign(config, campaign.path)


def _string(text: str) -> str:
    """TEXT as a TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _write(target: Path, text: str, *, replace: bool) -> None:
    """TEXT into TARGET through a hidden file beside it (which discovery skips); without
    REPLACE, an existing TARGET is refused even when it appeared a moment ago."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)
            except FileExistsError:
                raise SegmentExists(
                    f"{target.parent.name}/{target.name} exists already; confirm to replace it",
                    "segment_exists",
                    name=target.stem,
                ) from None
    finally:
        temporary.unlink(missing_ok=True)
