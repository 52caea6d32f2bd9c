"""Script against script: a campaign whose lines got two script variants is judged A against B
directly (the difference of their success rates, its 95% interval and p-value), each also
against the holdout as the month report's script breakdown judges it, with the median handling
time of each beside."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.results import handling, verdict
from outbound.results.lift import Rate, two_proportion_p, wilson
from outbound.store.orders import ORDERS
from outbound.workspace import find_segment
from outbound.workspace.campaigns import Campaign

# Below this p-value the two variants are told apart.
ALPHA = 0.05
# What the comparison says, by key: the reports say them in their language.
VERDICTS = {
    "a_better": "{a} succeeds more often than {b}",
    "b_better": "{b} succeeds more often than {a}",
    "no_difference": "no difference between {a} and {b} can be told at 95%",
}


@dataclass(frozen=True)
class Comparison:
    """A's success rate against B's: the DIFFERENCE (A − B, rate points) with its 95% interval
    (LOW, HIGH), the two-sided P_VALUE of the pooled two-proportion z-test, and the VERDICT key."""

    difference: float
    low: float
    high: float
    p_value: float
    verdict: str


def compare(a: Rate, b: Rate) -> Comparison:
    """A against B (each with lines). The interval is Newcombe's hybrid score interval, built
    from each rate's Wilson interval: unlike the plain normal one it stays within −1…1 and keeps
    its coverage with few successes. The verdict follows the z-test."""
    if not a.total or not b.total:
        raise ValueError("both variants need lines")
    p1, p2 = a.successes / a.total, b.successes / b.total
    low1, high1 = wilson(a.successes, a.total)
    low2, high2 = wilson(b.successes, b.total)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    p_value = two_proportion_p(a.successes, a.total, b.successes, b.total)
    said = "no_difference" if p_value >= ALPHA else "a_better" if difference > 0 else "b_better"
    return Comparison(difference, low, high, p_value, said)


def versus(
    config: Config, engine: sa.Engine, campaigns: list[Campaign], month: str
) -> pd.DataFrame:
    """One row per campaign of CAMPAIGNS with a success rule whose lines of MONTH got two
    script variants: A and B (script file names, in the campaign's order; the versions of an
    edited variant count as that variant), each one's lines, successes and rate, A − B with its
    interval and p-value, each one's lift over the holdout with its p-value, each one's median
    handling time (seconds, None when no call was timed), and the verdict key (VERDICTS)."""
    reached = {code for code, d in config.dispositions.items() if d.category == "reached"}
    rows = []
    for campaign in campaigns:
        if not campaign.spec.success:
            continue
        with engine.connect() as connection:
            variants = _variants(connection, campaign, month)
        if len(variants) != 2:
            continue
        segment = find_segment(config, campaign.spec.segment)
        judged = verdict.judge(config, engine, campaign, segment, month, reached)
        lines = judged.lines.assign(script=judged.lines["script"].map(_variant))
        each = verdict.lift_table(lines, "script").set_index("value")
        with engine.connect() as connection:
            timed = handling.of_month(connection, config, month, campaign.name)
        medians = timed["seconds"].groupby(timed["script_version"].map(_variant)).median()
        a, b = variants
        rows.append(_row(campaign.name, a, b, each, medians))
    return pd.DataFrame(rows, columns=COLUMNS)


COLUMNS = [
    "campaign",
    "a",
    "b",
    "a_lines",
    "a_success",
    "a_rate",
    "b_lines",
    "b_success",
    "b_rate",
    "difference",
    "low",
    "high",
    "p_value",
    "holdout_rate",
    "a_lift",
    "a_lift_p_value",
    "b_lift",
    "b_lift_p_value",
    "a_median_seconds",
    "b_median_seconds",
    "verdict",
]


def _row(
    campaign: str, a: str, b: str, each: pd.DataFrame, medians: pd.Series
) -> dict[str, object]:
    rate_a = Rate(int(each.at[a, "assigned_success"]), int(each.at[a, "assigned"]))
    rate_b = Rate(int(each.at[b, "assigned_success"]), int(each.at[b, "assigned"]))
    found = compare(rate_a, rate_b)
    return {
        "campaign": campaign,
        "a": a,
        "b": b,
        "a_lines": rate_a.total,
        "a_success": rate_a.successes,
        "a_rate": rate_a.rate,
        "b_lines": rate_b.total,
        "b_success": rate_b.successes,
        "b_rate": rate_b.rate,
        "difference": found.difference,
        "low": found.low,
        "high": found.high,
        "p_value": found.p_value,
        "holdout_rate": each.at[a, "holdout_rate"],
        "a_lift": each.at[a, "lift"],
        "a_lift_p_value": each.at[a, "p_value"],
        "b_lift": each.at[b, "lift"],
        "b_lift_p_value": each.at[b, "p_value"],
        "a_median_seconds": _seconds(medians.get(a)),
        "b_median_seconds": _seconds(medians.get(b)),
        "verdict": found.verdict,
    }


def _variants(connection: sa.Connection, campaign: Campaign, month: str) -> list[str]:
    """The script variants CAMPAIGN's orders of MONTH got, in the campaign's order (one no
    longer in the campaign's file after it)."""
    versions = connection.scalars(
        sa.select(ORDERS.c.script_version)
        .where(
            ORDERS.c.campaign == campaign.name,
            ORDERS.c.month == month,
            ORDERS.c.channel != "followup",
            ORDERS.c.script_version.is_not(None),
        )
        .distinct()
    )
    listed = campaign.spec.scripts
    names = {version.split("@", 1)[0] for version in versions}
    return sorted(
        names, key=lambda name: (listed.index(name) if name in listed else len(listed), name)
    )


def _variant(version: str | None) -> str | None:
    """The script file of a version (upsell_call.j2@1a2b3c4d is upsell_call.j2)."""
    return version.split("@", 1)[0] if version else None


def _seconds(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 1)
