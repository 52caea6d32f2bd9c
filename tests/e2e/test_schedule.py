"""The scheduled daily run against the call center: two processes on one database, each with its
own (fake) clock inside the same date, make one run; the next date makes the next."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Center

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = (
    "import datetime as dt, sys\n"
    "from zoneinfo import ZoneInfo\n"
    "from outbound.schedule import jobs\n"
    "now = dt.datetime.fromisoformat(sys.argv[2]).replace(tzinfo=ZoneInfo('Asia/Shanghai'))\n"
    "print(jobs.daily_run(sys.argv[1], now))\n"
)


def run_together(center: Center, *moments: str) -> list[str]:
    started = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(center.folder), moment],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for moment in moments
    ]
    answers = []
    for process in started:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        answers.append(out.strip())
    return sorted(answers)


def test_two_schedulers_with_their_own_clocks_make_one_daily_run_per_date(center: Center) -> None:
    assert run_together(center, "2026-11-02T07:30:00", "2026-11-02T07:30:07") == [
        "already",
        "done",
    ]
    runs = center.json("jobs")["runs"]
    assert [(r["job"], r["slot"], r["status"]) for r in runs] == [
        ("daily_run", "2026-11-02", "done")
    ]
    created = int(re.search(r"(\d+) work orders", runs[0]["detail"]).group(1))
    assert created > 0
    assert len(center.json("orders")["orders"]) == created  # written once, not twice
    assert run_together(center, "2026-11-03T07:30:00", "2026-11-03T07:31:00") == [
        "already",
        "done",
    ]
    assert [r["slot"] for r in center.json("jobs")["runs"]] == ["2026-11-03", "2026-11-02"]
