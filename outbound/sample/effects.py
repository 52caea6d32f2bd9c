"""The sample's next month: the extract after the worked month, continued from it as every
month is, with the campaigns' effects planted on the lines they reached, so that the month
report has a known answer to find (and a campaign planted at zero shows none)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from outbound.config import Config
from outbound.errors import UserError
from outbound.sample.billing import LINE_ID, MONTHS, SEED, extract_frame, write_csv
from outbound.store.orders import EVENTS, ORDERS

WORKED, NEXT = MONTHS[1], "2026-11"
# The next month draws from a seed of its own. A zero effect still shows p < 0.05 once in twenty
# draws, and the sample's own seed is such a draw for spend_down_sms (its holdout's bills happen
# to drift 8 points better, p = 0.04): the sample would teach that an SMS doing nothing did harm.
NEXT_SEED = SEED + 1
JIAJIA = "家家e"


@dataclass(frozen=True)
class Effect:
    """Of the lines CAMPAIGN reached (an agent's reached outcome, or its message sent) that
    would not have succeeded on their own, SHARE do: the reached lines' success rate rises by
    about SHARE × (1 − the holdout's rate). No campaign: every line, as customers do unasked."""

    campaign: str | None
    change: str  # a key of CHANGES
    share: float


EFFECTS = (
    Effect("zero_usage_wakeup", "calls", 0.45),  # a silent line is used again: about +36 points
    Effect("jiajia_upsell", "plan", 0.20),  # takes the 家家e bundle: about +20 points
    Effect("spend_down_sms", "spend", 0.0),  # planted zero: the SMS changes nobody's bill
    Effect(None, "plan", 0.01),  # a few take 家家e at the shop, unasked
)


def write_next_extract(
    config: Config, engine: sa.Engine, folder: Path, seed: int = NEXT_SEED
) -> Path:
    """The month after the sample's two as a GBK CSV in FOLDER, next to the worked month's
    Parquet that it continues, with EFFECTS planted on the lines the work reached."""
    source = folder / f"{WORKED}.parquet"
    if not source.is_file():
        raise UserError(f"no {source}: write the sample first with: engine sample --out {folder}")
    worked = pq.read_table(source).to_pandas(types_mapper=pd.ArrowDtype)
    reached = {code for code, d in config.dispositions.items() if d.category == "reached"}
    with engine.connect() as connection:
        treated = reached_lines(connection, WORKED, reached)
    following = extract_frame(len(worked), NEXT, seed, previous=worked)
    return write_csv(plant(following, worked, treated, seed), folder / f"{NEXT}.csv")


def reached_lines(
    connection: sa.Connection, month: str, reached_codes: set[str]
) -> dict[str, set[str]]:
    """Each campaign's lines of MONTH that a call reached or a message was sent to."""
    query = (
        sa.select(ORDERS.c.campaign, ORDERS.c.line_id)
        .join(EVENTS, EVENTS.c.order_id == ORDERS.c.id)
        .where(
            ORDERS.c.month == month,
            sa.or_(
                sa.and_(
                    ORDERS.c.channel == "call",
                    EVENTS.c.kind == "outcome",
                    EVENTS.c.code.in_(sorted(reached_codes)),
                ),
                sa.and_(ORDERS.c.channel.in_(["sms", "voice"]), EVENTS.c.kind == "sent"),
            ),
        )
        .distinct()
    )
    lines: dict[str, set[str]] = {}
    for campaign, line_id in connection.execute(query):
        lines.setdefault(campaign, set()).add(line_id)
    return lines


def plant(
    following: pd.DataFrame, worked: pd.DataFrame, treated: dict[str, set[str]], seed: int
) -> pd.DataFrame:
    """FOLLOWING (the next month's extract, source headers) with EFFECTS planted: on TREATED's
    lines of each campaign, and on every line for an effect of no campaign. WORKED is the month
    before. Every draw is made for every row, so one campaign's lines never move another's."""
    # A stream of its own: the extract's is [seed, year, month].
    rng = np.random.default_rng([seed, *map(int, NEXT.split("-")), 1])
    planted = following.copy()
    ids = planted[LINE_ID].astype(str)
    for effect in EFFECTS:
        chance = rng.random(len(planted))
        who = ids.isin(treated.get(effect.campaign, set())) if effect.campaign else True
        chosen = np.asarray(who & (chance < effect.share), dtype=bool)
        CHANGES[effect.change](rng, planted, worked, chosen & _active(planted))
    return planted


def _calls(
    rng: np.random.Generator, frame: pd.DataFrame, _: pd.DataFrame, chosen: np.ndarray
) -> None:
    """A silent line makes calls again, a few minutes each."""
    calls = 1 + rng.poisson(4, len(frame))
    minutes = calls * rng.lognormal(np.log(2.2), 0.4, len(frame))
    silent = chosen & (_number(frame["通话次数"]) == 0)
    _set(frame, "通话次数", silent, calls.astype(str))
    _set(frame, "通话分钟", silent, np.char.mod("%.1f", minutes))


def _plan(
    rng: np.random.Generator, frame: pd.DataFrame, _: pd.DataFrame, chosen: np.ndarray
) -> None:
    """The line moves to the 家家e bundle."""
    _set(frame, "套餐", chosen, np.full(len(frame), JIAJIA))


def _spend(
    rng: np.random.Generator, frame: pd.DataFrame, worked: pd.DataFrame, chosen: np.ndarray
) -> None:
    """A bill below last month's comes back to it, or a little over."""
    before = worked.drop_duplicates(LINE_ID).set_index(LINE_ID)["月话费"]
    previous = _number(frame[LINE_ID].map(before))
    raised = previous * rng.uniform(1.0, 1.15, len(frame))
    down = chosen & (_number(frame["月话费"]) < previous)
    _set(frame, "月话费", down, np.char.mod("%.2f", raised))


Change = Callable[[np.random.Generator, pd.DataFrame, pd.DataFrame, np.ndarray], None]
CHANGES: dict[str, Change] = {"calls": _calls, "plan": _plan, "spend": _spend}


def _active(frame: pd.DataFrame) -> np.ndarray:
    return (frame["状态"].astype(object) == "在用").to_numpy(dtype=bool)


def _number(column: pd.Series) -> np.ndarray:
    """Numbers of a text column; what is not a number (a planted bad value) is NaN."""
    return pd.to_numeric(column.astype(object), errors="coerce").to_numpy(dtype=float)


def _set(frame: pd.DataFrame, column: str, rows: np.ndarray, values: np.ndarray) -> None:
    text = frame[column].to_numpy(dtype=object, na_value=None)
    text[rows] = values[rows]
    frame[column] = pd.array(text, dtype=pd.ArrowDtype(pa.string()))
