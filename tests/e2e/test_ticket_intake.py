"""Tickets taken in from a file: each row checked and named, each ticket once however often
it is sent, dispatched at once within calling hours with its script, waiting outside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from outbound.schedule import jobs
from tests.e2e.conftest import Center

TICKET_TYPES = """
[tickets.complaint]
title = "投诉回访"
deadline_hours = 72
script = "complaint_ticket.j2"
priority = 30

[tickets.fault]
title = "故障修复回访"
deadline_hours = 24
skills = ["环县"]
"""
SCRIPT = (
    "【投诉回访 · 工单{{ ticket.external_id }}】{{ customer.customer_name | default('客户') }}\n"
    "受理：{{ ticket.received_at.strftime('%m-%d %H:%M') }}；反映：{{ ticket.text }}\n"
    "我是{{ agent.name }}（{{ agent.agent_id }}）。"
)
HEADER = "external_id,source,type,line_id,phone,received_at,text,department\n"
NOW = "2026-11-02 10:00"


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:
    made = new_center(TICKET_TYPES)
    (made.folder / "scripts" / "complaint_ticket.j2").write_text(SCRIPT, encoding="utf-8")
    return made


def write(folder: Path, name: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding=encoding)
    return path


def complaint(number: str, line: str, at: str, text: str = "掉线") -> str:
    return f"CRM-{number},crm,complaint,{line},,2026-11-02 {at},{text},"


def ticket_orders(center: Center, *args: str, now: str = NOW) -> list[dict]:
    return center.json("orders", "--type", *args, now=now)["orders"]


def test_a_gbk_ticket_file_becomes_dispatched_orders_with_their_scripts(center: Center) -> None:
    path = write(
        center.folder,
        "工单.csv",
        [
            "CRM-1001,crm,complaint,QY0000000001,,2026-11-02 09:12,宽带晚上经常掉线,",
            "CRM-1002,crm,complaint,,13912345678,2026-11-01T20:00:00+08:00,话费多扣了10元,",
            "F-77,fault,fault,QY0000000002,,2026-11-02 08:00,光猫红灯,装维部",
        ],
        encoding="gbk",
    )
    out = center.ok("tickets", "import", str(path), now=NOW)
    assert "3 read, 3 taken in (3 dispatched), 0 already taken, 0 refused" in out

    complaints = ticket_orders(center, "complaint")
    assert [(o["external_id"], o["type"], o["state"]) for o in complaints] == [
        ("CRM-1002", "complaint", "assigned"),
        ("CRM-1001", "complaint", "assigned"),
    ]
    assert complaints[1]["deadline"] == "2026-11-05 09:12:00"  # 72 h from receipt, local
    fault = ticket_orders(center, "fault")[0]
    assert fault["agent"] == "A03"  # the one agent with the type's skill (环县)

    listed = {call["item"]: call for call in center.calls(complaints[1]["agent"], "2026-11-02")}
    script = listed[complaints[1]["id"]]["script"]
    october = pd.read_csv(center.folder / "2026-10.csv", dtype=str).set_index("用户编号")
    name = october.loc["QY0000000001", "客户姓名"]
    assert f"【投诉回访 · 工单CRM-1001】{name}" in script and "宽带晚上经常掉线" in script
    assert "受理：11-02 09:12" in script


def test_a_ticket_sent_again_is_taken_once_and_a_changed_one_is_refused(center: Center) -> None:
    first = write(center.folder, "a.csv", [complaint("1", "QY0000000001", "09:00")])
    center.ok("tickets", "import", str(first), now=NOW)
    again = center.ok("tickets", "import", str(first), now=NOW)
    assert "0 taken in (0 dispatched), 1 already taken, 0 refused" in again

    changed = write(center.folder, "b.csv", [complaint("1", "QY0000000001", "09:00", "不掉线了")])
    err = center.refused("tickets", "import", str(changed), now=NOW)
    assert "b.csv: row 2, external_id: crm ticket CRM-1 was taken in on" in err
    assert "send the change under a new external_id" in err
    assert len(ticket_orders(center, "complaint")) == 1


def test_bad_rows_are_named_and_the_good_ones_taken(center: Center) -> None:
    path = write(
        center.folder,
        "mixed.csv",
        [
            "CRM-1,crm,complaint,QY0000000001,,2026-11-02 09:00,掉线,",
            "CRM-2,crm,praise,QY0000000002,,2026-11-02 09:00,表扬,",
            "CRM-3,crm,complaint,QY0000000003,,昨天下午,掉线,",
            "CRM-4,crm,complaint,NOT-A-LINE,,2026-11-02 09:00,掉线,",
            ",crm,complaint,QY0000000005,,2026-11-02 09:00,掉线,",
        ],
    )
    code, out, err = center.engine("tickets", "import", str(path), now=NOW)
    assert code == 1
    assert "5 read, 1 taken in (1 dispatched), 0 already taken, 4 refused" in out
    assert "row 3, type: 'praise' is no ticket type of config.toml [tickets]" in err
    assert "row 4, received_at: '昨天下午' is not a date and time" in err
    assert "row 5, phone: is empty and line NOT-A-LINE is not in the 2026-10 extract" in err
    assert "row 6, external_id: is empty" in err
    assert [o["external_id"] for o in ticket_orders(center, "complaint")] == ["CRM-1"]


def test_a_ticket_outside_calling_hours_waits_for_their_opening(center: Center) -> None:
    path = write(center.folder, "night.csv", [complaint("9", "QY0000000001", "22:40")])
    out = center.ok("tickets", "import", str(path), now="2026-11-02 22:45")
    assert "1 taken in (0 dispatched)" in out
    waiting = ticket_orders(center, "complaint", now="2026-11-02 22:45")[0]
    assert (waiting["state"], waiting["agent"]) == ("open", None)

    center.ok("run", "--date", "2026-11-03", now="2026-11-03 07:30")  # before the opening
    assert ticket_orders(center, "complaint", now="2026-11-03 07:30")[0]["state"] == "open"
    center.ok("tickets", "dispatch", now="2026-11-03 08:00")
    taken = ticket_orders(center, "complaint", now="2026-11-03 08:00")[0]
    assert taken["state"] == "assigned" and taken["agent"]
    listed = {c["item"]: c for c in center.calls(taken["agent"], "2026-11-03")}
    assert "工单CRM-9" in listed[taken["id"]]["script"]


def test_a_ticket_not_reached_today_stays_with_its_agent_on_tomorrows_list(
    center: Center,
) -> None:
    center.ok("run", "--date", "2026-11-02", now="2026-11-02 07:30")
    path = write(center.folder, "day.csv", [complaint("5", "QY0000000001", "09:00")])
    center.ok("tickets", "import", str(path), now=NOW)
    today = ticket_orders(center, "complaint")[0]
    center.ok("outcome", str(today["id"]), "--code", "no_answer", now="2026-11-02 11:00")
    center.ok("run", "--date", "2026-11-03", now="2026-11-03 07:30")
    tomorrow = ticket_orders(center, "complaint", now="2026-11-03 07:30")[0]
    assert (tomorrow["state"], tomorrow["agent"]) == ("assigned", today["agent"])
    listed = {c["item"]: c for c in center.calls(today["agent"], "2026-11-03")}
    assert "工单CRM-5" in listed[today["id"]]["script"]


def test_the_customers_next_ticket_goes_to_the_agent_who_took_the_first(center: Center) -> None:
    first = write(center.folder, "1.csv", [complaint("1", "QY0000000001", "09:00")])
    center.ok("tickets", "import", str(first), now=NOW)
    owner = ticket_orders(center, "complaint")[0]["agent"]
    others = [complaint(str(n), f"QY00000000{n:02d}", "09:00") for n in range(10, 20)]
    center.ok("tickets", "import", str(write(center.folder, "2.csv", others)), now=NOW)
    again = write(center.folder, "3.csv", [complaint("2", "QY0000000001", "09:30", "又掉线")])
    center.ok("tickets", "import", str(again), now=NOW)
    second = next(o for o in ticket_orders(center, "complaint") if o["external_id"] == "CRM-2")
    assert second["agent"] == owner


def test_an_unknown_type_in_the_listing_is_refused_with_the_known_ones(center: Center) -> None:
    err = center.refused("orders", "--type", "complain", "--format", "json", now=NOW)
    assert "no ticket type or campaign 'complain'; ticket types: complaint, fault" in err


def test_a_ticket_file_dropped_in_the_inbox_is_taken_in_and_its_refusals_kept(
    center: Center,
) -> None:
    folder = center.folder / "inbox" / "tickets"
    folder.mkdir(parents=True)
    path = write(
        folder,
        "投诉_1102.csv",
        [complaint("1", "QY0000000001", "09:00"), complaint("2", "QY0000000002", "将近中午")],
        encoding="gbk",
    )
    (folder / f"{path.name}.done").touch()
    moment = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert jobs.drop_folder(str(center.folder), moment) == "done"

    assert (folder / "done" / path.name).is_file() and not path.exists()
    refused = (folder / "done" / f"{path.name}.refused.txt").read_text("utf-8")
    assert refused.startswith(f"{path.name}: row 3, received_at: '2026-11-02 将近中午'")
    assert [o["external_id"] for o in ticket_orders(center, "complaint")] == ["CRM-1"]


def test_check_reads_ticket_scripts_with_the_ticket_and_names_a_wrong_field(
    center: Center,
) -> None:
    assert "0 problems" in center.ok("check")
    script = center.folder / "scripts" / "complaint_ticket.j2"
    script.write_text("{{ ticket.txt }}，{{ customer.customer_name }}\n", encoding="utf-8")
    err = center.refused("check")
    said = "scripts/complaint_ticket.j2: line 1: 'ticket.txt' is not a field (did you mean 'text'?)"
    assert said in err
    script.write_text("{{ tickets.text }}\n", encoding="utf-8")
    err = center.refused("check")
    assert "unknown variable 'tickets'" in err and "did you mean 'ticket'" in err.lower()


def test_an_absent_agents_ticket_moves_with_its_script_said_by_the_colleague(
    center: Center,
) -> None:
    center.ok("run", "--date", "2026-11-02", now="2026-11-02 07:30")
    path = write(center.folder, "day.csv", [complaint("6", "QY0000000001", "09:00")])
    center.ok("tickets", "import", str(path), now=NOW)
    today = ticket_orders(center, "complaint")[0]
    center.ok("outcome", str(today["id"]), "--code", "no_answer", now="2026-11-02 11:00")
    center.ok("agents", "absent", today["agent"], "--date", "2026-11-03", now=NOW)
    center.ok("run", "--date", "2026-11-03", now="2026-11-03 07:30")
    moved = ticket_orders(center, "complaint", now="2026-11-03 07:30")[0]
    assert moved["agent"] not in (None, today["agent"])
    roster = {a["agent_id"]: a["name"] for a in center.json("agents", "list", now=NOW)["agents"]}
    script = {c["item"]: c for c in center.calls(moved["agent"], "2026-11-03")}[moved["id"]]
    assert f"我是{roster[moved['agent']]}（{moved['agent']}）" in script["script"]


def test_a_ticket_reassigned_by_a_supervisor_is_said_by_its_new_agent(center: Center) -> None:
    path = write(center.folder, "day.csv", [complaint("7", "QY0000000001", "09:00")])
    center.ok("tickets", "import", str(path), now=NOW)
    taken = ticket_orders(center, "complaint")[0]
    other = "A02" if taken["agent"] != "A02" else "A03"
    center.ok("reassign", str(taken["id"]), "--to", other, now=NOW)
    roster = {a["agent_id"]: a["name"] for a in center.json("agents", "list", now=NOW)["agents"]}
    script = {c["item"]: c for c in center.calls(other, "2026-11-02")}[taken["id"]]["script"]
    assert f"我是{roster[other]}（{other}）" in script
