"""The supervisor's targets panel (本月目标) and its JSON: the center's measures this month to
date beside the targets of config.toml, a miss flagged 未达标."""

from __future__ import annotations

import re

from tests.web.conftest import DAY, Site


def complaint_of(site: Site, agent: str) -> int:
    calls = site.center.calls(agent, DAY)
    return int(next(c["item"] for c in calls if c["campaign"] == "complaint_callback"))


def target_row(page: str, measure: str, source: str) -> tuple[str, str]:
    """The class and the text of the panel's row of MEASURE from SOURCE."""
    found = re.search(rf'<tr id="target-{measure}-{source}"([^>]*)>(.*?)</tr>', page, re.S)
    assert found, f"no row of {measure} from {source}"
    return found.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2))).strip()


def test_the_panel_flags_satisfaction_below_its_target_as_missed(site: Site) -> None:
    zhaozz = site.login("zhaozz")
    before = zhaozz.page("/supervisor").text
    assert "本月目标" in before
    flag, text = target_row(before, "satisfaction", "calls")
    assert flag == "" and text.startswith("满意度 通话结果 — (共 0) 99.0%")
    for agent, code in (("A01", "satisfied"), ("A02", "unsatisfied")):
        site.center.ok("outcome", str(complaint_of(site, agent)), "--code", code,
                       now=f"{DAY} 10:00")  # fmt: skip
    after = zhaozz.page("/supervisor").text
    flag, text = target_row(after, "satisfaction", "calls")
    assert flag == ' class="miss"'
    assert text == "满意度 通话结果 50.0% (共 2) 99.0% 未达标"
    # Reach has no target in this center: shown, never flagged.
    flag, text = target_row(after, "reach", "calls")
    assert flag == "" and text == "接通率 通话结果 100.0% (共 2) —"


def test_the_targets_api_gives_each_measure_its_target_and_whether_it_was_met(
    site: Site,
) -> None:
    site.center.ok("outcome", str(complaint_of(site, "A01")), "--code", "satisfied",
                   now=f"{DAY} 10:00")  # fmt: skip
    api = site.api("zhaozz")
    answer = api.get(f"{site.url}/api/targets").json()
    assert (answer["first"], answer["last"]) == ("2026-11-01", DAY)
    rows = {(r["measure"], r["source"]): r for r in answer["targets"]}
    assert rows[("satisfaction", "calls")] == {
        "measure": "satisfaction",
        "source": "calls",
        "value": 1.0,
        "base": 1,
        "target": 0.99,
        "met": True,
    }
    assert rows[("satisfaction", "survey")]["met"] is None  # nobody answered a survey yet
    assert rows[("within_deadline", "tickets")]["target"] == 0.95


def test_an_agent_is_refused_the_targets_api(site: Site) -> None:
    assert site.api("wangli").get(f"{site.url}/api/targets").status_code == 403
