"""The supervisor pages over real HTTP: the team's progress, orders near their deadline with
reassign and urge, absences; and who may see and change them."""

from __future__ import annotations

import datetime as dt
import html
import re

import requests
import sqlalchemy as sa

from outbound import privacy
from outbound.config import load_config
from outbound.extract import snapshots
from outbound.plan import daily
from outbound.results import activity
from outbound.store.db import open_database
from outbound.store.orders import ORDERS
from tests.web.conftest import DAY, PASSWORD, Browser, Site, csrf_of

NEXT = "2026-11-03"


def date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


LATE = "2026-11-05"  # complaint orders of DAY 07:30 have 72 h: overdue from 11-05 07:30


def cell(page: str, agent: str, column: str) -> str:
    row = re.search(rf'<tr id="agent-{agent}">(.*?)</tr>', page, re.S)
    assert row, f"no row of {agent}"
    found = re.search(rf'class="num {column}">(.*?)</td>', row.group(1), re.S)
    assert found
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def row_of(page: str, order: int) -> str:
    found = re.search(rf'<tr id="order-{order}">(.*?)</tr>', page, re.S)
    assert found, f"no row of order {order}"
    return found.group(1)


def complaint_of(site: Site, agent: str) -> int:
    calls = site.center.calls(agent, DAY)
    return int(next(c["item"] for c in calls if c["campaign"] == "complaint_callback"))


def signed_in_agent(site: Site) -> Browser:
    """Agent wangli's session, without following the log-in to the agent's own page."""
    browser = Browser(site.url)
    form = browser.page("/login")
    answer = browser.post(
        site.url + "/login",
        data={"name": "wangli", "password": PASSWORD, "csrf": csrf_of(form.text)},
        allow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/agent"
    return browser


def htmx(browser: Browser, path: str, data: dict[str, str]) -> requests.Response:
    """POST as htmx does from the deadlines page: the CSRF token in the header."""
    token = csrf_of(browser.page("/supervisor/deadlines").text)
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    return browser.post(browser.url + path, data=data, headers=headers)


def test_the_progress_page_shows_the_supervisors_agents_and_counts_an_outcome(site: Site) -> None:
    zhaozz = site.login("zhaozz")
    before = zhaozz.page("/supervisor").text
    assert "关怀回访组" in before and "营销组" not in before
    assert {a for a in ("A01", "A02", "A03", "A04") if f'id="agent-{a}"' in before} == {
        "A01",
        "A02",
        "A03",
    }
    assert cell(before, "A01", "attempted") == "0"
    assert cell(before, "A01", "quota") == "5"  # complaints 3 and zero usage 2
    item = str(complaint_of(site, "A01"))
    site.center.ok("outcome", item, "--code", "no_answer", now=f"{DAY} 10:00")
    after = zhaozz.page("/supervisor").text
    assert cell(after, "A01", "attempted") == "1"
    assert cell(after, "A02", "attempted") == "0"


def test_the_progress_page_charts_the_teams_month_day_by_day(site: Site) -> None:
    page = site.login("zhaozz").page("/supervisor").text
    shown = {a: int(cell(page, a, "quota")) for a in ("A01", "A02", "A03")}
    chart = re.search(r'<figure class="chart progress">(.*?)</figure>', page, re.S)
    assert chart and "<svg" in chart.group(1) and "2026-11 每日进度与定额" in chart.group(1)
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    quotas = {c.name: c.spec.per_agent_per_day for c in daily.active(config, date(DAY))[0]}
    with engine.connect() as connection:
        team = activity.calendar_days(
            connection, date("2026-11-01"), date(DAY), set(shown), quotas, config.tz
        )
        everyone = activity.calendar_days(
            connection, date("2026-11-01"), date(DAY), None, quotas, config.tz
        )
    engine.dispose()
    assert team.to_dict("records") == [
        {"day": date(DAY), "quota": sum(shown.values()), "attempted": 0, "quota_attained": 0.0}
    ]
    assert everyone["quota"].sum() > team["quota"].sum()  # the marketing team's agents too


def test_a_day_without_a_run_shows_why_instead_of_numbers(site: Site) -> None:
    page = site.login("zhaozz").page(f"/supervisor?date={NEXT}")
    assert page.status_code == 200
    assert f"{NEXT} 的每日派单还没有运行" in page.text and "engine" not in page.text


def test_an_order_past_its_deadline_is_on_the_deadline_page_as_overdue(site: Site) -> None:
    item = complaint_of(site, "A01")
    assert f'id="order-{item}"' not in site.login("zhaozz").page("/supervisor/deadlines").text
    site.clock.set(f"{LATE}T08:00")  # past the session's hours: a new one
    row = row_of(site.login("zhaozz").page("/supervisor/deadlines").text, item)
    assert "已超时" in row and "A01" in row


def test_reassigning_an_overdue_order_moves_it_to_the_other_agents_list(site: Site) -> None:
    item = complaint_of(site, "A01")
    site.clock.set(f"{LATE}T08:00")
    answer = htmx(site.login("zhaozz"), f"/supervisor/orders/{item}/reassign", {"to": "A02"})
    assert answer.status_code == 200
    assert "已改派给 A02" in row_of(answer.text, item)
    assert item in [c["item"] for c in site.center.calls("A02", LATE)]
    assert item not in [c["item"] for c in site.center.calls("A01", DAY)]
    history = site.center.json("orders", "--history", str(item))["events"]
    assert (history[-1]["kind"], history[-1]["actor"], history[-1]["detail"]) == (
        "reassigned",
        "S01",
        "from A01 to A02",
    )


def test_reassigning_to_an_absent_agent_is_refused_in_the_row(site: Site) -> None:
    item = complaint_of(site, "A01")
    site.center.ok("agents", "absent", "A03", "--date", DAY)
    answer = htmx(site.login("zhaozz"), f"/supervisor/orders/{item}/reassign", {"to": "A03"})
    assert f"A03 在 {DAY} 缺勤，请选择在岗的坐席。" in row_of(answer.text, item)
    assert item in [c["item"] for c in site.center.calls("A01", DAY)]


def test_a_refused_reassign_without_htmx_shows_the_page_with_the_sentence(site: Site) -> None:
    item = complaint_of(site, "A01")
    site.clock.set(f"{LATE}T08:00")
    zhaozz = site.login("zhaozz")
    answer = zhaozz.submit(
        f"/supervisor/orders/{item}/reassign", {"to": "A01"}, from_page="/supervisor/deadlines"
    )
    assert answer.status_code == 409
    assert f"#{item}: 工单 {item} 已经是 A01 的了。" in html.unescape(answer.text)


def test_urging_an_order_logs_an_event_shown_in_its_row(site: Site) -> None:
    item = complaint_of(site, "A01")
    site.clock.set(f"{LATE}T08:00")
    answer = htmx(site.login("zhaozz"), f"/supervisor/orders/{item}/urge", {})
    row = row_of(answer.text, item)
    assert "已催办。" in row and "S01: to A01 and supervisor S01" in row
    history = site.center.json("orders", "--history", str(item))["events"]
    assert [e["kind"] for e in history][-1] == "urged"


def test_an_order_of_another_team_is_not_found_for_the_supervisor(site: Site) -> None:
    theirs = int(site.center.calls("A04", DAY)[0]["item"])
    zhaozz = site.login("zhaozz")
    for action, data in (("reassign", {"to": "A02"}), ("urge", {})):
        answer = htmx(zhaozz, f"/supervisor/orders/{theirs}/{action}", data)
        assert answer.status_code == 404
    assert theirs in [c["item"] for c in site.center.calls("A04", DAY)]


def test_an_agent_is_refused_the_supervisor_pages(site: Site) -> None:
    wangli = signed_in_agent(site)
    for path in ("/supervisor", "/supervisor/deadlines", "/supervisor/absences"):
        assert wangli.page(path).status_code == 403
    item = complaint_of(site, "A01")
    token = csrf_of(wangli.page("/login").text)
    answer = wangli.post(
        f"{site.url}/supervisor/orders/{item}/reassign", data={"to": "A02", "csrf": token}
    )
    assert answer.status_code == 403


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    item = complaint_of(site, "A01")
    zhaozz = site.login("zhaozz")
    answer = zhaozz.post(f"{site.url}/supervisor/orders/{item}/reassign", data={"to": "A02"})
    assert answer.status_code == 403
    absent = zhaozz.post(f"{site.url}/supervisor/absences", data={"agent": "A02", "date": NEXT})
    assert absent.status_code == 403
    assert item in [c["item"] for c in site.center.calls("A01", DAY)]
    assert 'id="absent-A02"' not in zhaozz.page(f"/supervisor/absences?date={NEXT}").text


def test_an_agent_marked_absent_is_listed_with_where_their_work_went(site: Site) -> None:
    zhaozz = site.login("zhaozz")
    theirs = {c["item"] for c in site.center.calls("A02", DAY)}
    answer = zhaozz.submit("/supervisor/absences", {"agent": "A02", "date": NEXT, "reason": "病假"})
    assert answer.url.endswith(f"/supervisor/absences?date={NEXT}")
    section = re.search(r'id="absent-A02">(.*?)</section>', answer.text, re.S)
    assert section and "病假" in section.group(1)
    site.center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    page = zhaozz.page(f"/supervisor/absences?date={NEXT}").text
    section = re.search(r'id="absent-A02">(.*?)</section>', page, re.S)
    assert section
    shown = {int(n) for n in re.findall(r"<td>#(\d+)</td>", section.group(1))}
    assert shown == theirs
    holders = set(re.findall(r"<td>(A0\d)</td>", section.group(1)))
    assert holders and "A02" not in holders


def test_marking_an_agent_of_another_team_absent_is_refused(site: Site) -> None:
    answer = site.login("zhaozz").submit(
        "/supervisor/absences", {"agent": "A04", "date": NEXT, "reason": "病假"}
    )
    assert answer.status_code == 409
    assert "“A04”不是您班组的坐席。" in html.unescape(answer.text)
    assert (
        'id="absent-A04"' not in site.login("root").page(f"/supervisor/absences?date={NEXT}").text
    )


def versions_on(page: str) -> dict[int, str]:
    """The deadline rows' checkboxes: order id and the version the page showed."""
    return {int(o): v for o, v in re.findall(r'name="order-(\d+)" value="(\d+)"', page)}


def bulk(browser: Browser, data: dict[str, str]) -> requests.Response:
    return browser.submit("/supervisor/orders/reassign", data, from_page="/supervisor/deadlines")


def order_row(site: Site, order: int) -> dict:
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    with engine.connect() as connection:
        row = connection.execute(sa.select(ORDERS).where(ORDERS.c.id == order)).mappings().one()
    engine.dispose()
    return dict(row)


def test_the_progress_page_asks_for_its_tables_again_every_minute(site: Site) -> None:
    zhaozz = site.login("zhaozz")
    page = zhaozz.page(f"/supervisor?date={DAY}").text
    poll = re.search(r'<div id="team-progress" ([^>]*)>', page)
    assert poll and f'hx-get="/supervisor/progress?date={DAY}"' in poll[1]
    assert 'hx-trigger="every 60s"' in poll[1] and 'hx-swap="outerHTML"' in poll[1]
    assert "<script>" not in page and " onclick=" not in page
    item = str(complaint_of(site, "A01"))
    site.center.ok("outcome", item, "--code", "no_answer", now=f"{DAY} 10:00")
    fragment = zhaozz.page(f"/supervisor/progress?date={DAY}").text
    assert fragment.startswith('<div id="team-progress"') and "<html" not in fragment
    assert cell(fragment, "A01", "attempted") == "1"


def test_the_deadline_rows_show_the_customer_and_the_number_masked_without_a_dial_link(
    site: Site,
) -> None:
    """Without [privacy] full_phone_roles the supervisor sees numbers masked (the grant, its
    dial link and its audit row: tests/web/test_privacy_pages.py)."""
    item = complaint_of(site, "A01")
    order = order_row(site, item)
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    extract = snapshots.load_lines(config, engine, order["month"], [order["line_id"]])
    engine.dispose()
    assert extract is not None
    name = str(extract["customer_name"].iloc[0])
    site.clock.set(f"{LATE}T08:00")
    row = html.unescape(row_of(site.login("zhaozz").page("/supervisor/deadlines").text, item))
    assert name in row
    assert f'<span class="phone">{privacy.mask(order["phone"])}</span>' in row
    assert "tel:" not in row and order["phone"][-8:] not in row


def test_the_reassign_choice_starts_empty_and_an_empty_choice_is_refused(site: Site) -> None:
    item = complaint_of(site, "A01")
    site.clock.set(f"{LATE}T08:00")
    zhaozz = site.login("zhaozz")
    row = row_of(zhaozz.page("/supervisor/deadlines").text, item)
    assert '<option value="" selected disabled>请选择坐席</option>' in row
    assert " selected" not in row.replace('value="" selected', "")
    answer = htmx(zhaozz, f"/supervisor/orders/{item}/reassign", {"to": ""})
    assert "请选择接手工作的坐席。" in row_of(answer.text, item)
    assert order_row(site, item)["agent_id"] == "A01"


def test_bulk_reassign_moves_every_ticked_order_and_refuses_one_changed_meanwhile(
    site: Site,
) -> None:
    mine, theirs = complaint_of(site, "A01"), complaint_of(site, "A03")
    site.clock.set(f"{LATE}T08:00")
    zhaozz = site.login("zhaozz")
    shown = versions_on(zhaozz.page("/supervisor/deadlines").text)
    assert {mine, theirs} <= shown.keys()
    site.center.ok("outcome", str(theirs), "--code", "no_answer", now=f"{LATE} 08:05")
    answer = bulk(
        zhaozz, {"to": "A02", f"order-{mine}": shown[mine], f"order-{theirs}": shown[theirs]}
    )
    assert answer.status_code == 200
    assert "已把 2 张工单中的 1 张改派给 A02。" in answer.text
    assert "已改派给 A02。" in row_of(answer.text, mine)
    assert "页面显示后该工单已有变化" in row_of(answer.text, theirs)
    assert order_row(site, mine)["agent_id"] == "A02"
    assert order_row(site, theirs)["agent_id"] == "A03"
    history = site.center.json("orders", "--history", str(mine))["events"]
    assert (history[-1]["kind"], history[-1]["detail"]) == ("reassigned", "from A01 to A02")


def test_bulk_reassign_to_an_unknown_agent_or_of_nothing_is_refused_and_moves_nothing(
    site: Site,
) -> None:
    mine = complaint_of(site, "A01")
    site.clock.set(f"{LATE}T08:00")
    zhaozz = site.login("zhaozz")
    shown = versions_on(zhaozz.page("/supervisor/deadlines").text)
    for to in ("A99", "A04", ""):
        answer = bulk(zhaozz, {"to": to, f"order-{mine}": shown[mine]})
        assert answer.status_code == 409
        said = {"A99": "“A99”不是您班组的坐席。", "A04": "“A04”不是您班组的坐席。"}
        assert said.get(to, "请选择接手工作的坐席。") in html.unescape(answer.text)
    nothing = bulk(zhaozz, {"to": "A02"})
    assert nothing.status_code == 409 and "请先勾选要改派的工单。" in nothing.text
    assert order_row(site, mine)["agent_id"] == "A01"


def test_bulk_reassign_refuses_an_order_of_another_team_in_its_row_only(site: Site) -> None:
    mine, other = complaint_of(site, "A01"), int(site.center.calls("A04", DAY)[0]["item"])
    site.clock.set(f"{LATE}T08:00")
    zhaozz = site.login("zhaozz")
    shown = versions_on(zhaozz.page("/supervisor/deadlines").text)
    answer = bulk(zhaozz, {"to": "A02", f"order-{mine}": shown[mine], f"order-{other}": "0"})
    assert "已把 2 张工单中的 1 张改派给 A02。" in answer.text
    assert order_row(site, other)["agent_id"] == "A04"


def test_cancelling_an_absence_takes_it_back_and_is_logged_on_the_orders_it_moved(
    site: Site,
) -> None:
    theirs = [c["item"] for c in site.center.calls("A02", DAY)]
    zhaozz = site.login("zhaozz")
    zhaozz.submit("/supervisor/absences", {"agent": "A02", "date": NEXT, "reason": "病假"})
    site.center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    site.clock.set(f"{NEXT}T08:00")
    zhaozz = site.login("zhaozz")
    page = zhaozz.page(f"/supervisor/absences?date={NEXT}").text
    assert 'action="/supervisor/absences/cancel"' in page
    answer = zhaozz.submit(
        "/supervisor/absences/cancel",
        {"agent": "A02", "date": NEXT},
        from_page=f"/supervisor/absences?date={NEXT}",
    )
    assert answer.status_code == 200
    assert f"A02 在 {NEXT} 照常上班，缺勤已取消。" in answer.text
    assert "仍由同事处理" in answer.text
    assert 'id="absent-A02"' not in answer.text
    roster = site.center.json("agents", "list", "--date", NEXT)["agents"]
    assert [a["agent_id"] for a in roster if a["absent"]] == []
    kinds = [e["kind"] for e in site.center.json("orders", "--history", str(theirs[0]))["events"]]
    assert kinds[-3:] == ["absent", "moved", "absence_cancelled"]


def test_cancelling_an_absence_not_marked_of_another_team_or_past_is_refused(site: Site) -> None:
    site.center.ok("agents", "absent", "A04", "--date", NEXT)
    site.center.ok("agents", "absent", "A03", "--date", DAY)
    site.clock.set(f"{NEXT}T08:00")
    zhaozz = site.login("zhaozz")
    for data, said in (
        ({"agent": "A01", "date": NEXT}, f"A01 在 {NEXT} 没有登记缺勤。"),
        ({"agent": "A04", "date": NEXT}, "“A04”不是您班组的坐席。"),
        ({"agent": "A03", "date": DAY}, f"{DAY} 已经过去：过去日期的缺勤保持登记时的样子。"),
    ):
        answer = zhaozz.submit(
            "/supervisor/absences/cancel", data, from_page="/supervisor/absences"
        )
        assert answer.status_code == 409
        assert said in html.unescape(answer.text)
    root = site.login("root").page(f"/supervisor/absences?date={NEXT}").text
    assert 'id="absent-A04"' in root
