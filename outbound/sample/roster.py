"""The sample roster: three teams of a prefecture's call center, written like its HR export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from outbound.sample.billing import REGIONS, SURNAMES

TEAMS = (("关怀回访组", "S01"), ("营销组", "S02"), ("零次户唤醒组", "S03"))
GIVEN = "丽娜静敏强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玲芳红建国志伟"
DIALECTS = ("庆阳话", "陕北话", "普通话")


def roster_frame(agents: int = 36, seed: int = 20261) -> pd.DataFrame:
    """AGENTS agents under the Chinese headers of an HR export (工号, 姓名, 班组, ...)."""
    rng = np.random.default_rng(seed)
    regions = [name for name, *_ in REGIONS]
    rows = []
    for number in range(1, agents + 1):
        team, supervisor = TEAMS[(number - 1) % len(TEAMS)]
        home = rng.choice(len(regions), size=rng.integers(1, 3), replace=False)
        skills = [regions[i] for i in sorted(home)] + [str(rng.choice(DIALECTS))]
        rows.append(
            {
                "工号": f"A{number:03d}",
                "姓名": str(rng.choice(list(SURNAMES)))
                + "".join(rng.choice(list(GIVEN), 1 + number % 2)),
                "班组": team,
                "技能": "、".join(skills),
                "级别": int(rng.integers(1, 6)),
                "日容量": int(rng.choice([30, 40, 50])),
                "班长": supervisor,
            }
        )
    return pd.DataFrame(rows)


def write_roster(path: Path, agents: int = 36, seed: int = 20261) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    roster_frame(agents, seed).to_csv(path, index=False, encoding="utf-8-sig")
    return path
