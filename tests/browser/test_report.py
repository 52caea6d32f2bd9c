"""The month's HTML report opens in Chromium without an error and shows its charts."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.browser.conftest import shot
from tests.e2e.conftest import Center
from tests.e2e.test_results import CAMPAIGN, judged
from tests.language import english_runs

TITLE = "零次户唤醒"  # CAMPAIGN's title


def opened(chromium: Browser, report: Path) -> Page:
    """The REPORT file in a new page, which opened without a script or console error."""
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(report.as_uri())
    assert errors == []
    return page


def test_the_html_report_opens_without_errors_and_shows_its_charts(
    center: Center, chromium: Browser
) -> None:
    assigned, _, _ = judged(center)
    report = center.folder / "report-2026-10.html"
    said = center.ok("report", "--month", "2026-10", "--format", "html", "--output", str(report))
    assert str(report) in said
    page = opened(chromium, report)
    assert page.locator("figure.rates svg").count() == 1
    funnel = page.locator(f'figure.funnel[data-campaign="{CAMPAIGN}"] svg')
    assert funnel.count() == 1
    assert f"{len(assigned):,}" in funnel.text_content()  # the assigned bar's label
    assert page.locator("figure.rates svg").bounding_box()["height"] > 100
    assert TITLE in page.locator("table").first.inner_text()
    assert page.locator("figure.progress svg").count() == 1
    assert page.locator("table.section.campaigns").inner_text().count(TITLE) == 1
    assert english_runs(page.locator("body").inner_text()) == []
    for chart in page.locator("figure svg text").all_text_contents():
        assert english_runs(chart) == [], chart
    shot(page, "report-month")
    page.close()


def test_the_html_report_is_in_english_on_request(center: Center, chromium: Browser) -> None:
    judged(center)
    report = center.folder / "report-2026-10-en.html"
    center.ok(
        "report", "--month", "2026-10", "--format", "html", "--lang", "en", "--output", str(report)
    )
    page = chromium.new_page()
    page.goto(report.as_uri())
    text = page.locator("body").inner_text()
    assert "Daily progress against quota" in text and "too small to tell a lift" in text
    assert "对照组" not in text and "每日进度与定额" not in text
    page.close()


def test_the_weeks_report_opens_in_chinese_with_its_targets_and_reasons_drawn(
    center: Center, chromium: Browser
) -> None:
    from tests.e2e.test_reports import WEEK, _work_two_days

    _work_two_days(center)
    unhappy = str(center.calls("A01", "2026-11-03")[0]["item"])
    center.ok("outcome", unhappy, "--code", "unsatisfied", now="2026-11-03 16:00")
    report = center.folder / "周报.html"
    center.ok("report", "--week", WEEK, "--output", str(report), now="2026-11-03 18:00")
    page = opened(chromium, report)
    for part in ("targets", "agents", "reasons_region"):
        assert page.locator(f"figure.chart.{part} svg").count() >= 1, part
        assert page.locator(f"figure.chart.{part} svg").first.bounding_box()["height"] > 80
    missed = page.locator("table.section.targets tr.miss")
    assert missed.count() >= 1 and "未达标" in missed.first.inner_text()
    assert "资费原因" in page.locator("table.section.reasons_region").inner_text()
    assert english_runs(page.locator("body").inner_text()) == []
    for chart in page.locator("figure svg text").all_text_contents():
        assert english_runs(chart) == [], chart
    shot(page, "report-week")
    page.close()
