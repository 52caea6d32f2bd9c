"""Marketing sees numbers masked (139****5678), and no page or answer of the API lets it get
one back: not shown, not exported, and not inferred by counting the lines of rules that read the
phone or the line id."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import requests

from tests.web.conftest import Site

PROBES = [
    "startswith(phone, '+86133')",
    "line_id == 'L00000001' and contains(phone, '0669')",
    "status == 'active' and prev.phone == phone",
]


def _numbers(center_folder: Path) -> set[str]:
    """Every customer's number as digits, national form: what must never show in full."""
    extract = pd.read_csv(center_folder / "2026-10.csv", dtype=str, encoding="utf-8")
    digits = extract["用户号码"].dropna().map(lambda text: re.sub(r"\D", "", text))
    national = (number.removeprefix("86").lstrip("0") for number in digits)
    return {number for number in national if len(number) >= 7}


def _full_numbers(text: str) -> set[str]:
    """The numbers written in TEXT, in any of the forms a page may use (+86 139 1234 5678,
    0934-3955739), as national digits."""
    runs = (re.sub(r"\D", "", run) for run in re.findall(r"\+?\d[\d \-]{5,}\d", text))
    national = (run.removeprefix("86").lstrip("0") for run in runs)
    return {number for number in national if len(number) >= 7}


@pytest.mark.parametrize("rule", PROBES)
def test_a_rule_reading_numbers_is_refused_on_the_page_without_a_count(
    site: Site, rule: str
) -> None:
    checked = site.login("sunyx").submit(
        "/marketing/rules/check", {"rule": rule, "month": ""}, from_page="/marketing/rules"
    )
    assert "规则中不能使用" in checked.text
    assert re.search(r"\d[\d,]* / \d", checked.text) is None  # no "N / M lines"


@pytest.mark.parametrize("rule", PROBES)
def test_a_rule_reading_numbers_is_refused_by_the_api(site: Site, rule: str) -> None:
    answer = site.api("sunyx").post(site.url + "/api/rules/check", json={"rule": rule}, timeout=30)
    assert answer.status_code == 400 and "count" not in answer.json()
    assert answer.headers["X-Refusal-Code"] == "column_not_granted"


def test_a_rule_reading_numbers_is_not_saved_as_a_segment_nor_exported(site: Site) -> None:
    browser = site.login("sunyx")
    saved = browser.submit(
        "/marketing/segments",
        {"name": "probe", "title": "探测", "rule": PROBES[0], "month": ""},
        from_page="/marketing/rules",
    )
    assert saved.status_code == 409 and "规则中不能使用" in saved.text
    assert not (site.center.folder / "segments" / "probe.toml").exists()
    exported = browser.get(site.url + "/marketing/rules/export.csv", params={"rule": PROBES[1]})
    assert exported.status_code == 422 and "规则中不能使用" in exported.text


def test_a_supervisor_with_the_grant_may_count_by_number(site: Site) -> None:
    answer = site.api("zhaozz").post(
        site.url + "/api/rules/check", json={"rule": PROBES[0]}, timeout=30
    )
    assert answer.status_code == 403  # the rule check is marketing's: the grant is not the role
    admin = site.api("root").post(
        site.url + "/api/rules/check", json={"rule": PROBES[0]}, timeout=30
    )
    assert admin.ok and admin.json()["count"] >= 0


def test_no_page_or_api_answer_of_marketing_shows_a_full_number(site: Site) -> None:
    numbers = _numbers(site.center.folder)
    assert len(numbers) > 500
    browser, api = site.login("sunyx"), site.api("sunyx")
    answers: dict[str, str] = {}
    for path in (
        "/marketing",
        "/marketing/rules?rule=status+%3D%3D+%27active%27",
        "/marketing/campaigns",
        "/marketing/sms",
        "/marketing/results",
        "/marketing/rules/export.csv?rule=status+%3D%3D+%27active%27",
    ):
        answers[path] = browser.page(path).text
    preview = browser.submit(
        "/marketing/sms/preview", {"campaign": "upsell_sms"}, from_page="/marketing/sms"
    )
    answers["sms preview"] = preview.text
    for path in ("/api/segments", "/api/campaigns"):
        answers[path] = api.get(site.url + path, timeout=30).text
    checked = api.post(
        site.url + "/api/rules/check", json={"rule": "status == 'active'"}, timeout=30
    )
    answers["api rule check"] = checked.text
    assert "****" in answers["api rule check"] and "****" in answers[PAGES_WITH_SAMPLE]
    shown = {where: sorted(_full_numbers(text) & numbers) for where, text in answers.items()}
    assert shown == {where: [] for where in answers}


PAGES_WITH_SAMPLE = "/marketing/rules/export.csv?rule=status+%3D%3D+%27active%27"


def test_an_anonymous_request_gets_no_numbers(site: Site) -> None:
    for path in ("/api/rules/check", "/marketing/rules/export.csv?rule=x"):
        answer = requests.get(site.url + path, timeout=10, allow_redirects=False)
        assert answer.status_code in (303, 401, 405)
