"""engine orders as an export: each order with the reason and note of its outcome, when it
closed, the department it went to, its result and last code, and the customer's phone masked;
--full-phones shows the numbers and leaves one row in the audit log."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from outbound import privacy
from outbound.config import load_config
from outbound.store.db import open_database
from outbound.store.models import AuditEntry
from tests.e2e.conftest import DAY, Center

CAMPAIGN = "zero_usage_wakeup"


def worked(center: Center) -> tuple[dict, dict]:
    """DAY run; A01 hears that one zero-usage customer moved away and escalates another's
    line fault to 装维部, each with a note."""
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    moved, broken = [c for c in center.calls("A01", DAY) if c["campaign"] == CAMPAIGN][:2]
    center.ok(
        "outcome",
        str(moved["item"]),
        *("--code", "declined", "--reason", "moved_away", "--note", "已搬去兰州", "--agent", "A01"),
        now=f"{DAY} 10:00",
    )
    center.ok(
        "outcome",
        str(broken["item"]),
        *("--code", "escalate", "--reason", "line_fault", "--note", "电话无拨号音"),
        *("--agent", "A01"),
        now=f"{DAY} 10:30",
    )
    return moved, broken


def masked(phone: str) -> str:
    national = phone.removeprefix("+86")
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def audit_rows(center: Center) -> list[AuditEntry]:
    """The audit log's rows of engine orders (an agent's call list has its own)."""
    engine = open_database(load_config(center.folder).database_url)
    log = AuditEntry.__table__
    with engine.connect() as connection:
        query = sa.select(log).where(log.c.where == "engine orders")
        rows = list(connection.execute(query).all())
    engine.dispose()
    return rows  # type: ignore[return-value]


def test_an_xlsx_export_has_the_reason_note_closing_time_department_and_masked_phones(
    center: Center, tmp_path: Path
) -> None:
    moved, broken = worked(center)
    path = tmp_path / "orders.xlsx"
    center.ok("orders", "--type", CAMPAIGN, "--output", str(path))
    sheet = pd.read_excel(path, dtype=str, engine="openpyxl").set_index("id")
    row = sheet.loc[str(moved["item"])]
    assert (row["reason"], row["note"], row["result"], row["last_code"]) == (
        "moved_away",
        "已搬去兰州",
        "declined",
        "declined",
    )
    assert row["closed_at"] == f"{DAY} 10:00:00"  # local time, not the stored UTC
    assert row["phone"] == masked(moved["phone"]) and "****" in row["phone"]
    escalated = sheet.loc[str(broken["item"])]
    assert (escalated["reason"], escalated["note"], escalated["department"]) == (
        "line_fault",
        "电话无拨号音",
        "装维部",
    )
    assert (escalated["result"], escalated["closed_at"]) == ("escalated", f"{DAY} 10:30:00")
    phones = {c["phone"] for c in center.calls("A02", DAY)}
    assert not phones & set(sheet["phone"]) and sheet["phone"].str.contains(r"\*").all()
    assert audit_rows(center) == []


def test_json_and_csv_exports_mask_the_phones_too(center: Center, tmp_path: Path) -> None:
    moved, _ = worked(center)
    listed = center.json("orders", "--agent", "A01")["orders"]
    mine = next(o for o in listed if o["id"] == moved["item"])
    assert (mine["phone"], mine["reason"], mine["note"]) == (
        masked(moved["phone"]),
        "moved_away",
        "已搬去兰州",
    )
    path = tmp_path / "orders.csv"
    center.ok("orders", "--agent", "A01", "--output", str(path))
    exported = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert moved["phone"] not in set(exported["phone"])
    assert masked(moved["phone"]) in set(exported["phone"])


def test_full_phones_show_the_numbers_and_write_exactly_one_audit_row(
    center: Center, tmp_path: Path
) -> None:
    moved, _ = worked(center)
    path = tmp_path / "full.json"
    center.ok(
        "orders", "--agent", "A01", "--full-phones", "--output", str(path), now=f"{DAY} 18:00"
    )
    shown = json.loads(path.read_text("utf-8"))["orders"]
    assert moved["phone"] in {o["phone"] for o in shown}
    (entry,) = audit_rows(center)
    ids = [str(o["id"]) for o in shown]
    assert (entry.who, entry.role, entry.where) == (getpass.getuser(), "command", "engine orders")
    assert (entry.subject, entry.numbers) == (f"{len(ids)}: {','.join(ids)}", len(shown))
    assert entry.at.astimezone(load_config(center.folder).tz).strftime("%H:%M") == "18:00"


def test_the_audit_subject_of_many_orders_names_the_first_ones_and_the_count(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    worked(center)
    monkeypatch.setattr(privacy, "SUBJECT_IDS", 10)  # 50 in use; the day has 33 orders
    shown = center.json("orders", "--full-phones")["orders"]
    assert len(shown) > 10
    (entry,) = audit_rows(center)
    first = ",".join(str(o["id"]) for o in shown[:10])
    assert entry.subject == f"{len(shown)}: {first},…"
    assert entry.numbers == len(shown)


def test_full_phones_of_no_order_shows_none_and_logs_nothing(center: Center) -> None:
    worked(center)
    assert center.json("orders", "--state", "expired", "--full-phones")["orders"] == []
    assert audit_rows(center) == []
