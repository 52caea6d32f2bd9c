"""/healthz for monitoring and the admin page's alerts: a day whose run is missing after its
time, and a job whose process stopped mid-run."""

from __future__ import annotations

import requests

from outbound.config import load_config
from outbound.store.db import open_database
from tests.jobruns import claim_of_another_host
from tests.web.conftest import Site


def test_the_day_run_on_time_is_healthy(site: Site) -> None:
    answer = requests.get(site.url + "/healthz", timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok", "problems": []})


def test_a_day_without_its_run_after_its_time_is_an_alert_in_chinese(site: Site) -> None:
    site.clock.set("2026-11-03T07:50")  # the run is due at 07:30, late from 08:00
    assert requests.get(site.url + "/healthz", timeout=10).status_code == 200
    site.clock.set("2026-11-03T08:05")
    answer = requests.get(site.url + "/healthz", timeout=10)
    assert answer.status_code == 503
    [problem] = answer.json()["problems"]
    assert problem["code"] == "daily_run_missing"
    assert problem["message"] == "2026-11-03 的每日派单没有运行：应在 07:30 运行。"
    page = site.login("root").page("/admin").text
    assert "2026-11-03 的每日派单没有运行：应在 07:30 运行。" in page


def test_a_job_whose_process_stopped_is_an_alert_and_stuck_in_red_on_the_admin_page(
    site: Site,
) -> None:
    engine = open_database(load_config(site.center.folder).database_url)
    claim_of_another_host(engine, "sms_wave", "2026-11-02T09:00", heartbeat_minutes_ago=60)
    engine.dispose()
    answer = requests.get(site.url + "/healthz", timeout=10)
    assert answer.status_code == 503
    [problem] = answer.json()["problems"]
    assert (problem["code"], problem["job"], problem["host"]) == (
        "job_stuck",
        "sms_wave",
        "scheduler-2",
    )
    page = site.login("root").page("/admin").text
    assert '<span class="badge bad">卡住：进程已停止，下次轮到时重跑</span>' in page
    assert "任务 sms_wave（2026-11-02T09:00）在 scheduler-2 上中途停止" in page
