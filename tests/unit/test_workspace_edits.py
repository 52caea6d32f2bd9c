"""The web's changes to workspace files: a checked rule saved as a segment file the loader reads,
a refused name or existing file left alone, and a campaign paused and resumed by one key with
the rest of its file as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outbound.config import Config, load_config
from outbound.errors import UserError
from outbound.rules import RuleError
from outbound.workspace import find_segment, load_segments
from outbound.workspace.campaigns import find_campaign, load_campaigns
from outbound.workspace.edits import SegmentExists, save_segment, set_paused

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "daily"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    shutil.copytree(FIXTURE, tmp_path / "w")
    return load_config(tmp_path / "w", environ={})


def folder_of(config: Config, name: str) -> list[str]:
    return sorted(path.name for path in (config.workspace / name).iterdir())


def test_a_checked_rule_is_saved_as_a_segment_file_the_loader_reads(config: Config) -> None:
    where = "status == 'active' and region == \"西峰区\"\n  and calls_30d == 0"
    saved = save_segment(config, "quiet_xifeng", where, " 西峰区零次户 ", hidden=())
    assert saved.path == config.workspace / "segments" / "quiet_xifeng.toml"
    again = find_segment(config, "quiet_xifeng")
    assert (again.title, again.rule.text) == ("西峰区零次户", where.strip())
    assert load_segments(config)[1] == []
    assert saved.path.read_text("utf-8").startswith('title = "西峰区零次户"\nwhere = "status')
    assert not [name for name in folder_of(config, "segments") if name.startswith(".")]


@pytest.mark.parametrize("name", ["", "../high_spend", "High_Spend", "new segment", "a.toml", "_x"])
def test_a_name_that_is_no_safe_file_name_is_refused(config: Config, name: str) -> None:
    before = folder_of(config, "segments")
    with pytest.raises(UserError, match="use lowercase letters, digits and _"):
        save_segment(config, name, "complaints > 0", hidden=())
    assert folder_of(config, "segments") == before


def test_an_existing_segment_is_kept_unless_replacing_is_confirmed(config: Config) -> None:
    path = config.workspace / "segments" / "complaints.toml"
    kept = path.read_text("utf-8")
    with pytest.raises(SegmentExists, match=r"segments/complaints\.toml exists already"):
        save_segment(config, "complaints", "complaints > 2", "多次投诉", hidden=())
    assert path.read_text("utf-8") == kept
    save_segment(config, "complaints", "complaints > 2", "多次投诉", replace=True, hidden=())
    assert find_segment(config, "complaints").rule.text == "complaints > 2"


def test_a_rule_that_does_not_compile_writes_nothing(config: Config) -> None:
    with pytest.raises(RuleError, match=r"segments/lapsed\.toml: where: unknown column 'calls_3d'"):
        save_segment(config, "lapsed", "calls_3d == 0", hidden=())
    assert "lapsed.toml" not in folder_of(config, "segments")


def test_pausing_adds_one_top_level_key_and_resuming_takes_it_away(config: Config) -> None:
    campaign = find_campaign(load_campaigns(config)[0], "complaint_callback")
    original = campaign.path.read_text("utf-8")
    paused = set_paused(config, campaign, True)
    assert paused.spec.paused and not paused.active_on(paused.spec.start)
    text = campaign.path.read_text("utf-8")
    assert text.replace("paused = true\n", "") == original
    assert "# owed to the customer" in text  # comments kept
    assert set_paused(config, paused, True).path.read_text("utf-8") == text  # once
    resumed = set_paused(config, paused, False)
    assert not resumed.spec.paused and resumed.active_on(resumed.spec.start)
    assert campaign.path.read_text("utf-8") == original


def test_the_key_goes_before_the_first_table_of_a_campaign_file(config: Config) -> None:
    path = config.workspace / "campaigns" / "with_survey.toml"
    path.write_text(
        'segment = "complaints"\nchannel = "call"\nscript = "complaint_call.j2"\n'
        'start = 2026-11-01\nend = 2026-11-30\n\n[survey]\nscale = "nps"\ntext = "打分"\n',
        encoding="utf-8",
    )
    campaign = find_campaign(load_campaigns(config)[0], "with_survey")
    paused = set_paused(config, campaign, True)
    assert paused.spec.paused and paused.spec.survey is not None
    assert "end = 2026-11-30\npaused = true\n\n[survey]" in path.read_text("utf-8")
