"""The agents' JSON API over real HTTP: lists by agent (an agent's own, a supervisor's team),
outcomes and give-backs, and every refusal as a status with a sentence."""

from __future__ import annotations

import requests

from tests.web.conftest import DAY, Site


def list_of(session: requests.Session, site: Site, agent: str) -> requests.Response:
    return session.get(f"{site.url}/api/agents/{agent}/list", params={"date": DAY})


def test_an_agent_reads_its_own_list_with_scripts_in_call_order(site: Site) -> None:
    calls = site.center.calls("A01", DAY)
    answer = list_of(site.api("wangli"), site, "A01")
    assert answer.status_code == 200
    listing = answer.json()
    assert (listing["agent"], listing["date"], listing["attempted"], listing["quota"]) == (
        "A01",
        DAY,
        0,
        5,
    )
    assert [item["item"] for item in listing["items"]] == [call["item"] for call in calls]
    assert [item["script"] for item in listing["items"]] == [call["script"] for call in calls]
    zero_usage = listing["items"][-1]
    assert zero_usage["campaign_title"] == "零次户唤醒"
    assert zero_usage["reasons"]["uses_mobile"] == "改用手机"
    assert listing["items"][0]["due_at"] == "2026-11-05T07:30:00+08:00"


def test_an_agent_cannot_read_another_agents_list(site: Site) -> None:
    answer = list_of(site.api("wangli"), site, "A02")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "no agent A02 among those you may see"}


def test_a_supervisor_reads_a_team_members_list_but_not_another_teams(site: Site) -> None:
    supervisor = site.api("zhaozz")
    theirs = list_of(supervisor, site, "A02")
    assert theirs.status_code == 200
    assert [item["item"] for item in theirs.json()["items"]] == [
        call["item"] for call in site.center.calls("A02", DAY)
    ]
    assert list_of(supervisor, site, "A04").status_code == 404
    assert list_of(supervisor, site, "A99").status_code == 404


def test_an_outcome_via_the_api_answers_the_new_state_and_shows_in_the_history(
    site: Site,
) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]
    agent = site.api("wangli")
    answer = agent.post(
        f"{site.url}/api/items/{item}/outcome",
        json={"code": "callback", "note": "晚上再联系", "callback_at": f"{DAY}T15:00"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "item": item,
        "state": "assigned",
        "result": None,
        "next_at": f"{DAY}T15:00:00+08:00",
        "follow_up": None,
    }
    listing = list_of(agent, site, "A01").json()
    assert listing["attempted"] == 1
    called = next(row for row in listing["items"] if row["item"] == item)
    assert called["callback_at"] == f"{DAY}T15:00:00+08:00"
    assert [
        (e["kind"], e["code"], e["note"], e["callback"], e["actor"]) for e in called["history"]
    ] == [("outcome", "callback", "晚上再联系", f"{DAY} 15:00", "A01")]


def test_a_supervisor_recording_or_returning_for_an_agent_is_the_events_actor(site: Site) -> None:
    recorded, returned = [call["item"] for call in site.center.calls("A01", DAY)][:2]
    supervisor = site.api("zhaozz")
    answer = supervisor.post(
        f"{site.url}/api/items/{recorded}/outcome",
        json={"code": "busy", "note": "班长代录：客户在开会"},
    )
    assert answer.status_code == 200, answer.text
    back = supervisor.post(f"{site.url}/api/items/{returned}/return", json={"reason": "不懂方言"})
    assert back.status_code == 200, back.text
    acts = {
        (e["kind"], e["actor"])
        for item in (recorded, returned)
        for e in site.center.json("orders", "--history", str(item))["events"]
    }
    assert ("outcome", "S01") in acts and ("returned", "S01") in acts
    assert not {kind for kind, actor in acts if actor == "A01"} & {"outcome", "returned"}


def test_a_callback_time_with_a_zone_is_kept_as_that_moment(site: Site) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]
    answer = site.api("wangli").post(
        f"{site.url}/api/items/{item}/outcome",
        json={"code": "callback", "callback_at": f"{DAY}T07:00:00Z"},
    )
    assert answer.json()["next_at"] == f"{DAY}T15:00:00+08:00"


def test_a_second_outcome_on_a_closed_item_is_a_conflict_that_says_why(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    agent = site.api("wangli")
    url = f"{site.url}/api/items/{item}/outcome"
    first = agent.post(url, json={"code": "accepted"})
    assert first.json()["state"] == "done" and first.json()["result"] == "converted"
    again = agent.post(url, json={"code": "declined"})
    assert again.status_code == 409 and again.headers["X-Refusal-Code"] == "order_closed"
    assert (
        again.json()["detail"]
        == f"工单 {item} 已于 {DAY} 10:00 结束，不能再登记结果。如第一次登记有误，请联系班长。"
    )
    english = agent.post(url, json={"code": "declined"}, headers={"Accept-Language": "en"})
    assert english.json()["detail"].startswith(f"Work order {item} closed at {DAY} 10:00;")


def test_a_refused_outcome_is_a_conflict_and_changes_nothing(site: Site) -> None:
    item = site.center.calls("A01", DAY)[-1]["item"]
    agent = site.api("wangli")
    answer = agent.post(f"{site.url}/api/items/{item}/outcome", json={"code": "declined"})
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("接通的客户需要选择原因：moved_away (搬迁)")
    assert list_of(agent, site, "A01").json()["attempted"] == 0


def test_an_outcome_on_another_agents_or_an_unknown_item_is_not_found(site: Site) -> None:
    theirs = site.center.calls("A04", DAY)[0]["item"]
    for name in ("wangli", "zhaozz"):
        session = site.api(name)
        answer = session.post(f"{site.url}/api/items/{theirs}/outcome", json={"code": "busy"})
        assert answer.status_code == 404, name
        assert (
            session.post(f"{site.url}/api/items/{theirs}/return", json={"reason": "x"}).status_code
            == 404
        )
    unknown = site.api("wangli").post(f"{site.url}/api/items/999999/outcome", json={"code": "busy"})
    assert unknown.status_code == 404
    untouched = site.center.calls("A04", DAY)[0]
    assert (untouched["item"], untouched["attempts"]) == (theirs, 0)


def test_giving_an_item_back_via_the_api_takes_it_off_the_list(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    agent = site.api("wangli")
    url = f"{site.url}/api/items/{item}/return"
    refused = agent.post(url, json={"reason": " "})
    assert refused.status_code == 409 and refused.json()["detail"] == "请填写退回原因。"
    answer = agent.post(url, json={"reason": "不懂镇原方言"})
    assert answer.json() == {"item": item, "state": "returned"}
    assert item not in [row["item"] for row in list_of(agent, site, "A01").json()["items"]]


def test_the_api_wants_the_token_of_an_agent_or_a_supervisor(site: Site) -> None:
    anonymous = requests.get(f"{site.url}/api/agents/A01/list")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    marketing = site.api("sunyx")
    assert list_of(marketing, site, "A01").status_code == 403
    item = site.center.calls("A01", DAY)[0]["item"]
    outcome = marketing.post(f"{site.url}/api/items/{item}/outcome", json={"code": "busy"})
    assert outcome.status_code == 403


def test_the_openapi_description_has_the_agent_schemas(site: Site) -> None:
    description = site.api("wangli").get(f"{site.url}/api/openapi.json").json()
    schemas = description["components"]["schemas"]
    assert {"AgentList", "ListItem", "HistoryEntry", "OutcomeIn", "OutcomeOut"} <= set(schemas)
    outcome = description["paths"]["/api/items/{item}/outcome"]["post"]
    assert outcome["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AgentProblem"
    }


def test_an_outcome_taken_back_via_the_api_within_minutes_reopens_the_item(site: Site) -> None:
    item = site.center.calls("A01", DAY)[0]["item"]
    agent = site.api("wangli")
    assert agent.post(f"{site.url}/api/items/{item}/outcome", json={"code": "declined"}).ok
    answer = agent.post(f"{site.url}/api/items/{item}/undo")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"item": item, "undone": "declined", "state": "assigned"}
    again = agent.post(f"{site.url}/api/items/{item}/undo")
    assert again.status_code == 409
    assert again.json() == {"detail": f"工单 {item} 没有可撤销的结果。"}
