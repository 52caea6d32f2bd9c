"""The month's HTML report opens in Chromium without an error and shows its charts."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser.conftest import shot
from tests.e2e.conftest import Center
from tests.e2e.test_results import CAMPAIGN, judged
from tests.language import english_runs

TITLE = "零次户唤醒"  # CAMPAIGN's title


def test_the_html_report_opens_without_errors_and_shows_its_charts(
    center: Center, chromium: Browser
) -> None:
    assigned, _, _ = judged(center)
    report = center.folder / "report-2026-10.html"
    said = center.ok("report", "--month", "2026-10", "--format", "html", "--output", str(report))
    assert str(report) in said
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(report.as_uri())
    assert errors == []
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
