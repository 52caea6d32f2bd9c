"""Did a campaign of month M work? Its lines are judged on month M+1's extract by the campaign's
success rule (prev. meaning month M): the lines it assigned (intent to treat) and reached
against its holdout, the segment's members the policy kept out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from outbound.config import LINE_ID, PHONE, Config
from outbound.contact import policy
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.plan import segments
from outbound.results.lift import Lift, Rate, lift
from outbound.rules import compile_rule
from outbound.store import orders
from outbound.store.orders import EVENTS, ORDERS
from outbound.workspace import Segment, find_segment
from outbound.workspace.campaigns import Campaign

# Breakdowns: a line's own attribute splits the holdout too; what the campaign did to a line
# (its agent, its attempts) has no holdout counterpart, so each part meets the whole holdout.
LINE_ATTRIBUTES = ("region",)
TREATMENT_ATTRIBUTES = ("script", "agent", "attempts")
BREAKDOWNS = ("campaign", *LINE_ATTRIBUTES, *TREATMENT_ATTRIBUTES)


def judged_month(engine: sa.Engine, month: str | None) -> str:
    """MONTH checked, or by default the month before the latest loaded (the latest one has no
    month after it to be judged on yet)."""
    if month:
        return snapshots.parse_month(month)
    return snapshots.previous_month(snapshots.latest_month(engine))


def following_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"


@dataclass(frozen=True)
class Judged:
    """CAMPAIGN's lines of MONTH judged on JUDGED_ON: one row a line, group (assigned or
    holdout), reached, success, region, script, agent and attempts; MEMBERS, the segment's
    size; HOLDOUT_CONTACTED, the holdout lines left out because another campaign worked them."""

    campaign: str
    month: str
    judged_on: str
    lines: pd.DataFrame
    members: int
    holdout_contacted: int = 0

    def funnel(self) -> list[tuple[str, int]]:
        assigned = self.lines[self.lines["group"] == "assigned"]
        return [
            ("segment", self.members),
            ("assigned", len(assigned)),
            ("reached", int(assigned["reached"].sum())),
            ("succeeded", int(assigned["success"].sum())),
        ]


def judge(
    config: Config,
    engine: sa.Engine,
    campaign: Campaign,
    segment: Segment,
    month: str,
    reached_codes: set[str],
) -> Judged:
    """CAMPAIGN's lines of MONTH judged by its success rule on the month after."""
    shown = f"campaigns/{campaign.path.name}"
    if not campaign.spec.success:
        raise UserError(
            f"{shown} has no success rule, so nothing can say whether it worked; add one, "
            'e.g. success = "calls_30d > 0"',
            "no_success_rule",
            campaign=campaign.spec.title or campaign.name,
        )
    success_rule = compile_rule(
        campaign.spec.success, config.extract.column_types(), source=f"{shown}: success"
    )
    after = following_month(month)
    if snapshots.current_import(engine, after) is None:
        raise UserError(
            f"{campaign.name} of {month} is judged on {after}'s extract, which is not loaded; "
            f"import it: engine import FILE --month {after}",
            "judged_month_missing",
            campaign=campaign.spec.title or campaign.name,
            month=month,
            after=after,
        )
    # The success rule selects lines of the month after, its prev.* read from MONTH.
    success = Segment("success", campaign.path.parent, "", "", success_rule)
    winners = set(segments.select(config, engine, after, [success]).of(success)[LINE_ID])
    selected = segments.select(config, engine, month, [segment], every_column=True).of(segment)
    members = selected[[LINE_ID, PHONE]]
    # The holdout holds the lines the campaign would have contacted: an SMS campaign's mobiles.
    held = policy.in_holdout(members[LINE_ID], campaign.name, campaign.spec.holdout_percent)
    could = policy.reachable(pa.array(members[PHONE], pa.string()), campaign.spec.channel)
    holdout = members[held & could][[LINE_ID]]
    with engine.connect() as connection:
        assigned = _assigned(connection, campaign.name, month, reached_codes)
        contacted = orders.lines_in_other_campaigns(connection, campaign.name, month)
    # A holdout line another campaign worked is no control any more: it would measure that
    # campaign's effect against this one's (a lower-priority campaign takes the lines a
    # higher one held out). It is left out and counted.
    touched = holdout[LINE_ID].isin(contacted).to_numpy()
    holdout = holdout[~touched]
    lines = pd.concat(
        [
            assigned.assign(group="assigned"),
            holdout.assign(group="holdout", reached=False, script=None, agent=None, attempts=0),
        ],
        ignore_index=True,
    )
    lines["region"] = lines[LINE_ID].map(_regions(config, engine, month, selected, lines))
    lines["success"] = lines[LINE_ID].isin(winners)
    return Judged(campaign.name, month, after, lines, len(members), int(touched.sum()))


def _regions(
    config: Config, engine: sa.Engine, month: str, members: pd.DataFrame, lines: pd.DataFrame
) -> pd.Series:
    """The region of each of LINES in MONTH, by line id: the members' own, and read for the
    lines assigned when the segment selected them but no longer does."""
    known = members.set_index(LINE_ID)["region"].astype(object)
    others = lines.loc[~lines[LINE_ID].isin(known.index), LINE_ID].astype(str)
    if others.empty:
        return known
    found = snapshots.load_lines(config, engine, month, others)
    assert found is not None, "the month's members were read"
    return pd.concat([known, found.set_index(LINE_ID)["region"].astype(object)])


def month_report(
    config: Config, engine: sa.Engine, campaigns: list[Campaign], month: str, by: str
) -> tuple[pd.DataFrame, list[Judged]]:
    """CAMPAIGNS of MONTH judged, with one lift table for all of them (a campaign column)."""
    reached = {code for code, d in config.dispositions.items() if d.category == "reached"}
    tables, judged = [], []
    for campaign in campaigns:
        segment = find_segment(config, campaign.spec.segment)
        judged.append(judge(config, engine, campaign, segment, month, reached))
        table = lift_table(judged[-1].lines, by)
        table.insert(0, "campaign", campaign.name)
        table["holdout_contacted"] = judged[-1].holdout_contacted
        tables.append(table)
    return pd.concat(tables, ignore_index=True), judged


def with_success(campaigns: list[Campaign]) -> list[Campaign]:
    chosen = [c for c in campaigns if c.spec.success]
    if not chosen:
        raise UserError(
            "no campaign has a success rule; add one to a campaign file, "
            'e.g. success = "calls_30d > 0"',
            "no_success_rules",
        )
    return chosen


def lift_table(lines: pd.DataFrame, by: str = "campaign") -> pd.DataFrame:
    """The lift of the assigned lines over the holdout, for the whole campaign or each value of
    BY (region, script, agent, attempts), as one row each."""
    if by not in BREAKDOWNS:
        raise UserError(
            f"unknown breakdown {by!r}; by: {', '.join(BREAKDOWNS)}", "unknown_breakdown", by=by
        )
    assigned = lines[lines["group"] == "assigned"]
    holdout = lines[lines["group"] == "holdout"]
    if by == "campaign":
        return pd.DataFrame([_row(by, "all", assigned, holdout)])
    rows = []
    for value, part in assigned.groupby(by, dropna=False, sort=True):
        compared = holdout[holdout[by] == value] if by in LINE_ATTRIBUTES else holdout
        rows.append(_row(by, value, part, compared))
    return pd.DataFrame(rows)


def _row(
    by: str, value: object, assigned: pd.DataFrame, holdout: pd.DataFrame
) -> dict[str, object]:
    reached = assigned[assigned["reached"]]
    found = lift(_rate(assigned), _rate(reached), _rate(holdout))
    return {"by": by, "value": value, **_flat(found)}


def _rate(lines: pd.DataFrame) -> Rate:
    return Rate(int(lines["success"].sum()), len(lines))


def _flat(found: Lift) -> dict[str, object]:
    row: dict[str, object] = {}
    groups = (("assigned", found.assigned), ("reached", found.reached), ("holdout", found.holdout))
    for name, rate in groups:
        low, high = rate.interval or (None, None)
        row |= {
            name: rate.total,
            f"{name}_success": rate.successes,
            f"{name}_rate": _round(rate.rate),
            f"{name}_low": _round(low),
            f"{name}_high": _round(high),
        }
    return row | {
        "lift": _round(found.absolute),
        "relative_lift": _round(found.relative),
        "p_value": _round(found.p_value, 6),
        "warning": found.warning,
        "warning_code": found.warning_code,
    }


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _assigned(
    connection: sa.Connection, campaign: str, month: str, reached_codes: set[str]
) -> pd.DataFrame:
    """The lines CAMPAIGN gave work orders in MONTH (follow-ups aside): the version of the
    script each got, who had it, how many attempts, and whether an outcome said the customer
    was reached."""
    mine = sa.and_(
        ORDERS.c.campaign == campaign, ORDERS.c.month == month, ORDERS.c.channel != "followup"
    )
    agent = sa.func.coalesce(ORDERS.c.agent_id, ORDERS.c.owner_id, ORDERS.c.returned_by)
    found = orders.frame(
        connection,
        sa.select(
            ORDERS.c.id,
            ORDERS.c.line_id,
            ORDERS.c.script_version.label("script"),
            agent.label("agent"),
            ORDERS.c.attempts,
        )
        .where(mine)
        .order_by(ORDERS.c.id),
    )
    reached = sa.select(EVENTS.c.order_id).join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
    reached = reached.where(
        mine, EVENTS.c.kind == "outcome", EVENTS.c.code.in_(sorted(reached_codes))
    )
    found["reached"] = found["id"].isin(set(connection.execute(reached).scalars()))
    return found.groupby(LINE_ID, as_index=False).agg(
        script=("script", "last"),
        agent=("agent", "last"),
        attempts=("attempts", "sum"),
        reached=("reached", "any"),
    )


def for_people(table: pd.DataFrame) -> pd.DataFrame:
    """TABLE narrowed for a terminal: each group's rate with its interval, the lift, p."""
    shown = table[["campaign", "value", "assigned", "reached", "holdout"]].copy()
    for group in ("assigned", "reached", "holdout"):
        shown[f"{group} rate"] = [
            _percent(rate, low, high)
            for rate, low, high in zip(
                table[f"{group}_rate"], table[f"{group}_low"], table[f"{group}_high"], strict=True
            )
        ]
    shown["lift"] = table["lift"].map(lambda v: "" if pd.isna(v) else f"{v * 100:+.1f} pts")
    shown["p"] = table["p_value"].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    shown["warning"] = table["warning"].fillna("")
    shown.insert(5, "holdout worked elsewhere", table["holdout_contacted"])
    return shown


def _percent(rate: float | None, low: float | None, high: float | None) -> str:
    if rate is None or pd.isna(rate):
        return ""
    return f"{rate:.1%} [{low:.1%}–{high:.1%}]"
