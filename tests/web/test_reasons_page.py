"""The reasons agents recorded, on the Results page: a chart and a table a campaign, broken
down as the reader picks, in Chinese."""

from __future__ import annotations

import html
import re

from tests.e2e.conftest import DAY
from tests.e2e.test_results import CAMPAIGN, judged
from tests.web.conftest import Site


def cells(page: str, value: str) -> list[str]:
    """The cells of the reasons table's row for VALUE, tags stripped."""
    table = re.search(r'<table class="reasons".*?<tbody>(.*?)</tbody>', page, re.S)
    assert table is not None
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        found = [
            " ".join(re.sub(r"<[^>]+>", "", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if found[0] == value:
            return found
    raise AssertionError(f"no row {value}")


def test_the_results_page_shows_the_reasons_by_agent_with_their_chart(site: Site) -> None:
    judged(site.center)
    a01 = [c for c in site.center.calls("A01", DAY) if c["campaign"] == CAMPAIGN]
    a02 = next(c for c in site.center.calls("A02", DAY) if c["campaign"] == CAMPAIGN)
    for agent, call, reason in (
        ("A01", a01[0], "price"),
        ("A01", a01[1], "moved_away"),
        ("A02", a02, "moved_away"),
    ):
        site.center.ok(
            "outcome",
            str(call["item"]),
            "--code",
            "declined",
            "--reason",
            reason,
            "--agent",
            agent,
            now=f"{DAY} 10:00",
        )
    browser = site.login("sunyx")
    page = html.unescape(browser.page("/marketing/results?month=2026-10&reasons_by=agent").text)
    assert "<h2>原因分析</h2>" in page and "2026-11 接通客户时登记的原因" in page
    assert page.count("<svg") == 4  # rates, progress, the funnel and the reasons
    assert "零次户唤醒：按坐席的原因分布" in page
    assert cells(page, "全部") == [
        "全部",
        "3",
        "2 (66.7%)",
        "0 (0.0%)",
        "1 (33.3%)",
        "0 (0.0%)",
        "0 (0.0%)",
    ]
    assert cells(page, "A02") == [
        "A02",
        "1",
        "1 (100.0%)",
        "0 (0.0%)",
        "0 (0.0%)",
        "0 (0.0%)",
        "0 (0.0%)",
    ]
    by_region = html.unescape(browser.page("/marketing/results?month=2026-10").text)
    assert "零次户唤醒：按区县的原因分布" in by_region
    assert browser.page("/marketing/results?month=2026-10&reasons_by=team").status_code == 400
