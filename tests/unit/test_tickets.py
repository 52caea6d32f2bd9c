"""Tickets from other systems, read and checked: each field's problem named with its row, the
receipt's time in the workspace's zone when it has no offset, a resent row taken once."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from outbound.config import Config, load_config
from outbound.errors import UserError
from outbound.orders.tickets import read, read_file

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "daily"
NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
TYPES = """
[tickets.complaint]
title = "投诉"
deadline_hours = 72

[tickets.fault]
title = "故障回访"
deadline_hours = 24
skills = ["fault"]
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    shutil.copytree(FIXTURE, tmp_path / "w")
    with (tmp_path / "w" / "config.toml").open("a", encoding="utf-8") as file:
        file.write(TYPES)
    return load_config(tmp_path / "w", environ={})


def complaint(**changes: str) -> dict[str, str]:
    row = {
        "external_id": "TS20261102-0001",
        "source": "crm",
        "type": "complaint",
        "line_id": "L0000123",
        "phone": "139 3123 4567",
        "received_at": "2026-11-02 08:15",
        "text": "宽带晚上经常掉线，要求尽快处理",
        "department": "装维部",
    }
    return row | changes


def test_a_ticket_reads_with_its_number_in_e164_and_its_receipt_in_the_workspace_zone(
    config: Config,
) -> None:
    intake = read([complaint()], config, NOW)
    assert intake.problems == []
    (ticket,) = intake.tickets
    assert ticket.phone == "+8613931234567" and ticket.line_id == "L0000123"
    assert ticket.received_at == dt.datetime(2026, 11, 2, 0, 15, tzinfo=dt.UTC)
    assert ticket.deadline(config.settings.tickets["complaint"]) == dt.datetime(
        2026, 11, 5, 0, 15, tzinfo=dt.UTC
    )
    assert (ticket.text, ticket.department) == ("宽带晚上经常掉线，要求尽快处理", "装维部")


@pytest.mark.parametrize("written", ["2026-11-02T00:15:00Z", "2026-11-02T09:15:00+09:00"])
def test_a_receipt_with_an_offset_keeps_it(config: Config, written: str) -> None:
    (ticket,) = read([complaint(received_at=written)], config, NOW).tickets
    assert ticket.received_at == dt.datetime(2026, 11, 2, 0, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("changes", "named", "said"),
    [
        ({"external_id": " "}, "external_id", "is empty"),
        ({"type": "praise"}, "type", "'praise' is no ticket type of config.toml [tickets]"),
        ({"received_at": "2026-13-02 08:15"}, "received_at", "is not a date and time"),
        ({"received_at": "2026-11-03 08:15"}, "received_at", "is in the future"),
        ({"phone": "12345", "line_id": ""}, "phone", "12345"),
        ({"phone": "", "line_id": ""}, "line_id", "give the line id or the phone"),
        ({"source": "x" * 40}, "source", "at most 32"),
    ],
)
def test_a_bad_field_is_named_with_its_row_and_the_good_rows_still_read(
    config: Config, changes: dict[str, str], named: str, said: str
) -> None:
    rows = [complaint(external_id="A"), complaint(**{"external_id": "B", **changes})]
    intake = read(rows, config, NOW, first_row=2)
    assert [t.external_id for t in intake.tickets] == ["A"]
    (problem,) = [p for p in intake.problems if p.field == named]
    assert problem.row == 3 and said in problem.message
    assert problem.said("tickets.csv").startswith(f"tickets.csv: row 3, {named}: ")


def test_a_resent_row_is_taken_once_and_a_clashing_one_is_refused(config: Config) -> None:
    rows = [complaint(), complaint(), complaint(text="另一段话")]
    intake = read(rows, config, NOW)
    assert len(intake.tickets) == 1 and intake.repeated == 1
    (clash,) = intake.problems
    assert clash.row == 3 and "also row 1, with other values" in clash.message


def test_the_same_id_from_two_systems_is_two_tickets(config: Config) -> None:
    intake = read([complaint(), complaint(source="fault_system", type="fault")], config, NOW)
    assert [t.key for t in intake.tickets] == [
        ("crm", "TS20261102-0001"),
        ("fault_system", "TS20261102-0001"),
    ]


def test_a_gbk_csv_with_a_loose_header_reads(config: Config, tmp_path: Path) -> None:
    frame = pd.DataFrame([complaint(), complaint(external_id="TS2", phone="0934-3955739")])
    frame.columns = [f" {name.upper()} " for name in frame.columns]
    path = tmp_path / "工单.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    intake = read_file(path, config, NOW)
    assert intake.problems == []
    assert [t.phone for t in intake.tickets] == ["+8613931234567", "+869343955739"]
    assert intake.tickets[0].department == "装维部"


def test_an_xlsx_file_reads_and_its_rows_count_from_the_header(
    config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "tickets.xlsx"
    pd.DataFrame([complaint(), complaint(external_id="", text="无编号")]).to_excel(
        path, index=False
    )
    intake = read_file(path, config, NOW)
    assert len(intake.tickets) == 1
    (problem,) = intake.problems
    assert (problem.row, problem.field) == (3, "external_id")


def test_a_file_without_the_needed_columns_is_refused_naming_them(
    config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("id,source,type,text\n1,crm,complaint,掉线\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        read_file(path, config, NOW)
    assert "lacks external_id, received_at, line_id or phone" in str(refused.value)


def test_a_ticket_type_name_must_be_a_plain_identifier(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "w")
    with (tmp_path / "w" / "config.toml").open("a", encoding="utf-8") as file:
        file.write('\n[tickets."投诉"]\ndeadline_hours = 72\n')
    with pytest.raises(UserError) as refused:
        load_config(tmp_path / "w", environ={})
    assert "name it with ASCII letters" in str(refused.value)
