"""The attacks a tester tried, over real HTTP against `engine serve --workers 2`: every request may
land on either worker, so what must hold everywhere (a session's end, the log-in throttle) is
shown to hold across both."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from outbound.config import load_config
from outbound.staff import users
from outbound.store.db import open_database
from outbound.web.security import COOKIE
from tests.e2e.conftest import DAY, Center
from tests.web.conftest import PASSWORD, PEOPLE, Browser, Site, csrf_of

ROOT = Path(__file__).resolve().parents[2]
# Enough requests that both workers answer some, whichever takes which.
MANY = 12


class Served:
    def __init__(self, url: str, center: Center) -> None:
        self.url, self.center = url, center

    def login(self, name: str, password: str = PASSWORD) -> Browser:
        browser = Browser(self.url)
        token = csrf_of(browser.page("/login").text)
        answer = browser.post(
            self.url + "/login",
            data={"name": name, "password": password, "csrf": token},
            allow_redirects=False,
        )
        assert answer.status_code == 303, answer.text[:300]
        return browser

    def token(self, name: str) -> str:
        engine = open_database(load_config(self.center.folder).database_url)
        try:
            return users.new_token(engine, name)
        finally:
            engine.dispose()


@pytest.fixture
def serve(new_center: Callable[[str], Center]) -> Iterator[Callable[[str], Served]]:
    """Serve a call center (with more config.toml text) by two worker processes."""
    servers: list[subprocess.Popen[bytes]] = []

    def start(more_config: str = "") -> Served:
        center = new_center(more_config)
        center.ok("run", "--date", DAY)
        engine = open_database(load_config(center.folder).database_url)
        for name, (role, person) in PEOPLE.items():
            users.add(engine, name, role, PASSWORD, dt.datetime.now(dt.UTC), person)
        engine.dispose()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, str(ROOT / "engine.py"), "--workspace", str(center.folder)]
        log = (center.folder / "serve.log").open("wb")
        server = subprocess.Popen(
            [*command, "serve", "--no-scheduler", "--workers", "2", "--port", str(port)],
            stdout=log,
            stderr=log,
            start_new_session=True,  # its workers are a group of their own, ended together
        )
        servers.append(server)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/login", timeout=2).status_code == 200:
                    return Served(url, center)
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError("engine serve --workers 2 did not answer within 60 s")

    yield start
    for server in servers:
        _end_group(server)


def _end_group(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers, and wait until none is left holding connections to the
    database (a PostgreSQL server takes a limited number of clients)."""
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)


def _attempt(url: str, name: str, headers: dict[str, str] | None = None) -> int:
    browser = Browser(url)
    browser.headers.update(headers or {})
    return browser.log_in(name, "not-the-password").status_code


def test_log_out_ends_the_session_in_every_worker_at_once(serve: Callable[[str], Served]) -> None:
    served = serve("")
    browser = served.login("wangli")
    stolen = browser.cookies.get(COOKIE)
    assert browser.submit("/logout", {}, from_page="/account").url.endswith("/login")
    for _ in range(MANY):
        answer = requests.get(served.url + "/account", cookies={COOKIE: stolen}, timeout=10)
        assert answer.url.endswith("/login?next=/account")


def test_a_password_reset_by_the_admin_ends_the_users_sessions_and_api_token(
    serve: Callable[[str], Served],
) -> None:
    served = serve("")
    agent, token = served.login("wangli"), served.token("wangli")
    api = {"Authorization": f"Bearer {token}"}
    assert requests.get(served.url + "/api/agents/A01/list", headers=api, timeout=10).ok
    admin = served.login("root")
    reset = admin.submit("/admin/users/wangli/password", {"password": "新的密码-2026"})
    assert reset.status_code == 200 and "已重设 wangli 的密码" in reset.text
    for _ in range(MANY):
        assert agent.page("/account").url.endswith("/login?next=/account")
        answer = requests.get(served.url + "/api/agents/A01/list", headers=api, timeout=10)
        assert answer.status_code == 401
    served.login("wangli", "新的密码-2026")


def test_an_admins_revoke_ends_every_session_and_the_api_token_of_a_user(
    serve: Callable[[str], Served],
) -> None:
    served = serve("")
    phone, desk, token = served.login("wangli"), served.login("wangli"), served.token("wangli")
    ended = served.login("root").submit("/admin/users/wangli/revoke", {}, from_page="/admin/users")
    assert "wangli 的登录和 API 令牌均已失效" in ended.text
    for _ in range(MANY):
        assert phone.page("/account").url.endswith("/login?next=/account")
        assert desk.page("/account").url.endswith("/login?next=/account")
        answer = requests.get(
            served.url + "/api/agents/A01/list",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 401
    assert served.login("wangli").page("/account").ok  # the password itself still works


def test_the_log_in_throttle_counts_the_failures_of_all_workers(
    serve: Callable[[str], Served],
) -> None:
    served = serve("")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: _attempt(served.url, f"guess{i}"), range(60)))
    assert answers.count(401) == 20 and answers.count(429) == 40
    assert Browser(served.url).log_in("root", PASSWORD).status_code == 429


def test_an_unknown_name_locks_like_a_known_one_so_names_cannot_be_told(
    serve: Callable[[str], Served],
) -> None:
    served = serve("")
    known = [_attempt(served.url, "wangli") for _ in range(6)]
    unknown = [_attempt(served.url, "nobody-here") for _ in range(6)]
    assert known == unknown == [401, 401, 401, 401, 429, 429]


def test_x_forwarded_for_from_a_client_is_not_believed(serve: Callable[[str], Served]) -> None:
    served = serve("")
    for attempt in range(20):
        spoofed = {"X-Forwarded-For": f"203.0.113.{attempt}"}
        assert _attempt(served.url, f"guess{attempt}", spoofed) == 401
    fresh = {"X-Forwarded-For": "198.51.100.7"}
    assert _attempt(served.url, "someone", fresh) == 429


def test_a_trusted_proxy_names_the_client_it_forwards_for(serve: Callable[[str], Served]) -> None:
    served = serve('\n[web]\ntrusted_proxies = ["127.0.0.1"]\n')
    # The client put 198.51.100.7 first itself; the proxy appended the address it saw.
    forged_then_seen = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    for attempt in range(20):
        assert _attempt(served.url, f"guess{attempt}", forged_then_seen) == 401
    assert _attempt(served.url, "someone", forged_then_seen) == 429
    assert _attempt(served.url, "someone", {"X-Forwarded-For": "203.0.113.10"}) == 401


def test_the_secure_cookie_flag_does_not_follow_twilios_address(
    serve: Callable[[str], Served],
) -> None:
    twilio_only = serve('\n[channels]\npublic_url = "https://hooks.example.cn"\n')
    assert "secure" not in _session_cookie(twilio_only).lower().split("; ")


def test_the_session_cookie_is_secure_behind_an_https_web_address(
    serve: Callable[[str], Served],
) -> None:
    behind_https = serve('\n[web]\npublic_url = "https://outbound.example.cn"\n')
    assert "secure" in _session_cookie(behind_https).lower().split("; ")


def _session_cookie(served: Served) -> str:
    browser = Browser(served.url)
    token = csrf_of(browser.page("/login").text)
    logged_in = browser.post(
        served.url + "/login",
        data={"name": "root", "password": PASSWORD, "csrf": token},
        allow_redirects=False,
    )
    cookies = logged_in.raw.headers.getlist("set-cookie")
    return next(cookie for cookie in cookies if cookie.startswith(COOKIE + "="))


def test_a_forged_log_in_form_is_refused_by_every_worker(serve: Callable[[str], Served]) -> None:
    served = serve("")
    for _ in range(MANY):
        bare = requests.post(
            served.url + "/login",
            data={"name": "root", "password": PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
        assert bare.status_code == 403 and COOKIE not in bare.cookies
    form = Browser(served.url)
    token = csrf_of(form.page("/login").text)
    assert form.post(
        served.url + "/login", data={"name": "root", "password": PASSWORD, "csrf": token}
    ).ok


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("wangli", "/agent/items/99999999999999999999999"),
        ("wangli", "/agent/items/-1"),
        ("wangli", "/agent?date=9999-12-31"),
        ("zhaozz", "/supervisor?date=9999-12-31"),
        ("zhaozz", "/supervisor/absences?date=0001-01-01"),
    ],
)
def test_an_id_or_a_day_out_of_range_is_not_found_not_a_server_error(
    site: Site, user: str, path: str
) -> None:
    answer = site.login(user).page(path)
    assert answer.status_code in (200, 404), answer.text[:300]
    assert "text/html" in answer.headers["content-type"]


def test_a_day_that_is_no_date_is_named_on_a_page_not_in_raw_json(site: Site) -> None:
    answer = site.login("zhaozz").page("/supervisor?date=2026-13-45")
    assert answer.status_code == 400 and "text/html" in answer.headers["content-type"]
    assert "地址中 date 的值无效" in answer.text


def test_the_api_description_is_for_its_users_only(site: Site) -> None:
    assert requests.get(site.url + "/api/openapi.json", timeout=10).status_code == 401
    assert Browser(site.url).page("/api/docs").url.endswith("/login?next=/api/docs")
    assert site.api("sunyx").get(site.url + "/api/openapi.json", timeout=10).ok
    assert site.login("wangli").page("/api/docs").ok


def test_every_page_forbids_scripts_that_are_not_the_sites_own_files(site: Site) -> None:
    for user, path in (("wangli", "/agent"), ("zhaozz", "/supervisor"), ("root", "/admin/users")):
        policy = site.login(user).page(path).headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "object-src 'none'" in policy, path
