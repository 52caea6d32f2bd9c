"""The marketing pages over real HTTP: segment counts, the rule editor, campaigns' progress and
the SMS preview, with every phone masked and every page kept from other roles."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.extract import snapshots
from outbound.plan import segment_counts
from outbound.store.db import open_database
from outbound.web import i18n
from outbound.web.site import masked
from tests.web.conftest import DAY, Browser, Site

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
    return dict(re.findall(r'<td class="num (\w+)">([^<]*)</td>', row[1]))


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
    assert "rule: unknown column 'calls_3d'" in fragment
    assert "did you mean 'calls_30d'?" in fragment
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
    assert "no extract is loaded for 2025-01" in fragment


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
    expected = site.center.json("preview-message", "upsell_sms", "--date", DAY, now=f"{DAY} 10:00")
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
