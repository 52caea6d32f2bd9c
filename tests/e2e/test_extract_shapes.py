"""Extracts as operators outside this project write them, end to end on SQLite and PostgreSQL:
import, segments and a day's run. The files are written here in each real-world shape: English
headers, yes/no and True/False, US numbers with their area code in a column of its own, no id
column, no phone column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from outbound.cli import main

DAILY = Path(__file__).resolve().parent.parent / "fixtures" / "daily"
DAY = "2026-11-02"

# The shape of the public "churn in telecom" data set: no id, the area code apart.
US_CONFIG = """timezone = "America/New_York"

[extract]
phone = ["Area Code", "Phone"]
country = "US"
max_reject_share = 0.2

[extract.columns]
"State" = { name = "state", type = "category" }
"Intl Plan" = { name = "international_plan", type = "bool" }
"Day Calls" = { name = "day_calls", type = "int" }
"Day Charge" = { name = "day_charge", type = "float" }
"Churn" = { name = "churned", type = "bool" }
"""
# As the file writes its header: double spaces the mapping above does not have.
US_HEADER = "State,Account  Length,Area  Code,Phone,Intl  Plan,Day Calls,Day  Charge,Churn"


def us_rows() -> list[str]:
    """40 customers; every fourth made no call in the day."""
    rows = []
    for i in range(40):
        calls = 0 if i % 4 == 0 else 80 + i
        plan = "yes " if i % 3 == 0 else "no"  # a trailing space, as exports leave them
        churn = "True" if i % 5 == 0 else "False"
        rows.append(
            f"KS,{100 + i},{(415, 408, 510)[i % 3]},{382 + i}-{4657 + i},{plan},{calls},"
            f"{calls * 0.17:.2f},{churn}"
        )
    return rows


class Workspace:
    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder, self.capsys = folder, capsys

    def run(self, *args: str) -> tuple[int, str, str]:
        try:
            main(["--workspace", str(self.folder), *args])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 0, err
        return out

    def json(self, *args: str) -> dict:
        return json.loads(self.ok(*args, "--format", "json"))


@pytest.fixture
def workspace(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Workspace:
    """A workspace with the daily fixture's roster and scripts, the config and campaigns the
    test writes."""
    folder = tmp_path / "center"
    folder.mkdir()
    shutil.copy(DAILY / "agents.csv", folder / "agents.csv")
    (folder / "segments").mkdir()
    (folder / "campaigns").mkdir()
    (folder / "scripts").mkdir()
    (folder / "scripts" / "call.j2").write_text(
        "您好，请问尾号{{ customer.phone | phone_tail }}的号码最近为什么不用了？", "utf-8"
    )
    monkeypatch.setenv("ENGINE_DATABASE_URL", database_url)
    return Workspace(folder, capsys)


def wake_up_campaign(folder: Path, where: str) -> None:
    (folder / "segments" / "silent.toml").write_text(
        f'title = "零次户"\nwhere = "{where}"\n', "utf-8"
    )
    (folder / "campaigns" / "wake_up.toml").write_text(
        'title = "零次户唤醒"\nsegment = "silent"\nchannel = "call"\nscript = "call.j2"\n'
        "start = 2026-11-01\nend = 2026-11-30\npriority = 30\nper_agent_per_day = 20\n",
        "utf-8",
    )


def test_us_numbers_with_an_area_code_column_and_no_id_load_segment_and_are_called(
    workspace: Workspace,
) -> None:
    folder = workspace.folder
    (folder / "config.toml").write_text(US_CONFIG, "utf-8")
    wake_up_campaign(folder, "day_calls == 0")
    rows = us_rows()
    rows.append("KS,140,415,+86 139 9341 2345,no,0,0.00,False")  # a Chinese mobile
    rows.append("KS,141,415,382-4657,yes,90,15.30,False")  # row 2's number with other values
    rows.append(rows[4])  # a silent customer's row again, as it was: one customer, one call
    (folder / "churn.csv").write_text("\n".join([US_HEADER, *rows]) + "\n", "utf-8")

    workspace.ok("import", str(folder / "churn.csv"), "--month", "2026-10")
    [entry] = workspace.json("imports")["imports"]
    counts = ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate")
    assert tuple(entry[count] for count in counts) == (43, 40, 2, 1)
    rejects = (folder / entry["rejects"]).read_text("utf-8-sig")
    assert "a number of CN (+86), not of US" in rejects
    assert "duplicate line id with other values (first at row 2)" in rejects

    (folder / "segments" / "intl_silent.toml").write_text(
        'title = "国际套餐零次户"\nwhere = "international_plan and day_calls == 0"\n', "utf-8"
    )
    counts = {s["segment"]: s["count"] for s in workspace.json("segments")["segments"]}
    # Every fourth of 40 is silent; every twelfth is silent with the plan ("yes " trimmed).
    assert counts == {"silent": 10, "intl_silent": 4}
    workspace.ok("agents", "import", str(folder / "agents.csv"))
    workspace.ok("run", "--date", DAY)
    calls = [
        call
        for agent in ("A01", "A02", "A03", "A04", "A05", "A06")
        for call in workspace.json("calls", "--agent", agent, "--date", DAY, "--full-phones")[
            "calls"
        ]
    ]
    assert len(calls) == 10
    assert all(call["phone"].startswith("+1") and len(call["phone"]) == 12 for call in calls)
    assert {call["line_id"] for call in calls} == {call["phone"] for call in calls}


TELCO_CONFIG = """timezone = "Asia/Shanghai"

[extract]
line_id = "customerID"

[extract.columns]
"PhoneService" = { name = "phone_service", type = "bool" }
"InternetService" = { name = "internet", type = "category" }
"MonthlyCharges" = { name = "monthly_charges", type = "float" }
"""


def telco(folder: Path) -> Path:
    """The shape of the public telco churn data set: an id, no phone number, Yes/No."""
    (folder / "config.toml").write_text(TELCO_CONFIG, "utf-8")
    lines = ["customerID,gender,PhoneService,InternetService,MonthlyCharges"]
    for i in range(30):
        internet = ("Fiber optic", "DSL", "No")[i % 3]
        lines.append(f"{7590 + i}-VHVEG,Female,{'No' if i % 2 else 'Yes'},{internet},{80 + i}.35")
    (folder / "telco.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return folder / "telco.csv"


def test_lines_without_a_phone_column_load_and_segment_and_nobody_is_asked_to_call_them(
    workspace: Workspace,
) -> None:
    folder = workspace.folder
    extract = telco(folder)
    wake_up_campaign(folder, "internet == 'Fiber optic' and monthly_charges > 100")

    workspace.ok("import", str(extract), "--month", "2026-10")
    [entry] = workspace.json("imports")["imports"]
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (30, 30, 0)
    [segment] = workspace.json("segments")["segments"]
    assert segment["count"] == 3  # fibre and over 100: i = 21, 24, 27
    workspace.ok("agents", "import", str(folder / "agents.csv"))
    workspace.ok("run", "--date", DAY)
    assert workspace.json("calls", "--agent", "A01", "--date", DAY)["calls"] == []
    why = workspace.json("why", "7611-VHVEG", "--date", DAY)
    assert "no_phone" in json.dumps(why, ensure_ascii=False)


def test_a_renamed_column_is_a_month_to_read_again_never_an_internal_error(
    workspace: Workspace,
) -> None:
    folder = workspace.folder
    extract = telco(folder)
    wake_up_campaign(folder, "monthly_charges > 100")
    workspace.ok("import", str(extract), "--month", "2026-10")
    (folder / "config.toml").write_text(
        TELCO_CONFIG.replace('name = "monthly_charges"', 'name = "charges"'), "utf-8"
    )
    wake_up_campaign(folder, "charges > 100")
    fix = f'engine import "{extract.resolve()}" --month 2026-10 --replace'
    for command in (["segments"], ["preview", "silent"], ["check"]):
        code, _, err = workspace.run(*command)
        assert code == 1 and "Traceback" not in err and "internal error" not in err
        assert "2026-10: its snapshot was made under another [extract] mapping" in err
        assert fix in err

    code, _, err = workspace.run("import", str(extract), "--month", "2026-10")
    assert code == 1 and "--replace" in err
    workspace.ok("import", str(extract), "--month", "2026-10", "--replace")
    assert workspace.json("segments")["segments"][0]["count"] == 10  # 80.35 + i > 100: i = 20 … 29
    assert "0 to read again" in workspace.ok("check")
