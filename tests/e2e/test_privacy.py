"""Customers' numbers at the command line: every listing and export masks them; --full-phones
shows them and writes one audit row a run, as the OS user; `engine audit` lists the rows."""

from __future__ import annotations

import getpass
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import DAY, Center
from tests.e2e.test_scores import calls, center, clock, hooks, reached, reply  # noqa: F401
from tests.e2e.test_webhooks import Webhooks

# A full number anywhere in a text: an 11-digit mobile, or any number written +86...
FULL = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|\+86")
MASKED = re.compile(r"(?<![\d*])\d{3}\*{3,4}\d{4}(?![\d*])")
# Each listing that prints customers' numbers, and the column naming the items it shows.
LISTINGS = {
    "outbox": ("outbox",),
    "calls": ("calls", "--agent", "A01", "--date", DAY),
    "preview": ("preview", "complaints"),
    "preview-message": ("preview-message", "upsell_sms", "--date", DAY),
    "suppress list": ("suppress", "list"),
    "scores --unparsed": ("scores", "--unparsed"),
}


@pytest.fixture
def worked(center: Center, hooks: Webhooks) -> Center:  # noqa: F811
    """The day's surveys sent, one reply nobody can read, one number suppressed."""
    call = calls(center, "zero_usage_wakeup")[0]
    reached(center, call)
    center.ok("send", now=f"{DAY} 10:30")
    reply(hooks, call["phone"], "明天下午3点给我回电话", "3")
    center.ok("suppress", "add", calls(center, "complaint_callback")[0]["phone"])
    return center


def audit(worked: Center, *more: str) -> list[dict]:
    return worked.json("audit", *more)["views"]


def new_views(worked: Center, before: list[dict]) -> list[dict]:
    """The audit rows written since BEFORE was listed (two alike in one second both count)."""
    after = audit(worked)
    for view in before:
        after.remove(view)
    return after


def file_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, engine="openpyxl").to_csv(index=False)
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_every_listing_and_export_shows_numbers_masked_and_logs_nothing(
    worked: Center, tmp_path: Path, listing: str
) -> None:
    before = audit(worked)
    args = LISTINGS[listing]
    texts = [worked.ok(*args, "--format", fmt) for fmt in ("table", "csv", "json")]
    if listing not in ("preview-message", "suppress list"):  # these write no files
        for suffix in (".csv", ".json", ".xlsx"):
            path = tmp_path / f"export{suffix}"
            worked.ok(*args, "--output", str(path))
            texts.append(file_text(path))
    for text in texts:
        assert FULL.search(text) is None, text[:300]
        assert MASKED.search(text), text[:300]  # the listing does show its numbers, masked
    assert audit(worked) == before


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_full_phones_shows_the_numbers_and_writes_one_audit_row_as_the_os_user(
    worked: Center, listing: str
) -> None:
    before = audit(worked)
    rows = worked.json(*LISTINGS[listing], "--full-phones", now=f"{DAY} 16:00")
    text = json.dumps(rows, ensure_ascii=False)
    assert FULL.search(text) and MASKED.search(text) is None
    (newest,) = new_views(worked, before)
    assert (newest["who"], newest["role"], newest["at"]) == (
        getpass.getuser(),
        "command",
        f"{DAY} 16:00:00",
    )
    assert newest["where"] == "engine " + listing.removesuffix(" --unparsed")
    shown = len(re.findall(r'"(?:prev\.)?phone": "\+86', text))
    assert newest["numbers"] == shown > 0


def test_the_audit_row_names_the_items_shown(worked: Center) -> None:
    before = audit(worked)
    listed = worked.json("calls", "--agent", "A02", "--date", DAY, "--full-phones")["calls"]
    items = [str(call["item"]) for call in listed]
    assert 0 < len(items) <= 50
    (view,) = new_views(worked, before)
    assert view["subject"] == f"{len(items)}: {','.join(items)}"


def test_the_audit_log_is_listed_newest_first_by_person_and_day(
    worked: Center, tmp_path: Path
) -> None:
    worked.ok("outbox", "--full-phones", now="2026-11-03 09:00")
    worked.ok("suppress", "list", "--full-phones", now="2026-11-04 09:00")
    views = audit(worked)
    assert [view["at"] for view in views] == sorted((view["at"] for view in views), reverse=True)
    mine = [view["where"] for view in views if view["where"] != "engine calls"]
    assert mine == ["engine suppress list", "engine outbox"]
    since = [view["where"] for view in audit(worked, "--since", "2026-11-04")]
    assert "engine suppress list" in since and "engine outbox" not in since
    assert audit(worked, "--who", getpass.getuser()) == views
    assert audit(worked, "--who", "王丽") == []
    path = tmp_path / "audit.csv"
    worked.ok("audit", "--output", str(path))
    exported = pd.read_csv(path, encoding="utf-8-sig")
    assert exported.columns.tolist() == ["at", "who", "role", "where", "subject", "numbers"]
    assert len(exported) == len(views)


def test_an_audit_day_that_is_not_a_date_is_refused_with_the_option_named(
    worked: Center,
) -> None:
    code, _, err = worked.engine("audit", "--since", "11/03/2026")
    assert code == 2 and "--since" in err and "Traceback" not in err
