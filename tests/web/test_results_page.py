"""The month's results in the web app: the report's charts and lift table for marketing staff
and supervisors, the reason when the month cannot be judged yet."""

from __future__ import annotations

import datetime as dt
import html
import re

from outbound.config import load_config
from outbound.messages import receipts
from outbound.store.db import open_database
from tests.e2e.conftest import DAY
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
        assert "<td>零次户唤醒</td>" in text and "对照组只有" in text  # title; small holdout
        won = len(set(assigned) & winners)
        assert f"({won}/{len(assigned)})" in text
        assert f"({len(set(holdout) & winners)}/{len(holdout)})" in text
    assert site.login("wangli").page("/marketing/results").status_code == 403


def test_a_month_without_the_next_extract_says_what_to_import(site: Site) -> None:
    with (site.center.folder / "campaigns" / f"{CAMPAIGN}.toml").open("a") as file:
        file.write('success = "calls_30d > 0"\n')
    page = html.unescape(site.login("sunyx").page("/marketing/results?month=2026-10").text)
    assert "要用 2026-11 的账单数据评估，但该月数据尚未导入" in page and "<svg" not in page


def test_the_results_page_shows_the_customers_scores(site: Site) -> None:
    center = site.center
    campaign = center.folder / "campaigns" / f"{CAMPAIGN}.toml"
    with campaign.open("a", encoding="utf-8") as file:
        file.write(
            'survey = { scale = "nps", text = "【中国电信】请为本次服务打分，回复0-10分" }\n'
        )
    judged(center)
    call = next(c for c in center.calls("A01", DAY) if c["campaign"] == CAMPAIGN)
    reason = ("--reason", "price")
    center.ok("outcome", str(call["item"]), "--code", "accepted", *reason, now=f"{DAY} 10:00")
    center.ok("send", now=f"{DAY} 10:30")
    engine = open_database(load_config(center.folder).database_url)
    with engine.begin() as connection:
        form = {"MessageSid": "SM" + "3" * 32, "From": call["phone"], "Body": "８分"}
        assert receipts.inbound(connection, form, dt.datetime(2026, 11, 2, 4, tzinfo=dt.UTC)) == (
            "score"
        )
    engine.dispose()
    page = html.unescape(site.login("sunyx").page("/marketing/results?month=2026-10").text)
    row = re.search(r'<table class="scores">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells == ["零次户唤醒", "NPS（0–10 分）", "1", "1", "8.0", "+0", "–", "0"]
