"""The month's results in the web app: the report's charts and lift table for marketing staff
and supervisors, the reason when the month cannot be judged yet."""

from __future__ import annotations

import html

from tests.e2e.test_results import CAMPAIGN, judged
from tests.web.conftest import Site


def test_marketing_and_supervisors_see_the_charts_and_the_lift(site: Site) -> None:
    assigned, holdout, winners = judged(site.center)
    for name in ("sunyx", "zhaozz"):
        page = site.login(name).page("/marketing/results?month=2026-10")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert text.count("<svg") == 3  # the rates, daily progress, and the campaign's funnel
        assert '<figure class="chart progress">' in text
        assert f'data-campaign="{CAMPAIGN}"' in text
        won = len(set(assigned) & winners)
        assert f"({won}/{len(assigned)})" in text
        assert f"({len(set(holdout) & winners)}/{len(holdout)})" in text
    assert site.login("wangli").page("/marketing/results").status_code == 403


def test_a_month_without_the_next_extract_says_what_to_import(site: Site) -> None:
    with (site.center.folder / "campaigns" / f"{CAMPAIGN}.toml").open("a") as file:
        file.write('success = "calls_30d > 0"\n')
    page = html.unescape(site.login("sunyx").page("/marketing/results?month=2026-10").text)
    assert "engine import FILE --month 2026-11" in page and "<svg" not in page
