"""The agent's list over real HTTP: one line a customer in call order, each card with its script,
outcomes posted with htmx (the card, its line, the done list and the day's counter swapped),
refusals next to the form in Chinese, giving back, and nobody else's items."""

from __future__ import annotations

import html
import re

import requests

from outbound.extract.phones import dialable
from tests.web.conftest import DAY, Browser, Site, csrf_of

NOTE = "客户在开会，下午三点再打"


def htmx_post(browser: Browser, path: str, data: dict[str, str]) -> requests.Response:
    """Post DATA as the page's htmx does: the token in the X-CSRF-Token header."""
    token = csrf_of(browser.page("/agent").text)
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    return browser.post(browser.url + path, data=data, headers=headers)


def items_on(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<article class="card item" id="item-(\d+)"', page)]


def lines_on(page: str) -> list[int]:
    """The customers' lines of a list page, in their order."""
    return [int(found) for found in re.findall(r'<details class="line" id="line-(\d+)"', page)]


def card_of(browser: Browser, item: int) -> requests.Response:
    """ITEM's card as the list's htmx fetches it when its line opens."""
    return browser.get(browser.url + f"/agent/items/{item}", headers={"HX-Request": "true"})


def counter(page: str) -> tuple[int, int]:
    found = re.search(
        r'id="progress".*?<strong class="num">(\d+)</strong> / <span class="num">(\d+)</span>',
        page,
        re.DOTALL,
    )
    assert found, "no counter on the page"
    return int(found.group(1)), int(found.group(2))


def order(site: Site, item: int) -> dict:
    """Work order ITEM as the command line lists it."""
    return next(row for row in site.center.json("orders")["orders"] if row["id"] == item)


def test_the_list_shows_one_line_a_customer_in_call_order_with_the_number_to_dial(
    site: Site,
) -> None:
    calls = site.center.calls("A01", DAY)
    browser = site.login("wangli")
    page = browser.page("/agent")
    assert page.status_code == 200
    assert lines_on(page.text) == [call["item"] for call in calls]
    assert items_on(page.text) == []  # cards open from their lines
    for call in calls:
        opened = f'data-opened="/agent/items/{call["item"]}/opened"'
        link = f'<a class="phone" href="tel:{call["phone"]}" {opened}>{dialable(call["phone"])}</a>'
        assert link in page.text
    assert "投诉回访" in page.text and "complaint_callback</span>" not in page.text
    assert '<span class="who">张建超</span>' in page.text  # the customer's name, from the extract
    for call in site.center.calls("A02", DAY):
        assert f'id="line-{call["item"]}"' not in page.text
        assert call["phone"] not in page.text


def test_a_lines_card_has_the_script_and_a_button_with_a_key_for_each_outcome(
    site: Site,
) -> None:
    call = site.center.calls("A01", DAY)[0]
    card = card_of(site.login("wangli"), call["item"])
    assert card.status_code == 200 and "<html" not in card.text
    assert items_on(card.text) == [call["item"]]
    assert html.escape(call["script"]) in card.text
    assert (
        '<button type="submit" name="code" value="no_answer" data-key="1" '
        'aria-keyshortcuts="1" class="code"><kbd>1</kbd> 无人接听</button>'
    ) in card.text
    assert 'value="do_not_call" data-key="0"' in card.text
    assert "data-close" in card.text


def test_a_callback_that_is_due_comes_first_and_a_later_one_keeps_its_place(site: Site) -> None:
    first, *_, before_last, last = [call["item"] for call in site.center.calls("A01", DAY)]
    browser = site.login("wangli")
    for item, time in ((last, "10:30"), (before_last, "16:00")):
        answer = htmx_post(
            browser,
            f"/agent/items/{item}/outcome",
            {"code": "callback", "callback_at": f"{DAY}T{time}"},
        )
        assert answer.status_code == 200, answer.text
    site.clock.set(f"{DAY}T10:45")
    page = browser.page("/agent").text
    assert lines_on(page)[:2] == [last, first]
    assert lines_on(page)[-1] == before_last
    line = page[page.index(f'id="sum-{last}"') :]
    assert (
        '<span class="status callback_due">回拨时间已到</span>' in line[: line.index("</summary>")]
    )
    assert "预约回拨 10:30" in line[: line.index("</summary>")]


def test_recording_an_outcome_with_htmx_swaps_the_card_its_line_and_the_counter(
    site: Site,
) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    assert counter(browser.page("/agent").text) == (0, 5)
    answer = htmx_post(
        browser, f"/agent/items/{item}/outcome", {"code": "satisfied", "note": "问题已解决"}
    )
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert answer.text.lstrip().startswith(f'<article class="card item" id="item-{item}">')
    assert "已登记。 当前状态：已完成 (满意)" in answer.text
    assert 'id="progress" class="progress" hx-swap-oob="true"' in answer.text
    assert f'<summary id="sum-{item}" hx-swap-oob="true">' in answer.text
    assert '<section id="done" class="done" hx-swap-oob="true">' in answer.text
    assert counter(answer.text) == (1, 5)
    page = browser.page("/agent").text
    assert counter(page) == (1, 5)
    assert item not in lines_on(page)
    assert order(site, item)["last_code"] == "satisfied"


def test_a_callback_without_its_time_is_refused_next_to_the_form_keeping_what_was_typed(
    site: Site,
) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]  # 零次户唤醒, which asks for a reason
    browser = site.login("wangli")
    answer = htmx_post(
        browser,
        f"/agent/items/{item}/outcome",
        {"code": "callback", "reason": "uses_mobile", "note": NOTE, "callback_at": ""},
    )
    assert answer.status_code == 409
    form = answer.text[answer.text.index('<form class="outcome"') : answer.text.index("</form>")]
    assert '<p class="error" role="alert">预约回拨需要填写回拨时间。</p>' in form
    assert re.search(r'value="callback"[^>]*class="code chosen"', form)
    assert '<option value="uses_mobile" selected>' in form
    assert f">{NOTE}</textarea>" in form
    assert order(site, item)["attempts"] == 0
    assert counter(browser.page("/agent").text) == (0, 5)


def test_a_second_outcome_on_a_closed_order_is_refused_in_chinese(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    assert htmx_post(browser, f"/agent/items/{item}/outcome", {"code": "declined"}).ok
    again = htmx_post(browser, f"/agent/items/{item}/outcome", {"code": "accepted"})
    assert again.status_code == 409
    assert (
        f"工单 {item} 已于 {DAY} 10:00 结束，不能再登记结果。如第一次登记有误，请联系班长。"
    ) in again.text
    assert 'class="error"' in again.text
    assert order(site, item)["last_code"] == "declined"


def test_another_agents_item_is_not_found_for_its_card_its_outcome_and_its_return(
    site: Site,
) -> None:
    theirs = site.center.calls("A02", DAY)[0]["item"]
    browser = site.login("wangli")
    assert browser.page(f"/agent/items/{theirs}").status_code == 404
    assert browser.page("/agent?agent=A02").status_code == 404
    outcome = htmx_post(browser, f"/agent/items/{theirs}/outcome", {"code": "declined"})
    given_back = htmx_post(browser, f"/agent/items/{theirs}/return", {"reason": "不是我的"})
    assert outcome.status_code == given_back.status_code == 404
    assert htmx_post(browser, "/agent/items/999999/outcome", {"code": "busy"}).status_code == 404
    untouched = order(site, theirs)
    assert (untouched["state"], untouched["attempts"]) == ("assigned", 0)


def test_an_admin_sees_the_list_of_the_agent_asked_for(site: Site) -> None:
    calls = site.center.calls("A02", DAY)
    browser = site.login("root")
    assert lines_on(browser.page("/agent?agent=A02").text) == [call["item"] for call in calls]
    assert lines_on(browser.page("/agent").text) == []


def test_an_outcome_without_the_csrf_token_is_refused_and_records_nothing(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    path = site.url + f"/agent/items/{item}/outcome"
    assert browser.post(path, data={"code": "declined"}).status_code == 403
    forged = browser.post(
        path, data={"code": "declined"}, headers={"HX-Request": "true", "X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403
    assert order(site, item)["last_code"] is None
    assert counter(browser.page("/agent").text) == (0, 5)


def test_without_javascript_an_outcome_goes_back_to_the_list(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]  # 投诉回访: tried again 4 hours later
    browser = site.login("wangli")
    answer = browser.submit(
        f"/agent/items/{item}/outcome", {"code": "no_answer"}, from_page="/agent"
    )
    assert answer.status_code == 200 and answer.url == site.url + "/agent"
    line = answer.text[answer.text.index(f'id="sum-{item}"') :]
    line = line[: line.index("</summary>")]
    assert "今天稍后" in line and "下次拨打 14:00" in line  # tried again 4 hours later
    assert counter(answer.text) == (1, 5)


def test_without_javascript_a_refused_outcome_shows_the_card_on_its_own_page(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    answer = browser.submit(
        f"/agent/items/{item}/outcome",
        {"code": "callback", "callback_at": f"{DAY}T22:30"},
        from_page="/agent",
    )
    assert answer.status_code == 409 and "<html" in answer.text
    assert "回拨时间 22:30 不在外呼时段 08:00–21:00 内，请另选时间。" in answer.text
    assert items_on(answer.text) == [item]


def test_giving_an_item_back_with_a_reason_takes_it_off_the_list(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    answer = htmx_post(browser, f"/agent/items/{item}/return", {"reason": "不懂镇原方言"})
    assert answer.status_code == 200
    assert f"工单 {item} 已退回" in answer.text
    assert item not in lines_on(browser.page("/agent").text)
    assert order(site, item)["state"] == "returned"


def test_giving_an_item_back_without_a_reason_is_refused(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    browser = site.login("wangli")
    answer = htmx_post(browser, f"/agent/items/{item}/return", {"reason": "  "})
    assert answer.status_code == 409
    form = answer.text[answer.text.index('<form class="give-back"') :]
    assert '<p class="error" role="alert">请填写退回原因。</p>' in form
    assert item in lines_on(browser.page("/agent").text)


def test_the_history_shows_an_earlier_outcomes_reason_and_note(site: Site) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]
    site.center.ok(
        "outcome",
        str(item),
        "--code",
        "callback",
        "--callback-at",
        f"{DAY} 15:00",
        "--reason",
        "uses_mobile",
        "--note",
        NOTE,
        "--agent",
        "A01",
        now=f"{DAY} 09:40",
    )
    card = card_of(site.login("wangli"), item).text
    history = card[card.index('<details class="history"') : card.index("</details>")]
    assert "11-02 09:40" in history and "<strong>预约回拨</strong>" in history
    assert "原因: 改用手机" in history
    assert f"备注: {NOTE}" in history
    assert f"回拨时间 {DAY} 15:00" in history


def test_the_page_speaks_english_after_the_switch(site: Site) -> None:
    browser = site.login("wangli")
    browser.page("/lang/en?next=/agent")
    page = browser.page("/agent").text
    assert f"Calls of A01 on {DAY}" in page and "Attempted today" in page
