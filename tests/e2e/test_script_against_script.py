"""Script against script: the zero-usage campaign of October with two script variants, judged
on a November built with known winners, A against B with the handling time of each."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from statsmodels.stats.proportion import proportions_ztest

from outbound.config import load_config
from outbound.orders import calls
from outbound.results import versus
from outbound.store.db import open_database
from outbound.workspace.campaigns import load_campaigns
from tests.e2e.conftest import Center
from tests.e2e.test_results import CAMPAIGN, judged

A, B = "zero_usage_call.j2", "zero_usage_short.j2"


def with_variants(center: Center) -> None:
    (center.folder / "scripts" / B).write_text(
        "您好{{ customer.customer_name }}，我是{{ agent.name }}，耽误您一分钟。", "utf-8"
    )
    campaign = center.folder / "campaigns" / f"{CAMPAIGN}.toml"
    campaign.write_text(
        campaign.read_text("utf-8").replace(f'script = "{A}"', f'script = ["{A}", "{B}"]'),
        "utf-8",
    )
    with (center.folder / "campaigns" / "upsell_sms.toml").open("a", encoding="utf-8") as file:
        file.write("success = \"plan == '家家e'\"\n")  # one script: no comparison


def test_script_a_against_b_counts_each_variants_lines_and_times_by_hand(center: Center) -> None:
    with_variants(center)
    assigned, holdout, winners = judged(center)
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    with engine.connect() as connection:
        orders = connection.execute(
            sa.text(
                "select id, line_id, agent_id, script_version from work_orders "
                "where campaign = :c and month = '2026-10' order by id"
            ),
            {"c": CAMPAIGN},
        ).all()
    variant = {line: version.split("@")[0] for _, line, _, version in orders}
    lines = {name: [line for line in assigned if variant[line] == name] for name in (A, B)}
    won = {name: len(set(lines[name]) & winners) for name in (A, B)}
    assert lines[A] and lines[B] and len(lines[A]) + len(lines[B]) == len(assigned)

    # Handling: two A calls of 60 and 100 s (median 80), one B call of 45 s.
    timed = {A: [60, 100], B: [45]}
    by_variant = {name: [o for o in orders if variant[o.line_id] == name] for name in (A, B)}
    start = dt.datetime(2026, 11, 2, 10, 0, tzinfo=config.tz)
    worked = [
        (order, seconds)
        for name, each in timed.items()
        for order, seconds in zip(by_variant[name], each, strict=False)
    ]
    for number, (order, seconds) in enumerate(worked):
        saved = start + dt.timedelta(minutes=10 * number)
        calls.opened(engine, order.id, order.agent_id, saved - dt.timedelta(seconds=seconds))
        center.ok(
            "outcome",
            str(order.id),
            "--code",
            "no_answer",
            "--agent",
            order.agent_id,
            now=f"{saved:%Y-%m-%dT%H:%M:%S}",
        )
    loaded, _ = load_campaigns(config)
    table = versus.versus(config, engine, loaded, "2026-10")
    engine.dispose()

    (row,) = table.to_dict("records")
    assert (row["campaign"], row["a"], row["b"]) == (CAMPAIGN, A, B)
    assert (row["a_lines"], row["a_success"]) == (len(lines[A]), won[A])
    assert (row["b_lines"], row["b_success"]) == (len(lines[B]), won[B])
    rate_a, rate_b = won[A] / len(lines[A]), won[B] / len(lines[B])
    assert (row["a_rate"], row["b_rate"]) == pytest.approx((rate_a, rate_b))
    assert row["difference"] == pytest.approx(rate_a - rate_b)
    assert row["low"] < row["difference"] < row["high"]
    _, p_value = proportions_ztest([won[A], won[B]], [len(lines[A]), len(lines[B])])
    assert row["p_value"] == pytest.approx(p_value, abs=1e-9)
    held = len(set(holdout) & winners) / len(holdout)
    assert row["holdout_rate"] == pytest.approx(held, abs=1e-4)
    assert row["a_lift"] == pytest.approx(rate_a - held, abs=1e-4)
    assert row["b_lift"] == pytest.approx(rate_b - held, abs=1e-4)
    assert (row["a_median_seconds"], row["b_median_seconds"]) == (80.0, 45.0)
    # Every second assigned line won whatever its script: no difference to tell.
    assert row["verdict"] == "no_difference"


def test_a_campaign_with_one_script_or_no_success_rule_gets_no_comparison(
    center: Center,
) -> None:
    judged(center)
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    loaded, _ = load_campaigns(config)
    table = versus.versus(config, engine, loaded, "2026-10")
    engine.dispose()
    assert table.empty and list(table.columns) == versus.COLUMNS
