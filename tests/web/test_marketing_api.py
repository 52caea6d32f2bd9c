"""The marketing JSON API over real HTTP: segment counts, trying a rule, campaigns' progress;
phones masked, and only for a marketing (or admin) token."""

from __future__ import annotations

import json

from outbound.privacy import mask as masked
from tests.web.conftest import DAY, Site


def test_the_segments_api_gives_the_counts_of_the_latest_month_and_the_one_before(
    site: Site,
) -> None:
    latest = site.center.json("segments")
    before = {
        s["segment"]: s["count"]
        for s in site.center.json("segments", "--month", "2026-09")["segments"]
    }
    answer = site.api("sunyx").get(site.url + "/api/segments")
    assert answer.status_code == 200
    found = answer.json()
    assert (found["month"], found["previous_month"]) == ("2026-10", "2026-09")
    assert found["problems"] == []
    assert [(s["segment"], s["count"], s["previous"], s["change"]) for s in found["segments"]] == [
        (s["segment"], s["count"], before[s["segment"]], s["count"] - before[s["segment"]])
        for s in latest["segments"]
    ]


def test_the_rule_check_api_counts_as_engine_preview_does_with_phones_masked(site: Site) -> None:
    preview = site.center.json("preview", "zero_usage", "--month", "2026-09", "--full-phones")
    answer = site.api("sunyx").post(
        site.url + "/api/rules/check", json={"rule": preview["where"], "month": "2026-09"}
    )
    assert answer.status_code == 200
    found = answer.json()
    assert (found["month"], found["count"], found["of"]) == (
        "2026-09",
        preview["count"],
        preview["of"],
    )
    assert [row["line_id"] for row in found["sample"]] == [
        row["line_id"] for row in preview["rows"]
    ]
    assert [row["phone"] for row in found["sample"]] == [
        masked(row["phone"]) for row in preview["rows"]
    ]
    assert not any(row["phone"] in answer.text for row in preview["rows"])


def test_the_rule_check_api_takes_the_latest_month_and_a_chinese_string(site: Site) -> None:
    answer = site.api("sunyx").post(
        site.url + "/api/rules/check", json={"rule": "region == '环县'"}
    )
    found = answer.json()
    assert found["month"] == "2026-10" and 0 < found["count"] < found["of"]
    assert {row["region"] for row in found["sample"]} == {"环县"}


def test_the_rule_check_api_refuses_a_wrong_rule_with_its_message_line_and_column(
    site: Site,
) -> None:
    rule = "status == 'active' and\n  calls_3d == 0"
    answer = site.api("sunyx").post(site.url + "/api/rules/check", json={"rule": rule})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert (detail["line"], detail["column"]) == (2, 2)
    assert detail["message"].startswith("没有列“calls_3d”。 是否想写 calls_30d？")
    english = site.api("sunyx").post(
        site.url + "/api/rules/check", json={"rule": rule}, headers={"Accept-Language": "en"}
    )
    assert "calls_3d" in english.json()["detail"]["message"]
    assert "没有" not in english.json()["detail"]["message"]


def test_the_rule_check_api_refuses_a_month_that_is_not_loaded_with_a_sentence(
    site: Site,
) -> None:
    api = site.api("sunyx")
    missing = api.post(
        site.url + "/api/rules/check", json={"rule": "complaints > 0", "month": "2025-01"}
    )
    assert missing.status_code == 400
    assert missing.json()["detail"].startswith("2025-01 的账单数据尚未导入")
    assert missing.headers["X-Refusal-Code"] == "month_not_loaded"
    malformed = api.post(
        site.url + "/api/rules/check", json={"rule": "complaints > 0", "month": "10/2026"}
    )
    assert malformed.status_code == 400
    assert "YYYY-MM" in malformed.json()["detail"] and "格式不对" in malformed.json()["detail"]


def test_the_campaigns_api_gives_each_campaign_with_progress_that_moves_after_an_outcome(
    site: Site,
) -> None:
    api = site.api("sunyx")
    before = {c["name"]: c for c in api.get(site.url + "/api/campaigns").json()}
    assert set(before) == {"complaint_callback", "upsell_sms", "zero_usage_wakeup"}
    sms = before["upsell_sms"]
    assert (sms["segment"], sms["channel"], sms["start"], sms["end"], sms["priority"]) == (
        "high_spend",
        "sms",
        "2026-11-01",
        "2026-11-30",
        10,
    )
    waiting = site.center.json("outbox", "--campaign", "upsell_sms")["count"]
    assert sms["progress"] == {
        "created": waiting,
        "open": waiting,
        "done": 0,
        "converted": 0,
        "messages": waiting,
        "sent": 0,
        "delivered": 0,
    }
    item = next(c for c in site.center.calls("A01", DAY) if c["campaign"] == "zero_usage_wakeup")
    site.center.ok(
        "outcome",
        str(item["item"]),
        "--code",
        "declined",
        "--reason",
        "uses_mobile",
        now=f"{DAY} 10:00",
    )
    after = {c["name"]: c["progress"] for c in api.get(site.url + "/api/campaigns").json()}
    moved = before["zero_usage_wakeup"]["progress"]
    assert after["zero_usage_wakeup"] == moved | {
        "open": moved["open"] - 1,
        "done": moved["done"] + 1,
    }


def test_the_marketing_api_answers_an_admin_token(site: Site) -> None:
    assert site.api("root").get(site.url + "/api/campaigns").status_code == 200


def test_the_marketing_api_needs_a_token_and_refuses_an_agents(site: Site) -> None:
    agent = site.api("wangli")
    for method, path, body in [
        ("GET", "/api/segments", None),
        ("POST", "/api/rules/check", {"rule": "complaints > 0"}),
        ("GET", "/api/campaigns", None),
    ]:
        anonymous = agent.request(method, site.url + path, json=body, headers={"Authorization": ""})
        assert anonymous.status_code == 401, path
        refused = agent.request(method, site.url + path, json=body)
        assert refused.status_code == 403, path


def test_the_marketing_api_is_described_in_the_openapi_document(site: Site) -> None:
    described = json.loads(site.api("sunyx").get(site.url + "/api/openapi.json").text)
    assert {"/api/segments", "/api/rules/check", "/api/campaigns"} <= set(described["paths"])
    assert "422" in described["paths"]["/api/rules/check"]["post"]["responses"]


def test_the_rule_check_api_refuses_a_value_a_category_never_takes_with_its_values(
    site: Site,
) -> None:
    answer = site.api("sunyx").post(
        site.url + "/api/rules/check", json={"rule": "calls_30d == 0 and status == 'actve'"}
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail["message"].startswith(
        "status 没有取值“actve”；它的取值有：active, closed, suspended。"
    )
    assert (detail["line"], detail["column"], detail["suggestion"]) == (1, 29, "active")
    assert detail["values"] == ["active", "closed", "suspended"]


def test_the_campaigns_api_pauses_and_resumes_a_campaign(site: Site) -> None:
    api = site.api("sunyx")
    paused = api.post(site.url + "/api/campaigns/upsell_sms/pause")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    listed = {c["name"]: c["paused"] for c in api.get(site.url + "/api/campaigns").json()}
    assert listed == {"complaint_callback": False, "upsell_sms": True, "zero_usage_wakeup": False}
    assert api.post(site.url + "/api/campaigns/upsell_sms/resume").json()["paused"] is False
    assert api.post(site.url + "/api/campaigns/nothing/pause").status_code == 404
