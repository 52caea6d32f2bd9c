"""The sample's month: agents work October's campaigns over days of November, the generator
writes November with the effects it planted, and the month report finds them: a lift where
one was planted, none where the planted effect is zero."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outbound.results.lift import MIN_HOLDOUT
from tests.e2e.conftest import Center

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "sample_month"
PLANTED = ("zero_usage_wakeup", "jiajia_upsell")
PLANTED_ZERO = "spend_down_sms"
WORK = ("sample", "work", "--from", "2026-11-02", "--through", "2026-11-06")


@pytest.fixture
def center(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Center:
    """The sample workspace's planted campaigns with the sample's two months and roster."""
    folder = tmp_path / "center"
    shutil.copytree(FIXTURE, folder)
    monkeypatch.setenv("ENGINE_DATABASE_URL", database_url)
    center = Center(folder, capsys)
    center.ok("sample", "--out", "data")
    center.ok("import", str(folder / "data" / "2026-09.csv"), "--month", "2026-09")
    center.ok("import", str(folder / "data" / "2026-10.parquet"), "--month", "2026-10")
    center.ok("agents", "import", str(folder / "data" / "agents.csv"))
    return center


def test_the_report_finds_the_planted_lifts_and_none_where_zero_was_planted(
    center: Center,
) -> None:
    worked = center.ok(*WORK)
    assert worked.count(" ran on the 2026-10 extract") == 5
    november = center.folder / "data" / "2026-11.csv"
    written = november.read_bytes()
    center.ok("import", str(november), "--month", "2026-11")

    report = center.json("report", "--month", "2026-10")
    rows = {row["campaign"]: row for row in report["lift"]}
    assert set(rows) == {*PLANTED, PLANTED_ZERO}
    for name in PLANTED:
        row = rows[name]
        assert row["warning"] is None and row["holdout"] >= MIN_HOLDOUT, row
        assert row["lift"] > 0.05 and row["p_value"] < 0.05, row
        assert row["reached_rate"] > row["assigned_rate"] > row["holdout_high"], row
    zero = rows[PLANTED_ZERO]
    assert zero["warning"] is None and zero["holdout"] >= MIN_HOLDOUT, zero
    assert zero["assigned"] > 400 and zero["p_value"] > 0.05, zero  # its SMS reach mobiles only
    assert zero["holdout_low"] <= zero["assigned_rate"] <= zero["holdout_high"], zero

    (scores,) = report["scores"]
    assert (scores["campaign"], scores["scale"]) == ("zero_usage_wakeup", "nps")
    assert 0.4 < scores["replies"] / scores["asked"] < 0.7, scores  # about half answer
    assert 0 < scores["unparsed"] < scores["replies"] and scores["nps"] is not None, scores

    again = center.ok(*WORK)
    assert again.count(" had run on the 2026-10 extract; outcomes none due; 0 messages") == 5
    assert november.read_bytes() == written
    assert center.json("report", "--month", "2026-10")["scores"] == [scores]  # answered once
