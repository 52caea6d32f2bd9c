"""Did it work: the zero-usage campaign of October judged on a November extract built with a
known answer, against statsmodels."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from outbound.contact.policy import in_holdout
from outbound.sample.billing import extract_frame, write_csv
from tests.e2e.conftest import DAY, Center

CAMPAIGN = "zero_usage_wakeup"


def october() -> pd.DataFrame:
    september = extract_frame(600, "2026-09", seed=11)
    return extract_frame(600, "2026-10", seed=11, previous=september)


def judged(center: Center) -> tuple[list[str], list[str], set[str]]:
    """Run the day, give the campaign a success rule and import a November in which every
    second assigned line and every third holdout line made calls again. Returns the assigned
    lines, the holdout lines (those no other campaign worked) and the winners."""
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    with (center.folder / "campaigns" / f"{CAMPAIGN}.toml").open("a", encoding="utf-8") as file:
        file.write('success = "calls_30d > 0"\n')
    orders = center.json("orders")["orders"]
    assigned = sorted({o["line_id"] for o in orders if o["campaign"] == CAMPAIGN})
    members = pd.Series(
        [r["line_id"] for r in center.json("preview", "zero_usage", "--limit", "5000")["rows"]]
    )
    others = {o["line_id"] for o in orders if o["campaign"] != CAMPAIGN}
    holdout = sorted(set(members[in_holdout(members, CAMPAIGN, 10)]) - others)
    winners = set(assigned[::2]) | set(holdout[::3])
    november = october()
    november["通话次数"] = november["用户编号"].isin(winners).astype(int) * 3
    write_csv(november, center.folder / "2026-11.csv", encoding="gbk")
    center.ok("import", str(center.folder / "2026-11.csv"), "--month", "2026-11")
    return assigned, holdout, winners


def test_the_lift_of_a_known_case_is_what_statsmodels_says(center: Center) -> None:
    assigned, holdout, winners = judged(center)
    assert len(assigned) > 5 and len(holdout) > 2
    report = center.json("report", "--month", "2026-10", "--campaign", CAMPAIGN)
    assert (report["month"], report["judged_on"]) == ("2026-10", "2026-11")
    (row,) = report["lift"]
    won = len(set(assigned) & winners), len(set(holdout) & winners)
    assert (row["assigned"], row["assigned_success"]) == (len(assigned), won[0])
    assert (row["holdout"], row["holdout_success"]) == (len(holdout), won[1])
    assert row["assigned_rate"] == pytest.approx(won[0] / len(assigned), abs=1e-4)
    low, high = proportion_confint(won[0], len(assigned), method="wilson")
    assert (row["assigned_low"], row["assigned_high"]) == pytest.approx((low, high), abs=1e-4)
    _, p_value = proportions_ztest([won[0], won[1]], [len(assigned), len(holdout)])
    assert row["p_value"] == pytest.approx(p_value, abs=1e-6)
    assert row["lift"] == pytest.approx(won[0] / len(assigned) - won[1] / len(holdout), abs=1e-4)
    assert "too small" in row["warning"]  # a 10% holdout of a 600-line sample
    members = center.json("preview", "zero_usage", "--month", "2026-10", "--limit", "5000")["rows"]
    held = pd.Series([r["line_id"] for r in members])
    assert row["holdout_contacted"] == in_holdout(held, CAMPAIGN, 10).sum() - len(holdout)
    table = center.ok("report", "--month", "2026-10")
    assert f"{won[0] / len(assigned):.1%} [{low:.1%}–{high:.1%}]" in table


def test_the_lift_per_region_splits_the_holdout_too(center: Center) -> None:
    assigned, holdout, _ = judged(center)
    by_region = center.json(
        "report", "--month", "2026-10", "--campaign", CAMPAIGN, "--by", "region"
    )
    rows = by_region["lift"]
    assert sum(r["assigned"] for r in rows) == len(assigned)
    assert sum(r["holdout"] for r in rows) <= len(holdout)
    assert {r["value"] for r in rows} <= {
        "西峰区",
        "庆城县",
        "环县",
        "华池县",
        "合水县",
        "正宁县",
        "宁县",
        "镇原县",
    }
    by_agent = center.json("report", "--month", "2026-10", "--campaign", CAMPAIGN, "--by", "agent")
    assert all(r["holdout"] == len(holdout) for r in by_agent["lift"])  # each meets the whole


def test_a_month_not_yet_followed_by_an_extract_says_which_to_import(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    with (center.folder / "campaigns" / f"{CAMPAIGN}.toml").open("a", encoding="utf-8") as file:
        file.write('success = "calls_30d > 0"\n')
    message = center.refused("report", "--month", "2026-10", "--campaign", CAMPAIGN)
    assert "2026-11" in message and "engine import FILE --month 2026-11" in message


def test_a_campaign_without_a_success_rule_is_told_how_to_add_one(center: Center) -> None:
    message = center.refused("report", "--month", "2026-10", "--campaign", CAMPAIGN)
    assert "no success rule" in message and 'success = "calls_30d > 0"' in message


def test_a_success_rule_naming_an_unknown_column_is_caught_by_check(center: Center) -> None:
    with (center.folder / "campaigns" / f"{CAMPAIGN}.toml").open("a", encoding="utf-8") as file:
        file.write('success = "calls_3d > 0"\n')
    message = center.refused("check")
    assert "zero_usage_wakeup.toml: success" in message and "calls_30d" in message


def test_the_lift_per_script_version_follows_the_variants_and_an_edit(center: Center) -> None:
    """Two script variants split the lines; editing one between days makes a third version."""
    short = center.folder / "scripts" / "zero_usage_short.j2"
    short.write_text(
        "您好{{ customer.customer_name }}，我是{{ agent.name }}，耽误您一分钟。", "utf-8"
    )
    campaign = center.folder / "campaigns" / f"{CAMPAIGN}.toml"
    variants = 'script = ["zero_usage_call.j2", "zero_usage_short.j2"]'
    campaign.write_text(
        campaign.read_text("utf-8").replace('script = "zero_usage_call.j2"', variants), "utf-8"
    )
    first_short = f"zero_usage_short.j2@{hashlib.sha256(short.read_bytes()).hexdigest()[:8]}"
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    texts = [
        c["script"]
        for agent in ("A01", "A02", "A03", "A04", "A05", "A06")
        for c in center.calls(agent, DAY)
        if c["campaign"] == CAMPAIGN
    ]
    short_ones = sum("耽误您一分钟" in t for t in texts)
    assert 0 < short_ones < len(texts)
    assert short_ones + sum("近30天没有通话" in t for t in texts) == len(texts)
    short.write_text("您好{{ customer.customer_name }}，耽误您半分钟。", "utf-8")
    second_short = f"zero_usage_short.j2@{hashlib.sha256(short.read_bytes()).hexdigest()[:8]}"
    center.ok("run", "--date", "2026-11-03", now="2026-11-03 07:30")
    assigned, holdout, _ = judged(center)
    rows = center.json("report", "--month", "2026-10", "--campaign", CAMPAIGN, "--by", "script")
    versions = {r["value"]: r for r in rows["lift"]}
    assert first_short in versions and second_short in versions
    assert {v.split("@")[0] for v in versions} == {"zero_usage_call.j2", "zero_usage_short.j2"}
    assert sum(r["assigned"] for r in versions.values()) == len(assigned)
    assert all(r["holdout"] == len(holdout) for r in versions.values())
    assert versions[first_short]["assigned"] == short_ones
