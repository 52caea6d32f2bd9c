"""Files a killed process left half-written under var/: a write goes to `.NAME.PID.tmp` and is
renamed into place when whole, so a `.tmp` whose process is gone is never going to be."""

from __future__ import annotations

import os
import re
from pathlib import Path

from outbound.store import locks

TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp$")


def temporary_name(path: Path) -> Path:
    """Where this process writes PATH before renaming it into place."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def sweep(folder: Path | str) -> list[Path]:
    """Remove the temporary files under FOLDER whose writer has died; the ones removed."""
    var = Path(folder)
    if not var.is_dir():
        return []
    removed = []
    for path in var.rglob(".*.tmp"):
        found = TEMPORARY.match(path.name)
        if found and not locks.process_alive(int(found.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
