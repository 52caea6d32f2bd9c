"""The supervisors' JSON API over real HTTP: their teams' orders, reassign, urge and the day's
progress, with its boundaries (401 without a token, 403 for another role, 404 outside the
team, 409 with the sentence for a refusal)."""

from __future__ import annotations

from tests.web.conftest import DAY, Site

LATE = "2026-11-05"


def complaint_of(site: Site, agent: str) -> int:
    calls = site.center.calls(agent, DAY)
    return int(next(c["item"] for c in calls if c["campaign"] == "complaint_callback"))


def test_the_orders_listed_are_the_teams_and_overdue_ones_past_their_deadline(site: Site) -> None:
    api = site.api("zhaozz")
    listed = api.get(f"{site.url}/api/orders").json()
    assert listed["count"] > 0
    assert {o["agent"] for o in listed["orders"]} == {"A01", "A02", "A03"}
    assert api.get(f"{site.url}/api/orders", params={"overdue": "true"}).json()["count"] == 0
    site.clock.set(f"{LATE}T08:00")
    overdue = api.get(f"{site.url}/api/orders", params={"overdue": "true", "agent": "A01"}).json()
    assert complaint_of(site, "A01") in [o["id"] for o in overdue["orders"]]
    assert {o["agent"] for o in overdue["orders"]} == {"A01"}


def test_listing_another_teams_agent_is_not_found_and_a_bad_state_refused(site: Site) -> None:
    api = site.api("zhaozz")
    assert api.get(f"{site.url}/api/orders", params={"agent": "A04"}).status_code == 404
    bad = api.get(f"{site.url}/api/orders", params={"state": "lost"})
    assert bad.status_code == 409 and "unknown state 'lost'" in bad.json()["detail"]


def test_the_api_needs_a_supervisors_token(site: Site) -> None:
    assert site.api("zhaozz").get(f"{site.url}/api/progress").status_code == 200
    anonymous = site.api("zhaozz")
    del anonymous.headers["Authorization"]
    assert anonymous.get(f"{site.url}/api/orders").status_code == 401
    agent = site.api("wangli")
    assert agent.get(f"{site.url}/api/orders").status_code == 403
    item = complaint_of(site, "A01")
    moved = agent.post(f"{site.url}/api/orders/{item}/reassign", json={"to": "A02"})
    assert moved.status_code == 403
    assert item in [c["item"] for c in site.center.calls("A01", DAY)]


def test_reassigning_moves_the_order_to_the_other_agents_list(site: Site) -> None:
    item = complaint_of(site, "A01")
    site.clock.set(f"{LATE}T08:00")
    answer = site.api("zhaozz").post(f"{site.url}/api/orders/{item}/reassign", json={"to": "A02"})
    assert answer.status_code == 200
    assert answer.json() == {
        "order": item,
        "from_agent": "A01",
        "to_agent": "A02",
        "state": "assigned",
    }
    assert item in [c["item"] for c in site.center.calls("A02", LATE)]


def test_a_refused_reassign_is_a_conflict_with_the_sentence(site: Site) -> None:
    api = site.api("zhaozz")
    item = complaint_of(site, "A01")
    site.center.ok("agents", "absent", "A03", "--date", DAY)
    for to, sentence in (
        ("A03", f"A03 在 {DAY} 缺勤"),
        ("A04", "“A04”不是您班组的坐席"),
        ("A01", f"工单 {item} 已经是 A01 的了"),
    ):
        answer = api.post(f"{site.url}/api/orders/{item}/reassign", json={"to": to})
        assert answer.status_code == 409 and answer.json()["detail"].startswith(sentence)
    assert item in [c["item"] for c in site.center.calls("A01", DAY)]


def test_an_order_of_another_team_is_not_found(site: Site) -> None:
    api = site.api("zhaozz")
    theirs = int(site.center.calls("A04", DAY)[0]["item"])
    assert (
        api.post(f"{site.url}/api/orders/{theirs}/reassign", json={"to": "A02"}).status_code == 404
    )
    assert api.post(f"{site.url}/api/orders/{theirs}/urge").status_code == 404
    assert api.post(f"{site.url}/api/orders/999999/urge").status_code == 404


def test_urging_logs_an_event_and_a_closed_order_is_refused(site: Site) -> None:
    api = site.api("zhaozz")
    item = complaint_of(site, "A01")
    answer = api.post(f"{site.url}/api/orders/{item}/urge")
    assert answer.json() == {"order": item, "detail": "to A01 and supervisor S01"}
    history = site.center.json("orders", "--history", str(item))["events"]
    assert (history[-1]["kind"], history[-1]["actor"]) == ("urged", "S01")
    site.center.ok("outcome", str(item), "--code", "satisfied", now=f"{DAY} 10:00")
    closed = api.post(f"{site.url}/api/orders/{item}/urge")
    assert closed.status_code == 409
    assert closed.json()["detail"] == f"工单 {item} 已经结束。"
    english = api.post(f"{site.url}/api/orders/{item}/urge", headers={"Accept-Language": "en"})
    assert english.headers["X-Refusal-Code"] == "work_order_closed"
    assert "已经" not in english.json()["detail"]


def test_the_progress_is_per_agent_of_the_team_and_a_day_without_a_run_is_refused(
    site: Site,
) -> None:
    api = site.api("zhaozz")
    item = complaint_of(site, "A02")
    site.center.ok("outcome", str(item), "--code", "busy", now=f"{DAY} 10:00")
    progress = api.get(f"{site.url}/api/progress", params={"date": DAY}).json()
    assert progress["date"] == DAY
    rows = {row["agent"]: row for row in progress["agents"]}
    assert set(rows) == {"A01", "A02", "A03"}
    assert (rows["A02"]["attempted"], rows["A02"]["reached"], rows["A01"]["attempted"]) == (1, 0, 0)
    missing = api.get(f"{site.url}/api/progress", params={"date": "2026-11-03"})
    assert missing.status_code == 409
    assert missing.json()["detail"].startswith("2026-11-03 的每日派单还没有运行")
