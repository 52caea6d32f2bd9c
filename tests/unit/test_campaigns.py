from pathlib import Path

import pytest

from outbound.config import load_config
from outbound.errors import UserError
from outbound.workspace.campaigns import find_campaign, load_campaigns, problems_of
from outbound.workspace.render import Scripts

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "daily"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(FIXTURE, tmp_path / "w")
    return tmp_path / "w"


def write(workspace: Path, name: str, text: str) -> None:
    (workspace / "campaigns" / f"{name}.toml").write_text(text, encoding="utf-8")


BASE = """segment = "zero_usage"
channel = "call"
script = "zero_usage_call.j2"
start = 2026-11-01
end = 2026-11-30
"""


def test_campaigns_load_highest_priority_first_with_their_order(workspace: Path) -> None:
    campaigns, problems = load_campaigns(load_config(workspace, environ={}))
    assert problems == []
    assert [c.name for c in campaigns] == ["complaint_callback", "zero_usage_wakeup", "upsell_sms"]
    assert campaigns[1].order == [("monthly_spend", False)]
    assert campaigns[1].spec.agents.teams is None


def test_a_wrong_key_type_or_order_is_reported_with_the_file_and_key(workspace: Path) -> None:
    write(workspace, "broken", BASE + 'per_agent_per_day = "five"\nchanel = "sms"\n')
    write(workspace, "backwards", BASE.replace("end = 2026-11-30", "end = 2026-10-01"))
    write(workspace, "bad_order", BASE + 'order_by = "monthly_spend downwards"\n')
    _, problems = load_campaigns(load_config(workspace, environ={}))
    text = "\n".join(str(p) for p in problems)
    assert "campaigns/broken.toml" in text and "per_agent_per_day" in text
    assert "chanel: unknown key" in text
    assert "end 2026-10-01 is before start 2026-11-01" in text
    assert "write columns with asc or desc" in text
    assert "{" not in text  # a rule about several keys says so, not the whole file as a dict


def test_a_campaign_naming_what_the_workspace_lacks_gets_every_problem(workspace: Path) -> None:
    write(
        workspace,
        "upsell",
        BASE.replace('zero_usage"', 'high_spnd"').replace("zero_usage_call", "upsell_cal")
        + 'order_by = "monthly_spnd desc"\nreasons = "unused"\n',
    )
    config = load_config(workspace, environ={})
    campaigns, _ = load_campaigns(config)
    upsell = find_campaign(campaigns, "upsell")
    problems = problems_of(
        config, upsell, {"high_spend", "zero_usage"}, Scripts(workspace / "scripts")
    )
    text = "\n".join(problems)
    assert "segment 'high_spnd' is not in segments/ (did you mean 'high_spend'?)" in text
    assert (
        "order_by column 'monthly_spnd' is not an extract column (did you mean 'monthly_spend'?)"
        in text
    )
    assert (
        "reasons 'unused' is not a [reasons] set in config.toml (did you mean 'unused_line'?)"
        in text
    )
    assert "upsell_cal.j2" in text


def test_an_unknown_campaign_suggests_the_closest_name(workspace: Path) -> None:
    campaigns, _ = load_campaigns(load_config(workspace, environ={}))
    with pytest.raises(UserError, match="Did you mean 'upsell_sms'"):
        find_campaign(campaigns, "upsel_sms")


def test_a_survey_needs_its_text_and_a_known_scale_named_by_file_and_key(workspace: Path) -> None:
    write(workspace, "no_text", BASE + '[survey]\nscale = "nps"\n')
    write(workspace, "bad_scale", BASE + '[survey]\nscale = "stars"\ntext = "请打分"\n')
    write(workspace, "blank", BASE + '[survey]\nscale = "nps"\ntext = "  "\n')
    _, problems = load_campaigns(load_config(workspace, environ={}))
    text = "\n".join(str(p) for p in problems)
    assert "campaigns/no_text.toml" in text and "survey.text: required key is missing" in text
    assert "campaigns/bad_scale.toml" in text and "survey.scale: got 'stars'" in text
    assert "campaigns/blank.toml" in text and "survey.text" in text


def test_a_survey_is_only_for_a_call_campaign(workspace: Path) -> None:
    sms = BASE.replace('channel = "call"', 'channel = "sms"')
    write(workspace, "texted", sms + '[survey]\nscale = "satisfaction"\ntext = "请回复1-5分"\n')
    config = load_config(workspace, environ={})
    campaigns, problems = load_campaigns(config)
    texted = find_campaign(campaigns, "texted")
    found = problems_of(config, texted, {"zero_usage"}, Scripts(workspace / "scripts"))
    assert problems == []
    assert found == [
        "campaigns/texted.toml: survey: only a call campaign asks for a score after its calls; "
        'remove [survey] or make channel "call"'
    ]


def test_script_variants_are_each_checked_and_must_differ(workspace: Path) -> None:
    variants = 'script = ["zero_usage_call.j2", "zero_usage_short.j2"]'
    write(workspace, "ab", BASE.replace('script = "zero_usage_call.j2"', variants))
    twice = 'script = ["zero_usage_call.j2", "zero_usage_call.j2"]'
    write(workspace, "twice", BASE.replace('script = "zero_usage_call.j2"', twice))
    config = load_config(workspace, environ={})
    campaigns, problems = load_campaigns(config)
    assert "campaigns/twice.toml" in str(problems[0]) and "list of different" in str(problems[0])
    ab = find_campaign(campaigns, "ab")
    assert ab.spec.scripts == ("zero_usage_call.j2", "zero_usage_short.j2")
    found = problems_of(config, ab, {"zero_usage"}, Scripts(workspace / "scripts"))
    assert len(found) == 1 and "zero_usage_short.j2: no such script file" in found[0]
