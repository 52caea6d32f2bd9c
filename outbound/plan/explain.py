"""`engine why`: for one line, each active campaign's verdict for a day and the rule behind it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from outbound.config import LINE_ID, Config
from outbound.contact import policy, suppression
from outbound.errors import UserError
from outbound.plan import segments
from outbound.store import orders
from outbound.store.orders import ORDERS
from outbound.workspace import Segment
from outbound.workspace.campaigns import Campaign


def why(
    config: Config,
    engine: sa.Engine,
    campaigns: list[Campaign],
    chosen: dict[str, Segment],
    line_id: str,
    now: dt.datetime,
) -> tuple[str, pd.DataFrame]:
    """The month read and one row per campaign (highest priority first): verdict and reason."""
    months = segments.load_months(config, engine, None, chosen.values(), every_column=True)
    line = months.current[months.current[LINE_ID] == line_id]
    if line.empty:
        raise UserError(f"line {line_id!r} is not in the {months.month} extract")
    single = segments.Months(months.month, line, months.previous)
    cap = dt.timedelta(days=config.policy.frequency_cap_days)
    with engine.connect() as connection:
        held = orders.frame(
            connection,
            sa.select(ORDERS.c.id, ORDERS.c.campaign, ORDERS.c.channel, ORDERS.c.state)
            .where(ORDERS.c.line_id == line_id, ORDERS.c.month == months.month)
            .order_by(ORDERS.c.id),
        )
        barred = suppression.barred(connection)
        open_lines = orders.open_order_lines(connection)
        contacted = orders.contacted_since(connection, now - cap)
    rows, taken_by = [], None
    for campaign in campaigns:
        own = held[(held["campaign"] == campaign.name) & (held["channel"] != "followup")]
        segment = chosen[campaign.name]
        if len(own):
            first = own.iloc[0]
            verdict, reason = "has an order", f"work order {first['id']} ({first['state']})"
        elif segments.members(segment, single).empty:
            verdict, reason = (
                "not a member",
                f"segment {segment.name}: not ({segment.rule.describe()})",
            )
        else:
            scope = (campaign.spec.channel, campaign.spec.purpose)
            contacts = policy.Contacts(barred.phones(*scope), open_lines, contacted, ())
            _, out = policy.apply(
                line,
                campaign.name,
                campaign.spec.holdout_percent,
                contacts,
                [line_id] if taken_by else [],
                channel=campaign.spec.channel,
            )
            if out.empty:
                verdict, reason = "eligible", "no rule keeps it out"
                taken_by = taken_by or campaign.name
            else:
                rule = out["rule"].iloc[0]
                verdict = f"kept out: {rule}"
                reason = policy.RULES[rule] + (
                    f" ({taken_by})" if rule == "one_campaign_a_day" else ""
                )
        rows.append({"campaign": campaign.name, "verdict": verdict, "why": reason})
    return months.month, pd.DataFrame(rows, columns=["campaign", "verdict", "why"])
