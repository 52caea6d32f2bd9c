"""Every segment's member count in the latest loaded month and the month before, as
`engine segments` counts them; kept until an extract or a segment file changes, since loading
two months of snapshots takes a while."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import sqlalchemy as sa

from outbound import workspace
from outbound.config import Config
from outbound.extract import snapshots
from outbound.plan import segments


@dataclass(frozen=True)
class SegmentCount:
    name: str
    title: str
    rule: str
    count: int
    previous: int | None  # None when the month before is not loaded

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.count - self.previous


@dataclass(frozen=True)
class Counts:
    month: str
    previous_month: str | None
    segments: list[SegmentCount]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of(self, name: str) -> SegmentCount | None:
        return next((s for s in self.segments if s.name == name), None)


Stamp = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, int], ...]]
_cache: dict[tuple[str, str], tuple[Stamp, Counts]] = {}
_lock = threading.Lock()


def counts(config: Config, engine: sa.Engine) -> Counts:
    """The counts, computed again only when an import or a file of segments/ changed."""
    place = (str(config.workspace), engine.url.render_as_string(hide_password=True))
    stamp = _stamp(config, engine)
    with _lock:
        cached = _cache.get(place)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    fresh = _count(config, engine)
    with _lock:
        _cache[place] = (stamp, fresh)
    return fresh


def _stamp(config: Config, engine: sa.Engine) -> Stamp:
    imports = tuple(
        sorted((e.month, e.sha256) for e in snapshots.history(engine) if e.replaced_at is None)
    )
    folder = config.workspace / "segments"
    files = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.toml")))
    return imports, files


def _count(config: Config, engine: sa.Engine) -> Counts:
    loaded, problems = workspace.load_segments(config)
    now = segments.select(config, engine, None, loaded, count_only=True)
    before = snapshots.previous_month(now.month)
    previous = None
    if before in snapshots.loaded_months(engine):
        previous = segments.select(config, engine, before, loaded, count_only=True)
    found = [
        SegmentCount(
            segment.name,
            segment.title,
            segment.rule.text,
            now.counts[segment.name],
            previous.counts[segment.name] if previous else None,
        )
        for segment in loaded
    ]
    return Counts(
        now.month,
        before if previous else None,
        found,
        [str(problem) for problem in problems],
        now.warnings,
    )
