"""Marketing staff in Chromium, on a desktop screen (1366×768) and a phone (390×844): the rule
editor answers as they type, first with the error and a caret under it, then with the values a
category takes, then, corrected, with the count; the rule saved as a segment, exported as CSV;
a campaign paused and resumed."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.web.conftest import Site

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def editor(site: Site, logged_in: Callable[[str], Page], size: dict[str, int]) -> Page:
    page = logged_in("sunyx")
    page.set_viewport_size(size)
    page.goto(site.url + "/marketing/rules")
    return page


def type_rule(page: Page, rule: str) -> None:
    box = page.locator("textarea[name=rule]")
    box.fill("")
    box.press_sequentially(rule, delay=2)


def test_the_rule_editor_shows_an_error_caret_and_then_a_count(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    expected = site.center.json("preview", "high_spend")
    page = editor(site, logged_in, DESKTOP)
    type_rule(page, 'region == "西峰区" and calls_3d > 1')
    caret = page.locator("#result pre.caret")
    expect(caret).to_contain_text("^")
    expect(page.locator("#result")).to_contain_text("calls_3d")
    shot(page, "marketing-rule-error")

    type_rule(page, expected["where"])
    expect(page.locator("#result .count strong")).to_have_text(f"{expected['count']:,}")
    expect(page.locator("#result pre.caret")).to_have_count(0)
    shot(page, "marketing-rule-count")
    page.goto(site.url + "/marketing")
    shot(page, "marketing-segments")


def test_a_raw_category_value_is_answered_with_the_values_and_the_rule_saved_as_a_segment(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    page = editor(site, logged_in, DESKTOP)
    type_rule(page, "status == '在用' and calls_30d == 0")
    result = page.locator("#result")
    expect(result).to_contain_text("status 没有取值“在用”；它的取值有：active, closed, suspended")
    expect(result).to_contain_text("账单中的“在用”导入后为“active”")
    shot(page, "marketing-rule-values")

    type_rule(page, "status == 'active' and calls_30d == 0")
    expect(result.locator(".count strong")).to_be_visible()
    with page.expect_download() as downloaded:
        result.get_by_role("link", name="导出 CSV").click()
    exported = downloaded.value.path().read_bytes()
    assert exported.startswith(b"\xef\xbb\xbfline_id,")
    form = result.locator("form.save-segment")
    form.locator("input[name=name]").fill("zero_usage")
    form.locator("input[name=title]").fill("零次户")
    form.get_by_role("button", name="保存").click()
    expect(result.locator("form.save-segment .note")).to_contain_text("已有名为")
    result.locator("input[name=name]").fill("quiet_active")
    result.get_by_role("button", name="保存").click()
    expect(result.locator("form.save-segment .note")).to_have_text(
        "已保存为 segments/quiet_active.toml。"
    )
    shot(page, "marketing-rule-saved")
    saved = (site.center.folder / "segments" / "quiet_active.toml").read_text("utf-8")
    assert saved == 'title = "零次户"\nwhere = "status == \'active\' and calls_30d == 0"\n'


def test_on_a_phone_the_rule_editor_fits_the_screen(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    page = editor(site, logged_in, PHONE)
    type_rule(page, "status == 'active' and calls_30d == 0")
    expect(page.locator("#result .count strong")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "marketing-rule-phone")


def test_a_campaign_is_paused_and_resumed_from_the_campaigns_page(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    page = logged_in("sunyx")
    page.set_viewport_size(DESKTOP)
    page.goto(site.url + "/marketing/campaigns")
    row = page.locator("tr[data-campaign=upsell_sms]")
    row.get_by_role("button", name="暂停").click()
    expect(row).to_contain_text("已暂停")
    path = site.center.folder / "campaigns" / "upsell_sms.toml"
    assert "paused = true\n" in path.read_text("utf-8")
    shot(page, "marketing-campaigns-paused")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = row.get_by_role("button", name="恢复").bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    shot(page, "marketing-campaigns-phone")
    row.get_by_role("button", name="恢复").click()
    expect(row).not_to_contain_text("已暂停")
    assert "paused" not in path.read_text("utf-8")
