from pathlib import Path

import pytest

from outbound.errors import UserError
from outbound.staff.agents import read_roster


def test_a_gbk_roster_with_chinese_headers_is_read_with_its_skills(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_bytes(
        "工号,姓名,班组,技能,级别,日容量,班长\r\nA01,王丽,关怀回访组,西峰区、庆阳话,5,40,S01\r\n"
        "A02,李强,营销组,,1,30,\r\n".encode("gbk")
    )
    roster = read_roster(path)
    assert roster["agent_id"].tolist() == ["A01", "A02"]
    assert roster["skills"].tolist() == [["西峰区", "庆阳话"], []]
    assert roster["capacity"].tolist() == [40, 30]
    assert roster["supervisor"].tolist() == ["S01", None]


def test_every_bad_roster_row_is_named_at_once(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text(
        "agent_id,name,team,capacity,seniority\nA01,王丽,care,40,3\nA01,李强,care,十,1\n"
        ",张敏,care,30,-1\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError) as raised:
        read_roster(path)
    message = str(raised.value)
    assert "row 3, agent_id: A01 appears twice" in message
    assert "row 3, capacity: '十' is not a whole number" in message
    assert "row 4, agent_id: empty" in message
    assert "row 4, seniority: '-1' is not a whole number" in message


def test_a_roster_without_a_required_column_lists_the_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text("工号,姓名\nA01,王丽\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"missing column\(s\) team \(班组\), capacity \(日容量\)"):
        read_roster(path)
