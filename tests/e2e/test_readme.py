"""The README's first commands, run as a new user runs them (`make test` is what CI runs)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "data",
    "bench",
    "tests",
    "*.egg-info",
    ".*_cache",
    ".hypothesis",
    "__pycache__",
)


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None, "README.md has no sh block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines()]


def test_the_readme_opens_with_make_run_and_make_test() -> None:
    assert readme_commands() == ["make run", "make test"]


def test_make_run_imports_the_sample_runs_the_day_judges_a_worked_week_and_reruns_unchanged(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "checkout"
    # copy2 keeps pyproject.toml older than the shared .venv's stamp: make does not reinstall.
    shutil.copytree(ROOT, checkout, ignore=NOT_COPIED, copy_function=shutil.copy2)
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ENGINE_")}

    def make_run() -> str:
        done = subprocess.run(
            ["make", "run"], cwd=checkout, env=environ, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = make_run()
    assert (checkout / "data" / "2026-09.csv").is_file()
    assert (checkout / "var" / "engine.db").is_file()
    rows = [line.strip("│ ").split("│") for line in first.splitlines() if line.startswith("│")]
    names = {path.stem for path in (checkout / "segments").glob("*.toml")}
    counts = {cells[0].strip(): int(cells[-1]) for cells in rows if cells[0].strip() in names}
    assert set(counts) == names
    assert all(count > 0 for count in counts.values()), first
    assert "rejected" in first
    assert "run of 2026-11-02" in first
    assert "A001: " in first and "A002: " in first
    assert "Progress per campaign, 2026-11-02" in first
    assert "Progress per agent, 2026-11-02" in first
    assert "Targets, 2026-11-02" in first
    assert (checkout / "var" / "周报-2026-W45.html").is_file()
    assert "2026-11-08: ran on the 2026-10 extract" in first
    assert (checkout / "data" / "2026-11.csv").is_file()
    assert "campaigns of 2026-10 judged on 2026-11" in first

    again = make_run()
    assert again.count("already imported") == 3
    assert "2026-11-02 already ran" in again
    assert again.count("outcomes none due; 0 messages sent") == 7
