"""The agent's desk for a shift over real HTTP: searching the list by number, line or name,
filtering and sorting it, today's done list with its undo (guarded by time and by later
changes), the callbacks that fall due as the clock moves, and the next-call mode."""

from __future__ import annotations

import datetime as dt

import requests

from outbound.config import load_config
from outbound.extract.phones import dialable
from outbound.orders import deadlines
from outbound.orders.undo import UNDO_MINUTES
from outbound.store.db import open_database
from tests.web.conftest import DAY, Browser, Site
from tests.web.test_agent_pages import counter, htmx_post, items_on, lines_on, order


def lines(browser: Browser, **query: str) -> list[int]:
    """The lines the list's htmx search fetches for QUERY."""
    answer = browser.get(browser.url + "/agent/lines", params=query, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "<html" not in answer.text
    return lines_on(answer.text)


def done_list(page: str) -> str:
    return page[
        page.index('<section id="done"') : page.index("</section>", page.index('id="done"'))
    ]


def undo(browser: Browser, item: int, **form: str) -> requests.Response:
    return htmx_post(browser, f"/agent/items/{item}/undo", form)


def test_a_search_finds_a_customer_by_phone_digits_dialled_form_line_id_or_name(
    site: Site,
) -> None:
    calls = site.center.calls("A01", DAY)
    fixed = next(call for call in calls if dialable(call["phone"]).startswith("0"))
    browser = site.login("wangli")
    assert lines(browser, q=fixed["phone"][-7:]) == [fixed["item"]]
    assert lines(browser, q=dialable(fixed["phone"])) == [fixed["item"]]  # e.g. 0934-8548370
    assert lines(browser, q=fixed["line_id"].lower()) == [fixed["item"]]
    assert lines(browser, q="张建超") == [calls[0]["item"]]
    assert lines(browser, q="没有这个人") == []
    page = browser.page("/agent?q=" + fixed["phone"][-7:]).text  # without JavaScript, too
    assert lines_on(page) == [fixed["item"]]


def test_the_list_filters_by_campaign_and_state_and_sorts_by_deadline(site: Site) -> None:
    calls = site.center.calls("A01", DAY)
    complaints = [c["item"] for c in calls if c["campaign"] == "complaint_callback"]
    wakeups = [c["item"] for c in calls if c["campaign"] == "zero_usage_wakeup"]
    browser = site.login("wangli")
    assert lines(browser, campaign="zero_usage_wakeup") == wakeups
    htmx_post(
        browser,
        f"/agent/items/{wakeups[0]}/outcome",
        {"code": "callback", "callback_at": f"{DAY}T15:00"},
    )
    htmx_post(browser, f"/agent/items/{complaints[0]}/outcome", {"code": "satisfied"})
    assert lines(browser, state="callback") == [wakeups[0]]
    assert lines(browser, state="done") == [complaints[0]]
    assert lines(browser, state="new") == [*complaints[1:], *wakeups[1:]]
    assert complaints[0] not in lines(browser)
    assert lines(browser, sort="deadline")[-2:] == wakeups  # no deadline: last
    assert lines(browser, state="bogus", sort="bogus") == lines(browser)


def test_the_done_list_shows_todays_outcomes_with_their_time_and_an_undo(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    assert "今天还没有登记。" in done_list(browser.page("/agent").text)
    htmx_post(browser, f"/agent/items/{item}/outcome", {"code": "declined"})
    done = done_list(browser.page("/agent").text)
    assert "今日已完成（1）" in done
    assert "<time>10:00</time>" in done and "<strong>婉拒</strong>" in done
    assert '<span class="who">张建超</span>' in done
    assert f'hx-post="/agent/items/{item}/undo"' in done and "撤销（10:05 前）" in done
    site.clock.set(f"{DAY}T10:06")
    assert "撤销" not in done_list(browser.page("/agent").text)


def test_an_undo_within_the_window_reverts_the_outcome_and_records_itself(site: Site) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]
    browser = site.login("wangli")
    before = order(site, item)
    htmx_post(browser, f"/agent/items/{item}/outcome", {"code": "wrong_number"})
    assert (order(site, item)["state"], order(site, item)["attempts"]) == ("done", 1)
    assert len(site.center.json("suppress", "list")["suppressions"]) == 1
    site.clock.set(f"{DAY}T10:04")
    answer = undo(browser, item)
    assert answer.status_code == 200
    assert answer.headers["HX-Trigger"] == "desk-changed"
    assert f"工单 {item} 的结果“号码错误”已撤销。" in answer.text
    assert counter(answer.text) == (0, 5)
    after = order(site, item)
    for column in ("state", "attempts", "last_code", "result"):
        assert after[column] == before[column], column
    history = site.center.json("orders", "--history", str(item))["events"]
    assert [e["kind"] for e in history][-3:] == ["undone", "closed", "undo"]
    assert (history[-1]["actor"], history[-1]["code"]) == ("A01", "wrong_number")
    assert item in lines_on(browser.page("/agent").text)
    assert site.center.json("suppress", "list")["suppressions"] == []  # the number is not kept
    assert htmx_post(browser, f"/agent/items/{item}/outcome", {"code": "busy"}).ok


def test_an_undo_after_the_window_is_refused_in_chinese_and_changes_nothing(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    htmx_post(browser, f"/agent/items/{item}/outcome", {"code": "declined"})
    site.clock.set(f"{DAY}T10:{UNDO_MINUTES + 1:02d}")
    answer = undo(browser, item)
    assert answer.status_code == 200 and "HX-Trigger" not in answer.headers
    assert (
        f"工单 {item} 的结果登记于 10:00，结果只能在登记后 5 分钟内撤销。如需更正，请联系班长。"
    ) in answer.text
    assert (order(site, item)["state"], order(site, item)["last_code"]) == ("done", "declined")


def test_an_undo_is_refused_when_the_order_changed_since_the_outcome(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]  # 投诉回访, due in 72 hours
    browser = site.login("wangli")
    callback = {"code": "callback", "callback_at": f"{DAY}T15:00"}
    assert htmx_post(browser, f"/agent/items/{item}/outcome", callback).ok
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    with engine.begin() as connection:  # the deadline watch warns about the order meanwhile
        late = dt.datetime(2026, 11, 4, 18, tzinfo=config.tz)
        assert deadlines.watch(connection, late, config.policy.warn_at, config.tz).warned
    engine.dispose()
    answer = undo(browser, item)
    assert f"工单 {item} 在 10:00 登记结果之后已有其他变动，不能再撤销。" in answer.text
    assert order(site, item)["last_code"] == "callback"


def test_only_whoever_recorded_an_outcome_may_undo_it(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    supervisor = site.api("zhaozz")
    assert supervisor.post(f"{site.url}/api/items/{item}/outcome", json={"code": "declined"}).ok
    answer = undo(site.login("wangli"), item)
    assert f"工单 {item} 的结果由 S01 登记，只有登记人可以撤销。" in answer.text
    assert order(site, item)["state"] == "done"


def test_a_callback_reminder_appears_when_the_clock_reaches_its_time(site: Site) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]
    browser = site.login("wangli")
    htmx_post(
        browser, f"/agent/items/{item}/outcome", {"code": "callback", "callback_at": f"{DAY}T10:30"}
    )
    page = browser.page("/agent").text
    assert 'hx-get="/agent/reminders" hx-trigger="every 30s"' in page
    reminders = browser.get(site.url + "/agent/reminders", headers={"HX-Request": "true"})
    assert "回拨时间已到" not in reminders.text
    site.clock.set(f"{DAY}T10:29")
    assert "回拨时间已到" not in browser.page("/agent/reminders").text
    site.clock.set(f"{DAY}T10:30")
    due = browser.page("/agent/reminders").text
    assert "回拨时间已到（1）" in due and "预约回拨 10:30" in due
    assert f'href="/agent/next?item={item}"' in due


def test_the_next_call_mode_shows_one_customer_and_an_outcome_brings_the_next(site: Site) -> None:
    first, second, *_ = site.center.calls("A01", DAY)
    browser = site.login("wangli")
    page = browser.page("/agent/next").text
    assert items_on(page) == [first["item"]]
    assert 'name="then" value="next"' in page and 'hx-target="#next"' in page
    answer = htmx_post(
        browser,
        f"/agent/items/{first['item']}/outcome",
        {"code": "declined", "then": "next", "skip": ""},
    )
    assert answer.status_code == 200 and "<html" not in answer.text
    assert items_on(answer.text) == [second["item"]]
    assert "已登记：张建超，婉拒。" in answer.text and "撤销（10:05 前）" in answer.text
    assert counter(answer.text) == (1, 5)
    skipped = browser.page(f"/agent/next?skip={second['item']}").text
    assert items_on(skipped) == [site.center.calls("A01", DAY)[1]["item"]]


def test_the_next_call_mode_keeps_a_refused_customer_with_the_reason(site: Site) -> None:
    first = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    answer = htmx_post(
        browser, f"/agent/items/{first}/outcome", {"code": "callback", "then": "next"}
    )
    assert answer.status_code == 409
    assert items_on(answer.text) == [first] and "预约回拨需要填写回拨时间。" in answer.text


def test_the_english_page_speaks_english(site: Site) -> None:
    browser = site.login("wangli")
    browser.page("/lang/en?next=/agent")
    page = browser.page("/agent").text
    assert "Next call" in page and "Done today (0)" in page and "Phone, line id or name" in page
    assert "In call order" in page and "To call" in page
    assert "待拨打" not in page and "今日已完成" not in page
