"""The marketing pages over real HTTP: segment counts, the rule editor, campaigns' progress and
the SMS preview, with every phone masked and every page kept from other roles."""

from __future__ import annotations

import csv
import html
import io
import os
import re
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.extract import snapshots
from outbound.plan import segment_counts
from outbound.privacy import mask as masked
from outbound.store.db import open_database
from outbound.web import i18n
from tests.web.conftest import DAY, Browser, Site, csrf_of

PAGES = ["/marketing", "/marketing/rules", "/marketing/campaigns", "/marketing/sms"]
TEMPLATES = Path(__file__).resolve().parents[2] / "outbound" / "web" / "templates" / "marketing"


def row_of(page: str, name: str) -> list[str]:
    """The cells of the table row that starts with NAME, as text."""
    row = re.search(rf"<tr[^>]*>\s*<td>{re.escape(name)}</td>(.*?)</tr>", page, re.S)
    assert row, f"no row {name}"
    return [
        html.unescape(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    ]


def progress_of(page: str, campaign: str) -> dict[str, str]:
    row = re.search(rf'<tr data-campaign="{campaign}">(.*?)</tr>', page, re.S)
    assert row, f"no campaign {campaign}"
    return dict(re.findall(r'<td class="num (\w+)"[^>]*>([^<]*)</td>', row[1]))


def check_rule(browser: Browser, rule: str, month: str = "") -> str:
    answer = browser.submit(
        "/marketing/rules/check", {"rule": rule, "month": month}, from_page="/marketing/rules"
    )
    assert answer.status_code == 200
    return html.unescape(answer.text)


def count_shown(fragment: str) -> int:
    found = re.search(r"<strong>([\d,]+)</strong>", fragment)
    assert found, fragment[:500]
    return int(found[1].replace(",", ""))


def all_phones(site: Site) -> set[str]:
    """Every phone number of both loaded months."""
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    phones: set[str] = set()
    for month in snapshots.loaded_months(engine):
        frame = snapshots.load_month(config, engine, month, ["line_id", "phone"])
        assert frame is not None
        phones |= set(frame["phone"].astype(str))
    engine.dispose()
    return phones


def test_the_segments_page_shows_each_segments_count_this_month_and_last_with_the_change(
    site: Site,
) -> None:
    latest = {s["segment"]: s["count"] for s in site.center.json("segments")["segments"]}
    before = site.center.json("segments", "--month", "2026-09")["segments"]
    page = site.login("sunyx").page("/marketing").text
    assert "2026-10" in page and "2026-09" in page
    for segment in before:
        name, previous = segment["segment"], segment["count"]
        cells = row_of(page, name)
        assert cells[1:4] == [f"{previous:,}", f"{latest[name]:,}", f"{latest[name] - previous:+,}"]


def test_a_second_visit_reuses_the_counts_until_a_segment_file_changes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = []
    count = segment_counts._count

    def counting(config: Config, engine: sa.Engine) -> segment_counts.Counts:
        computed.append(1)
        return count(config, engine)

    monkeypatch.setattr(segment_counts, "_count", counting)
    browser = site.login("sunyx")
    browser.page("/marketing")
    browser.page("/marketing")
    assert len(computed) == 1
    segment = site.center.folder / "segments" / "complaints.toml"
    segment.write_text('title = "投诉用户"\nwhere = "complaints > 1"\n', encoding="utf-8")
    stamp = segment.stat().st_mtime_ns + 1_000_000_000
    os.utime(segment, ns=(stamp, stamp))
    page = browser.page("/marketing").text
    assert len(computed) == 2
    assert "complaints%20%3E%201" in page


def test_a_broken_segment_file_shows_its_sentence_beside_the_other_counts(site: Site) -> None:
    broken = site.center.folder / "segments" / "lapsed.toml"
    broken.write_text('title = "流失"\nwhere = "status == \'active\' and calls_3d == 0"\n')
    page = html.unescape(site.login("sunyx").page("/marketing").text)
    assert "segments/lapsed.toml: where: unknown column 'calls_3d'" in page
    assert "did you mean 'calls_30d'?" in page
    assert row_of(page, "complaints")


def test_the_rule_check_shows_an_unknown_column_with_the_suggestion_and_a_caret(
    site: Site,
) -> None:
    fragment = check_rule(site.login("sunyx"), 'region == "西峰区" and calls_3d > 1')
    assert "没有列“calls_3d”。" in fragment
    assert "是否想写 calls_30d？" in fragment
    caret = re.search(r'<pre class="caret">(.*?)</pre>', fragment, re.S)
    assert caret, fragment
    # 西峰区 takes six columns, as in the command line's message
    assert caret[1] == 'region == "西峰区" and calls_3d > 1\n' + " " * 23 + "^" * 8


def test_a_valid_rule_counts_what_engine_preview_counts_in_either_month(site: Site) -> None:
    browser = site.login("sunyx")
    for segment in ("complaints", "high_spend", "zero_usage"):
        for month in ("2026-10", "2026-09"):
            preview = site.center.json("preview", segment, "--month", month)
            fragment = check_rule(browser, preview["where"], month)
            assert count_shown(fragment) == preview["count"], (segment, month)
            assert f"共 {preview['of']:,} 条（{month}）" in fragment


def test_a_rule_on_a_chinese_region_selects_only_that_region(site: Site) -> None:
    fragment = check_rule(site.login("sunyx"), "region == '西峰区' and calls_30d > 0")
    assert count_shown(fragment) > 0
    rows = re.findall(r"<tr><td>QY\d+</td>(.*?)</tr>", fragment, re.S)
    assert len(rows) == 10
    assert all("<td>西峰区</td>" in row for row in rows)
    assert check_rule(site.login("sunyx"), "region == '不存在区'").count("<tr><td>QY") == 0


def test_the_rule_editor_checks_a_rule_given_in_its_address_without_javascript(
    site: Site,
) -> None:
    expected = site.center.json("preview", "complaints")["count"]
    page = site.login("sunyx").page("/marketing/rules?rule=complaints+%3E+0&month=2026-10").text
    assert "<textarea" in page and "complaints &gt; 0</textarea>" in page
    assert count_shown(page) == expected


def test_the_rule_check_names_a_month_that_is_not_loaded(site: Site) -> None:
    fragment = check_rule(site.login("sunyx"), "complaints > 0", "2025-01")
    assert "2025-01 的账单数据尚未导入" in fragment


def test_campaign_progress_moves_after_an_outcome(site: Site) -> None:
    browser = site.login("sunyx")
    before = progress_of(browser.page("/marketing/campaigns").text, "complaint_callback")
    item = next(c for c in site.center.calls("A01", DAY) if c["campaign"] == "complaint_callback")
    site.center.ok("outcome", str(item["item"]), "--code", "accepted", now=f"{DAY} 10:00")
    after = progress_of(browser.page("/marketing/campaigns").text, "complaint_callback")
    assert int(after["created"]) == int(before["created"]) > 0
    assert int(after["open"]) == int(before["open"]) - 1
    assert int(after["done"]) == int(before["done"]) + 1
    assert int(after["converted"]) == int(before["converted"]) + 1
    sms = progress_of(browser.page("/marketing/campaigns").text, "upsell_sms")
    waiting = site.center.json("outbox", "--campaign", "upsell_sms")["count"]
    assert sms["sent"] == f"0 / {waiting}" and sms["delivered"] == "0"


def test_the_sms_preview_shows_masked_phones_the_segment_count_and_sms_parts(site: Site) -> None:
    expected = site.center.json(
        "preview-message", "upsell_sms", "--date", DAY, "--full-phones", now=f"{DAY} 10:00"
    )
    segment = site.center.json("preview", "high_spend")["count"]
    browser = site.login("sunyx")
    answer = browser.submit(
        "/marketing/sms/preview", {"campaign": "upsell_sms"}, from_page="/marketing/sms"
    )
    fragment = html.unescape(answer.text)
    assert f"客户群 high_spend：{segment} 条线路。" in fragment
    assert f"{expected['messages']} 条消息，共计 {expected['segments']} 条计费短信" in fragment
    for message in expected["sample"]:
        assert masked(message["phone"]) in fragment
        assert message["phone"] not in fragment
        assert message["text"] in fragment


def test_the_sms_preview_of_a_call_campaign_says_why_there_is_none(site: Site) -> None:
    page = html.unescape(site.login("sunyx").page("/marketing/sms?campaign=zero_usage_wakeup").text)
    assert "zero_usage_wakeup is a call campaign" in page


def test_no_marketing_page_shows_a_full_phone_number(site: Site) -> None:
    browser = site.login("sunyx")
    seen = [browser.page(path).text for path in PAGES]
    seen.append(browser.page("/marketing/sms?campaign=upsell_sms").text)
    seen.append(check_rule(browser, "calls_30d >= 0"))
    seen.append(check_rule(browser, "phone != prev.phone or calls_30d >= 0", "2026-10"))
    text = "\n".join(seen)
    assert re.search(r"\b1\d\d\*{4}\d{4}\b", text)  # 139****5678
    phones = all_phones(site)
    assert len(phones) > 500
    assert not [phone for phone in phones if phone[3:] in text]


def test_an_agent_is_refused_every_marketing_page(site: Site) -> None:
    browser = site.login("wangli")
    for path in [*PAGES, "/marketing/sms?campaign=upsell_sms"]:
        assert browser.page(path).status_code == 403, path
    refused = browser.submit(
        "/marketing/rules/check", {"rule": "complaints > 0"}, from_page="/agent"
    )
    assert refused.status_code == 403


def test_a_marketing_page_without_a_session_sends_the_browser_to_log_in(site: Site) -> None:
    assert Browser(site.url).page("/marketing/rules").url.endswith("/login?next=/marketing/rules")


def test_a_rule_check_without_the_csrf_token_is_refused(site: Site) -> None:
    browser = site.login("sunyx")
    answer = browser.post(site.url + "/marketing/rules/check", data={"rule": "complaints > 0"})
    assert answer.status_code == 403
    preview = browser.post(site.url + "/marketing/sms/preview", data={"campaign": "upsell_sms"})
    assert preview.status_code == 403


def test_the_pages_are_in_chinese_by_default_and_english_on_switch(site: Site) -> None:
    browser = site.login("sunyx")
    assert "各活动至今的工单和消息" in browser.page("/marketing/campaigns").text
    browser.page("/lang/en?next=/marketing/campaigns")
    assert "Each campaign&#39;s work orders" in browser.page("/marketing/campaigns").text


def test_every_text_of_the_marketing_pages_has_its_chinese() -> None:
    texts = {
        text
        for template in TEMPLATES.glob("*.html")
        for text in re.findall(r'_\("([^"]+)"', template.read_text(encoding="utf-8"))
    }
    assert texts
    assert sorted(texts - set(i18n.chinese())) == []


def save(browser: Browser, data: dict[str, str], htmx: bool = False) -> requests.Response:
    token = csrf_of(browser.page("/marketing/rules").text)
    headers = {"HX-Request": "true"} if htmx else {}
    return browser.post(
        browser.url + "/marketing/segments", data={**data, "csrf": token}, headers=headers
    )


def test_a_raw_or_misspelt_category_value_is_named_with_the_columns_values(site: Site) -> None:
    browser = site.login("sunyx")
    fragment = check_rule(browser, "status == '在用' and calls_30d == 0")
    assert "status 没有取值“在用”；它的取值有：active, closed, suspended。" in fragment
    assert "账单中的“在用”导入后为“active”：请写后者。" in fragment
    assert "<strong>" not in fragment  # no count of 0
    misspelt = check_rule(browser, "status == 'actve'")
    assert "您是不是要写“active”？" in misspelt
    plan = check_rule(browser, "plan == '家家E'")
    assert "plan 没有取值“家家E”" in plan and "家家e" in plan and "天翼畅享" in plan
    english = site.login("sunyx")
    english.page("/lang/en?next=/marketing/rules")
    said = check_rule(english, "plan == '家家E'")
    assert "plan has no value “家家E”; its values: " in said and "天翼畅享" in said
    assert "Did you mean “家家e”?" in said


def test_a_checked_rule_is_offered_to_save_and_saved_as_a_segment_file(site: Site) -> None:
    browser = site.login("sunyx")
    rule = "status == 'active' and region == '西峰区' and calls_30d == 0"
    fragment = check_rule(browser, rule)
    assert 'action="/marketing/segments"' in fragment and f'value="{rule}"' in fragment
    answer = save(browser, {"name": "quiet_xifeng", "title": "西峰区零次户", "rule": rule})
    assert answer.url.endswith("/marketing")
    assert row_of(answer.text, "quiet_xifeng")[0] == "西峰区零次户"
    saved = (site.center.folder / "segments" / "quiet_xifeng.toml").read_text("utf-8")
    assert saved == f'title = "西峰区零次户"\nwhere = "{rule}"\n'
    assert site.center.json("preview", "quiet_xifeng")["count"] == count_shown(fragment)


def test_saving_over_an_existing_segment_needs_the_replace_box(site: Site) -> None:
    browser = site.login("sunyx")
    path = site.center.folder / "segments" / "complaints.toml"
    kept = path.read_text("utf-8")
    data = {"name": "complaints", "title": "多次投诉", "rule": "complaints > 2"}
    refused = save(browser, data, htmx=True)
    assert refused.status_code == 200  # htmx swaps a 200 only: the form comes back with why
    text = html.unescape(refused.text)
    assert "已有名为“complaints”的客户群；如要覆盖请勾选“覆盖已有文件”" in text
    assert 'name="replace" value="yes"' in text
    assert path.read_text("utf-8") == kept
    replaced = save(browser, {**data, "replace": "yes"}, htmx=True)
    assert replaced.status_code == 200 and "已保存为 segments/complaints.toml。" in replaced.text
    assert 'where = "complaints > 2"' in path.read_text("utf-8")


@pytest.mark.parametrize("name", ["../config", "Lapsed", "lapsed users", ""])
def test_a_segment_name_that_is_no_safe_file_name_is_refused(site: Site, name: str) -> None:
    before = sorted(p.name for p in site.center.folder.rglob("*"))
    answer = save(site.login("sunyx"), {"name": name, "rule": "complaints > 0"})
    assert answer.status_code == 409
    assert f"客户群名称“{name}”不可用" in html.unescape(answer.text)
    assert sorted(p.name for p in site.center.folder.rglob("*")) == before


def test_the_rule_check_exports_every_selected_line_as_excel_ready_csv_phones_masked(
    site: Site,
) -> None:
    preview = site.center.json("preview", "high_spend")
    answer = site.login("sunyx").get(
        site.url + "/marketing/rules/export.csv",
        params={"rule": preview["where"], "month": "2026-10"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="rule-2026-10.csv"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == preview["count"] > 10
    assert "customer_name" in rows[0] and any("区" in row["region"] for row in rows)
    assert all(re.fullmatch(r"\d{3}\*+\d{4}", row["phone"]) for row in rows)
    refused = site.login("sunyx").get(
        site.url + "/marketing/rules/export.csv", params={"rule": "calls_3d > 1"}
    )
    assert refused.status_code == 422 and "没有列“calls_3d”" in refused.text


def test_a_campaign_paused_on_the_page_shows_paused_and_is_resumed(site: Site) -> None:
    browser = site.login("sunyx")
    path = site.center.folder / "campaigns" / "upsell_sms.toml"
    paused = browser.submit(
        "/marketing/campaigns/upsell_sms/pause", {}, from_page="/marketing/campaigns"
    )
    assert paused.status_code == 200
    row = re.search(r'<tr data-campaign="upsell_sms" class="paused">(.*?)</tr>', paused.text, re.S)
    assert row and "已暂停" in row[1] and "恢复" in row[1]
    assert "paused = true\n" in path.read_text("utf-8")
    token = csrf_of(browser.page("/marketing/campaigns").text)
    resumed = browser.post(
        site.url + "/marketing/campaigns/upsell_sms/resume",
        data={"csrf": token},
        headers={"HX-Request": "true"},
    )
    assert resumed.text.lstrip().startswith('<tr data-campaign="upsell_sms">')
    assert "暂停" in resumed.text and "已暂停" not in resumed.text
    assert "paused" not in path.read_text("utf-8")


def test_pausing_an_unknown_campaign_or_without_the_token_is_refused(site: Site) -> None:
    browser = site.login("sunyx")
    unknown = browser.submit(
        "/marketing/campaigns/nothing/pause", {}, from_page="/marketing/campaigns"
    )
    assert unknown.status_code == 404
    bare = browser.post(site.url + "/marketing/campaigns/upsell_sms/pause")
    assert bare.status_code == 403
    assert "paused" not in (site.center.folder / "campaigns" / "upsell_sms.toml").read_text()
