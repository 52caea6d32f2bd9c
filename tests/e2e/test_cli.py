"""The command line as a user runs it: exit codes, stdout documents and stderr sentences."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from outbound.cli import main
from tests.extracts import OCTOBER, write_csv

ROOT = Path(__file__).resolve().parent.parent.parent
SEPTEMBER = [
    [*row[:6], spend, *row[7:]]
    for row, spend in zip(OCTOBER, ["10.00", "130.00", "80.00", "0", "0", "300.00"], strict=True)
]


def engine(capsys: pytest.CaptureFixture[str], workspace: Path, *args: str) -> tuple[int, str, str]:
    try:
        main(["--workspace", str(workspace), *args])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def loaded(workspace: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    september = write_csv(workspace / "2026-09.csv", SEPTEMBER)
    october = write_csv(workspace / "2026-10.csv", OCTOBER, encoding="utf-8-sig")
    assert engine(capsys, workspace, "import", str(september), "--month", "2026-09")[0] == 0
    assert engine(capsys, workspace, "import", str(october), "--month", "2026-10")[0] == 0
    return workspace


def test_import_prints_rows_read_loaded_and_rejected(workspace: Path, capsys) -> None:
    path = write_csv(workspace / "x.csv", [*OCTOBER, ["QY9", "123", *OCTOBER[0][2:]]])
    code, out, err = engine(capsys, workspace, "import", str(path), "--month", "2026-10")
    assert code == 0, err
    assert "imported" in out and "(gbk)" in out
    assert "rows read                 7" in out
    assert "rows loaded               6" in out
    assert "rows rejected             1" in out and ".rejects.csv" in out
    code, out, _ = engine(capsys, workspace, "import", str(path), "--month", "2026-10")
    assert code == 0 and "nothing changed" in out


def test_segments_counts_every_segment_of_the_latest_month(loaded: Path, capsys) -> None:
    code, out, err = engine(capsys, loaded, "segments", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["month"] == "2026-10"
    counts = {s["segment"]: s["count"] for s in document["segments"]}
    # zero usage: active, no calls, installed 3+ months before October's end: QY1 and QY3.
    # high spend with caller ID: QY2 (128.50) and QY6 (210.00).
    # spend down 30% on September: QY1 10 -> 0 yes; QY2 130 -> 128.5 no; QY3 80 -> 35 yes;
    # QY4 is suspended; QY6 300 -> 210 yes (exactly 0.7).
    assert counts == {"high_spend": 2, "spend_down": 3, "zero_usage": 2}


def test_segments_of_a_month_without_its_previous_month_warns_about_prev(
    loaded: Path, capsys
) -> None:
    code, out, err = engine(capsys, loaded, "segments", "--month", "2026-09", "--format", "csv")
    assert code == 0
    assert "no extract is loaded for 2026-08" in err and "spend_down" in err
    rows = pd.read_csv(io.StringIO(out))
    assert rows.set_index("segment")["count"].to_dict() == {
        "high_spend": 2,
        "spend_down": 0,
        "zero_usage": 2,
    }


def test_preview_json_has_segment_month_count_and_rows(loaded: Path, capsys) -> None:
    code, out, err = engine(
        capsys, loaded, "preview", "spend_down", "--format", "json", "--limit", "1"
    )
    assert code == 0, err
    document = json.loads(out)
    assert {k: document[k] for k in ("segment", "month", "count", "of")} == {
        "segment": "spend_down",
        "month": "2026-10",
        "count": 3,
        "of": 6,
    }
    (row,) = document["rows"]
    assert row["line_id"] == "QY0000000001" and row["customer_name"] == "张伟"
    assert row["install_date"] == "2019-03-15"
    assert row["prev.monthly_spend"] == 10.0


def test_preview_table_shows_chinese_text(loaded: Path, capsys) -> None:
    code, out, _ = engine(capsys, loaded, "preview", "zero_usage")
    assert code == 0
    assert out.startswith("zero_usage: 2 of 6 lines in 2026-10 — 零次户")
    assert "张伟" in out and "李娜" in out and "王芳" not in out


def test_preview_writes_an_xlsx_file(loaded: Path, capsys, tmp_path: Path) -> None:
    target = tmp_path / "zero.xlsx"
    code, _, err = engine(capsys, loaded, "preview", "zero_usage", "--output", str(target))
    assert code == 0, err
    assert pd.read_excel(target, engine="calamine")["customer_name"].tolist() == ["张伟", "李娜"]


def test_an_unknown_segment_is_an_error_with_a_suggestion_and_no_traceback(
    loaded: Path, capsys
) -> None:
    code, out, err = engine(capsys, loaded, "preview", "zero_usge")
    assert code == 1 and out == ""
    assert err.startswith("error: no segment 'zero_usge' in segments/. Did you mean 'zero_usage'?")
    assert "Traceback" not in err


def test_segments_before_any_import_says_how_to_import(workspace: Path, capsys) -> None:
    code, _, err = engine(capsys, workspace, "segments")
    assert code == 1
    assert "engine import FILE --month YYYY-MM" in err


def test_check_reports_every_problem_of_a_broken_workspace_at_once(workspace: Path, capsys) -> None:
    (workspace / "segments" / "typo.toml").write_text(
        "where = \"status == 'active' and calls_3d == 0\"\n", encoding="utf-8"
    )
    (workspace / "segments" / "extra.toml").write_text(
        'where = "caller_id"\nowner = "张三"\n', encoding="utf-8"
    )
    (workspace / "segments" / "broken.toml").write_text('where = "caller_id\n', encoding="utf-8")
    (workspace / "segments" / ".#zero_usage.toml").write_text("junk", encoding="utf-8")
    code, out, err = engine(capsys, workspace, "check")
    assert code == 1
    assert "segments/: 3 ok, 3 with problems" in out
    assert "segments/typo.toml: where: unknown column 'calls_3d'" in err
    assert "calls_30d" in err
    assert "segments/extra.toml" in err and "owner: unknown key" in err
    assert "segments/broken.toml: not valid TOML" in err


def test_check_of_a_good_workspace_passes(workspace: Path, capsys) -> None:
    code, out, _ = engine(capsys, workspace, "check")
    assert code == 0
    assert "segments/: 3 ok, 0 with problems" in out


def test_help_loads_no_heavy_library_and_check_none_of_the_web_or_the_providers(
    workspace: Path,
) -> None:
    probe = (
        "import sys\nfrom outbound.cli import main\n"
        "def loaded():\n"
        "    heavy = ('pandas', 'sqlalchemy', 'fastapi', 'matplotlib', 'argon2', 'twilio')\n"
        "    return ' '.join(sorted(m for m in heavy if m in sys.modules))\n"
        "for args in (['--help'], ['--workspace', sys.argv[1], 'check']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "    print(loaded(), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(workspace)], capture_output=True, text=True, check=True
    )
    assert "Commands:" in result.stdout and "segments/: 3 ok" in result.stdout
    # check reads the imports' catalogue (stale months) in the database, nothing more.
    assert result.stderr.splitlines() == ["", "pandas sqlalchemy"]


@pytest.mark.parametrize("store", ["var", "shared store"])
def test_a_temporary_file_of_a_killed_import_is_removed_by_the_next_command(
    workspace: Path, capsys, store: str
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    if store != "var":  # a store of its own, which every host of the center names
        with (workspace / "config.toml").open("a", encoding="utf-8") as file:
            file.write(f'\n[storage]\nurl = "{workspace.parent / store}"\n')
    folder = workspace.parent / store / "snapshots" / "2026-10" / "0123456789abcdef-12345678"
    if store == "var":
        folder = workspace / "var" / "snapshots" / "2026-10" / "0123456789abcdef-12345678"
    folder.mkdir(parents=True)
    dead = folder / f".part-003.parquet.{gone.stdout.strip()}.tmp"
    dead.write_bytes(b"\0" * 4096)
    alive = folder / f".part-004.parquet.{os.getpid()}.tmp"  # a writer still at work
    alive.write_bytes(b"\0" * 4096)
    code, _, err = engine(capsys, workspace, "imports")
    assert code == 0, err
    assert not dead.exists() and alive.exists()
