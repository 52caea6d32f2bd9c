"""Work orders' texts: each rendered from its campaign's script (or the line's variant of it)
for the customer, their values of the month before and the agent who holds the order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from outbound.config import LINE_ID, Config
from outbound.contact import policy
from outbound.extract import snapshots
from outbound.workspace.campaigns import Campaign
from outbound.workspace.render import Scripts


@dataclass(frozen=True)
class Texts:
    """Each row's rendered text and the version of the script it came from (name@digest)."""

    texts: list[str]
    versions: list[str]


def render(
    config: Config,
    scripts: Scripts,
    campaign: Campaign,
    rows: pd.DataFrame,
    previous: pd.DataFrame | None,
    people: pd.DataFrame,
) -> Texts:
    """Each row's text from the campaign's script (or the line's variant of it): the
    customer's columns, last month's (from PREVIOUS), the agent's (PEOPLE, a row each) and
    the campaign's."""
    columns = [c for c in rows.columns if c in config.extract.column_types()]
    customers = _plain(rows[columns])
    if previous is not None:
        before = previous[previous[LINE_ID].isin(rows[LINE_ID])]
        before = before.drop_duplicates(LINE_ID).set_index(LINE_ID)
        before = before.reindex(rows[LINE_ID].to_numpy()).reset_index()
        earlier = _plain(before)
    else:
        earlier = [dict.fromkeys(columns) for _ in range(len(rows))]
    staff = people[["agent_id", "name", "team"]].to_dict("records")
    about = {"name": campaign.name, "title": campaign.spec.title, "channel": campaign.spec.channel}
    contexts = [
        {"customer": customer, "prev": prev, "agent": agent, "campaign": about}
        for customer, prev, agent in zip(customers, earlier, staff, strict=True)
    ]
    names = campaign.spec.scripts
    variants = policy.variant(rows[LINE_ID].astype(str), campaign.name, len(names))
    texts = [""] * len(rows)
    for index, name in enumerate(names):
        chosen = np.flatnonzero(variants == index)
        rendered = scripts.render_many(name, (contexts[i] for i in chosen))
        for position, text in zip(chosen, rendered, strict=True):
            texts[position] = text
    versions = [scripts.version(name) for name in names]
    return Texts(texts, [versions[variant] for variant in variants])


def for_agent(
    config: Config,
    engine: sa.Engine,
    campaign: Campaign,
    order: dict[str, Any],
    agent: dict[str, Any],
) -> Texts | None:
    """ORDER's text rendered again for AGENT (agent_id, name, team), from the extract of the
    order's month; None when that month no longer holds the line."""
    month = order["month"]
    found = snapshots.load_lines(config, engine, month, [order["line_id"]])
    if found is None or found.empty:
        return None
    previous = snapshots.load_lines(
        config, engine, snapshots.previous_month(month), [order["line_id"]]
    )
    scripts = Scripts(config.workspace / "scripts")
    return render(config, scripts, campaign, found.head(1), previous, pd.DataFrame([agent]))


def _plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, None for missing ones."""
    return pa.Table.from_pandas(frame, preserve_index=False).to_pylist()
