"""The agent roster: who works, in which team, with which skills and how much a day."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbound.errors import UserError
from outbound.extract.source import detect_encoding
from outbound.store.models import Absence, Agent

COLUMNS = {
    "agent_id": "工号",
    "name": "姓名",
    "team": "班组",
    "skills": "技能",
    "seniority": "级别",
    "capacity": "日容量",
    "supervisor": "班长",
}
REQUIRED = ("agent_id", "name", "team", "capacity")
_SKILL_SEPARATORS = re.compile(r"[;；、|/]")


def read_roster(path: Path) -> pd.DataFrame:
    """The roster CSV (English or Chinese headers, UTF-8 or GBK) as one row per agent; every
    problem found is reported at once with its row and column."""
    data = path.read_bytes()
    try:
        text = data.decode(detect_encoding(data[:65536], complete=len(data) <= 65536))
    except (UserError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: {exc}; save it as UTF-8 or GBK") from None
    raw = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    raw = raw.rename(columns={chinese: name for name, chinese in COLUMNS.items()})
    missing = [f"{name} ({COLUMNS[name]})" for name in REQUIRED if name not in raw.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; columns found: "
            f"{', '.join(raw.columns)}"
        )
    for name in ("skills", "supervisor"):
        if name not in raw.columns:
            raw[name] = ""
    if "seniority" not in raw.columns:
        raw["seniority"] = "1"
    raw = raw.apply(lambda column: column.str.strip())
    rows = pd.Series(range(2, len(raw) + 2), index=raw.index)
    problems = []
    for name in ("agent_id", "name", "team"):
        for row in rows[raw[name] == ""]:
            problems.append(f"row {row}, {name}: empty")
    for row in rows[raw["agent_id"].duplicated() & (raw["agent_id"] != "")]:
        problems.append(f"row {row}, agent_id: {raw.at[row - 2, 'agent_id']} appears twice")
    numbers = {}
    for name in ("seniority", "capacity"):
        numbers[name] = pd.to_numeric(raw[name], errors="coerce")
        bad = numbers[name].isna() | (numbers[name] < 0) | (numbers[name] % 1 != 0)
        for row in rows[bad]:
            problems.append(
                f"row {row}, {name}: {raw.at[row - 2, name]!r} is not a whole number ≥ 0"
            )
    if problems:
        raise UserError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return pd.DataFrame(
        {
            "agent_id": raw["agent_id"],
            "name": raw["name"],
            "team": raw["team"],
            "skills": [
                [s.strip() for s in _SKILL_SEPARATORS.split(text) if s.strip()]
                for text in raw["skills"]
            ],
            "seniority": numbers["seniority"].astype(int),
            "capacity": numbers["capacity"].astype(int),
            "supervisor": raw["supervisor"].astype(object).where(raw["supervisor"] != "", None),
        }
    )


def save_roster(engine: sa.Engine, roster: pd.DataFrame) -> tuple[int, int]:
    """Make ROSTER the active roster; agents absent from it are kept, inactive (their work
    orders still name them). Returns (active, deactivated)."""
    with Session(engine) as session, session.begin():
        known = {agent.agent_id: agent for agent in session.scalars(sa.select(Agent))}
        for record in roster.to_dict("records"):
            agent = known.pop(record["agent_id"], None) or Agent(agent_id=record["agent_id"])
            for key in ("name", "team", "skills", "seniority", "capacity", "supervisor"):
                setattr(agent, key, record[key])
            agent.active = True
            session.add(agent)
        for agent in known.values():
            agent.active = False
        return len(roster), sum(1 for _ in known)


def mark_absent(engine: sa.Engine, agent_id: str, day: dt.date, reason: str | None) -> None:
    with Session(engine) as session, session.begin():
        agent = session.get(Agent, agent_id)
        if agent is None or not agent.active:
            raise UserError(
                f"no active agent {agent_id!r}; see engine agents list",
                "unknown_agent",
                agent=agent_id,
            )
        if session.get(Absence, (agent_id, day)) is None:
            session.add(Absence(agent_id=agent_id, day=day, reason=reason))


def roster_on(connection: sa.Connection, day: dt.date) -> pd.DataFrame:
    """The active agents with an `absent` flag for DAY, as the assignment takes them."""
    agents = pd.DataFrame(
        connection.execute(
            sa.select(
                Agent.agent_id,
                Agent.name,
                Agent.team,
                Agent.skills,
                Agent.seniority,
                Agent.capacity,
                Agent.supervisor,
            ).where(Agent.active)
        ).all(),
        columns=["agent_id", "name", "team", "skills", "seniority", "capacity", "supervisor"],
    )
    away = set(connection.scalars(sa.select(Absence.agent_id).where(Absence.day == day)))
    agents["absent"] = agents["agent_id"].isin(away)
    return agents.sort_values("agent_id", ignore_index=True)
