"""The day's assignment against a straightforward per-row Python loop over the same rules.

.venv/bin/python -c "from bench.assignment import run; run()"   1,000,000 candidates,
2,000 agents, 10 campaigns, plus carried-over work; limits: 5 s, and 20x the loop."""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

import numpy as np
import pandas as pd

from bench import median_time
from outbound.plan.assignment import Assignment, CampaignQuota, assign

REGIONS = ["西峰区", "庆城县", "环县", "华池县", "合水县", "正宁县", "宁县", "镇原县"]
TEAMS = ["西峰一组", "西峰二组", "庆城组", "环县组", "镇原组", "夜班"]
LOOP_ROWS = 100_000


def call_center(
    candidates: int, agents: int, campaigns: int, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame, list[CampaignQuota]]:
    """A prefecture's call center: agents who mostly cover one or two counties, campaigns of
    different sizes ranked by spend, and a day's worth of work carried over (4% of the
    candidates: unfinished, callbacks, returned items and the work of absent agents)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{n:05d}" for n in range(agents)], dtype=object)
    home = rng.choice(REGIONS, agents)
    second = _sometimes(rng, rng.choice(REGIONS, agents), 0.3)
    dialect = _sometimes(rng, np.full(agents, "陇东方言"), 0.4)
    roster = pd.DataFrame(
        {
            "agent_id": ids,
            "team": rng.choice(TEAMS, agents, p=[0.2, 0.2, 0.2, 0.15, 0.2, 0.05]),
            "skills": [
                sorted({s for s in skills if s is not None})
                for skills in zip(home, second, dialect, strict=True)
            ],
            "seniority": rng.integers(0, 20, agents),
            "capacity": rng.integers(30, 80, agents),
            "absent": rng.random(agents) < 0.05,
        }
    )
    plans = [
        CampaignQuota(
            name=f"活动{n:02d}",
            priority=int(rng.integers(1, 6)),
            per_agent_per_day=int(rng.integers(3, 8)),
            teams=None if n % 3 else frozenset(rng.choice(TEAMS[:5], 3, replace=False).tolist()),
            skills=frozenset({"陇东方言"}) if n == campaigns - 1 else None,
        )
        for n in range(campaigns)
    ]
    existing = candidates // 25
    rows = candidates + existing
    campaign = rng.choice(len(plans), rows, p=_shares(rng, len(plans)))
    value = np.round(rng.lognormal(4, 0.8, rows), 2)
    value[rng.random(rows) < 0.05] = np.nan
    new = np.arange(rows) >= existing
    owner = _sometimes(rng, rng.choice(ids, rows), 0.95)
    owner[new] = None
    excluded = owner.copy()
    excluded[new | (rng.random(rows) >= 0.03)] = None
    work = pd.DataFrame(
        {
            "item": [f"L{n:010d}" for n in rng.permutation(rows) + 13_900_000_000],
            "campaign": np.array([p.name for p in plans], dtype=object)[campaign],
            "new": new,
            "owner": owner,
            "excluded": excluded,
            "due_first": ~new & (rng.random(rows) < 0.1),
            "rank": _spend_rank(campaign, value),
            "value": value,
            "region": _sometimes(rng, rng.choice(REGIONS, rows), 0.97),
        }
    )
    return work.sample(frac=1, random_state=seed).reset_index(drop=True), roster, plans


def _sometimes(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """VALUES with all but about SHARE of them null."""
    kept = values.astype(object)
    kept[rng.random(len(values)) >= share] = None
    return kept


def _shares(rng: np.random.Generator, campaigns: int) -> np.ndarray:
    weights = rng.pareto(1.5, campaigns) + 0.2
    return weights / weights.sum()


def _spend_rank(campaign: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Biggest spenders first within each campaign."""
    order = np.lexsort((-np.nan_to_num(value, nan=-1.0), campaign))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def loop_assign(
    work: pd.DataFrame, agents: pd.DataFrame, campaigns: list[CampaignQuota]
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """The same rules, one row at a time: the baseline. Candidates are handed out most senior
    agent first rather than round by round, and carry no excluded agent in this data."""
    plans = sorted(campaigns, key=lambda c: (-c.priority, c.name))
    people = sorted(agents.to_dict("records"), key=lambda a: a["agent_id"])
    room = {a["agent_id"]: a["capacity"] for a in people}
    skills = {a["agent_id"]: set(a["skills"]) for a in people}
    seniors = [a["agent_id"] for a in sorted(people, key=lambda a: -a["seniority"])]
    may: dict[str, set[str]] = {}
    for plan in plans:
        may[plan.name] = {
            a["agent_id"]
            for a in people
            if not a["absent"]
            and (plan.teams is None or a["team"] in plan.teams)
            and (plan.skills is None or plan.skills & skills[a["agent_id"]])
        }
    place = {plan.name: n for n, plan in enumerate(plans)}
    assigned: dict[str, tuple[str, str]] = {}
    unassigned: dict[str, str] = {}
    rows = work.to_dict("records")
    existing = sorted(
        (r for r in rows if not r["new"]),
        key=lambda r: (not r["due_first"], place[r["campaign"]], r["rank"], r["item"]),
    )
    for row in existing:
        owner, excluded, allowed = row["owner"], row["excluded"], may[row["campaign"]]
        if owner in allowed and owner != excluded and room[owner] > 0:
            assigned[row["item"]] = (owner, "owner")
            room[owner] -= 1
            continue
        open_ = [a for a in allowed if a != excluded and room[a] > 0]
        near = [a for a in open_ if row["region"] in skills[a]]
        if not near and owner in skills:
            shared = {a: len(skills[a] & skills[owner]) for a in open_}
            most = max(shared.values(), default=0)
            near = [a for a in open_ if most and shared[a] == most]
        pool = near or open_
        if pool:
            colleague = min(pool, key=lambda a: (-room[a], a))
            assigned[row["item"]] = (colleague, "moved")
            room[colleague] -= 1
        else:
            anyone = any(a != excluded for a in allowed)
            unassigned[row["item"]] = "no capacity" if anyone else "no eligible agent"
    fresh: dict[str, list[dict[str, Any]]] = {plan.name: [] for plan in plans}
    for row in rows:
        if row["new"]:
            fresh[row["campaign"]].append(row)
    for plan in plans:
        quota = {a: min(plan.per_agent_per_day, room[a]) for a in seniors if a in may[plan.name]}
        slots = sum(quota.values())
        ranked = sorted(fresh[plan.name], key=lambda r: (r["rank"], r["item"]))
        for row in ranked[slots:]:
            unassigned[row["item"]] = "beyond today's quota" if quota else "no eligible agent"
        chosen = sorted(
            ranked[:slots],
            key=lambda r: -r["value"] if r["value"] == r["value"] else float("inf"),
        )
        order = [a for a in seniors if quota.get(a, 0) > 0]
        lines: dict[str | None, deque[str]] = {
            r: deque(a for a in order if r in skills[a]) for r in {r["region"] for r in chosen}
        }
        lines[None] = deque(order)
        later = []
        for row in chosen:
            agent = _next_with_quota(lines[row["region"]], quota)
            if agent is None:
                later.append(row)
                continue
            assigned[row["item"]] = (agent, "skill")
            quota[agent] -= 1
            room[agent] -= 1
        for row in later:
            agent = _next_with_quota(lines[None], quota)
            assert agent is not None, "as many places as chosen candidates"
            assigned[row["item"]] = (agent, "quota")
            quota[agent] -= 1
            room[agent] -= 1
    return assigned, unassigned


def _next_with_quota(line: deque[str], quota: dict[str, int]) -> str | None:
    """The most senior agent of LINE with quota left; those without are dropped for good."""
    while line and not quota[line[0]]:
        line.popleft()
    return line[0] if line else None


def check(
    result: Assignment, work: pd.DataFrame, agents: pd.DataFrame, campaigns: list[CampaignQuota]
) -> None:
    """The invariants, on the whole day."""
    decided = pd.concat([result.assigned["item"], result.unassigned["item"]])
    assert len(decided) == len(work) and decided.is_unique
    rows = result.assigned.merge(work, on="item").merge(agents, on="agent_id")
    load = rows.groupby("agent_id").size()
    assert (load <= agents.set_index("agent_id")["capacity"].reindex(load.index)).all()
    assert not rows["absent"].any()
    assert not (rows["agent_id"] == rows["excluded"]).any()
    new = rows[rows["new"]].groupby(["agent_id", "campaign"]).size().reset_index(name="count")
    quota = {c.name: c.per_agent_per_day for c in campaigns}
    assert (new["count"] <= new["campaign"].map(quota).astype("int64")).all()


def run(candidates: int = 1_000_000, agents: int = 2_000, campaigns: int = 10) -> None:
    work, roster, plans = call_center(candidates, agents, campaigns)
    rows = len(work)
    print(
        f"assignment of {candidates:,} new candidates and {rows - candidates:,} carried-over "
        f"items to {agents:,} agents, {campaigns} campaigns"
    )
    result = assign(work, roster, plans)
    check(result, work, roster, plans)
    ours = median_time(3, lambda: assign(work, roster, plans))

    sliced = work.head(LOOP_ROWS)
    started = time.perf_counter()
    by_loop, _ = loop_assign(sliced, roster, plans)
    loop = (time.perf_counter() - started) * rows / len(sliced)
    by_assign = assign(sliced, roster, plans).assigned

    print(f"  assign, median of 3   {ours:8.2f} s  {rows / ours:12,.0f} rows/s   (limit 5 s)")
    print(
        f"  per-row Python loop   {loop:8.2f} s  {rows / loop:12,.0f} rows/s"
        f"   timed on the first {len(sliced):,} rows and scaled linearly"
    )
    print(f"  assign is {loop / ours:.0f}x faster than the loop (limit 20x)")
    print(
        f"  on those {len(sliced):,} rows the loop places {len(by_loop):,} items"
        f" and assign {len(by_assign):,}"
    )
    bases = Counter(result.assigned["basis"])
    print("  assigned: " + ", ".join(f"{name} {count:,}" for name, count in sorted(bases.items())))
    why = Counter(result.unassigned["reason"])
    print("  unassigned: " + ", ".join(f"{name} {count:,}" for name, count in sorted(why.items())))
