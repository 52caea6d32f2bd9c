"""Logging in and out over real HTTP: sessions, CSRF, lockouts, roles and the language switch."""

from __future__ import annotations

import requests

from outbound.config import load_config
from outbound.staff import users
from outbound.store.db import open_database
from outbound.web.security import COOKIE
from tests.web.conftest import PASSWORD, Browser, Site, csrf_of


def test_a_user_logs_in_and_lands_on_the_start_page_of_their_role(site: Site) -> None:
    browser = Browser(site.url)
    answer = browser.log_in("root", PASSWORD)
    assert answer.url.endswith("/admin")
    assert "定时任务" in answer.text and "root" in answer.text
    cookie = next(c for c in browser.cookies if c.name == COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_a_page_without_a_session_sends_the_browser_to_the_log_in_form_and_back(site: Site) -> None:
    browser = Browser(site.url)
    answer = browser.page("/admin?limit=5")
    assert answer.url.endswith("/login?next=/admin?limit=5")
    form = browser.get(answer.url)
    back = browser.post(
        site.url + "/login",
        data={
            "name": "root",
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "/admin?limit=5",
        },
    )
    assert back.url.endswith("/admin?limit=5")


def test_a_log_in_never_redirects_to_another_site(site: Site) -> None:
    browser = Browser(site.url)
    form = browser.page("/login?next=//evil.example.com/x")
    assert "evil" not in form.text
    answer = browser.post(
        site.url + "/login",
        data={
            "name": "root",
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "https://evil.example.com",
        },
        allow_redirects=False,
    )
    assert answer.headers["location"] == "/admin"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    browser = Browser(site.url)
    wrong_password = browser.log_in("root", "not-the-password")
    unknown_name = Browser(site.url).log_in("nobody", "not-the-password")
    assert wrong_password.status_code == unknown_name.status_code == 401
    assert "用户名或密码错误" in wrong_password.text and "用户名或密码错误" in unknown_name.text
    assert COOKIE not in browser.cookies


def test_five_failures_lock_the_name_even_for_the_right_password_until_the_time_shown(
    site: Site,
) -> None:
    for _ in range(4):
        assert Browser(site.url).log_in("wangli", "guess-guess").status_code == 401
    fifth = Browser(site.url).log_in("wangli", "guess-guess")
    assert fifth.status_code == 429 and "10:15" in fifth.text  # clock 10:00, 15 minutes
    right = Browser(site.url).log_in("wangli", PASSWORD)
    assert right.status_code == 429
    site.clock.set("2026-11-02T10:16")
    assert Browser(site.url).log_in("wangli", PASSWORD).url.endswith("/agent")


def test_one_address_failing_with_many_names_is_throttled(site: Site) -> None:
    for attempt in range(20):
        assert Browser(site.url).log_in(f"guess{attempt}", "guess-guess").status_code == 401
    assert Browser(site.url).log_in("root", PASSWORD).status_code == 429


def test_a_log_in_form_from_elsewhere_is_refused(site: Site) -> None:
    forged = requests.post(
        site.url + "/login", data={"name": "root", "password": PASSWORD, "csrf": "x"}
    )
    assert forged.status_code == 403 and COOKIE not in forged.cookies


def test_a_post_without_the_sessions_csrf_token_is_refused(site: Site) -> None:
    browser = site.login("root")
    forged = browser.post(site.url + "/logout", data={"csrf": "made-up"})
    assert forged.status_code == 403
    assert browser.page("/admin").url.endswith("/admin")  # still logged in
    assert browser.submit("/logout", {}, from_page="/admin").url.endswith("/login")
    assert browser.page("/admin").url.endswith("/login?next=/admin")


def test_a_tampered_session_cookie_is_no_session(site: Site) -> None:
    browser = site.login("root")
    cookie = browser.cookies.get(COOKIE)
    browser.cookies.set(COOKIE, cookie[:-3] + "abc")
    assert "/login" in browser.page("/admin").url


def test_a_new_password_ends_the_users_open_sessions(site: Site) -> None:
    browser = site.login("root")
    engine = open_database(load_config(site.center.folder).database_url)
    users.set_password(engine, "root", "a-new-password")
    engine.dispose()
    assert "/login" in browser.page("/admin").url


def test_another_roles_page_is_forbidden(site: Site) -> None:
    agent = site.login("wangli")
    answer = agent.page("/admin")
    assert answer.status_code == 403 and "无权" in answer.text


def test_the_language_switch_turns_the_pages_to_english_and_back(site: Site) -> None:
    browser = site.login("root")
    english = browser.page("/lang/en?next=/admin")
    assert english.url.endswith("/admin") and "Job runs" in english.text
    assert "定时任务" in browser.page("/lang/zh?next=/admin").text


def test_a_log_in_posted_without_its_form_token_and_cookie_is_refused(site: Site) -> None:
    bare = requests.post(
        site.url + "/login",
        data={"name": "root", "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert bare.status_code == 403 and COOKIE not in bare.cookies
    empty = requests.post(
        site.url + "/login",
        data={"name": "root", "password": PASSWORD, "csrf": ""},
        cookies={"login_csrf": ""},
        allow_redirects=False,
        timeout=10,
    )
    assert empty.status_code == 403 and COOKIE not in empty.cookies


def test_every_answer_refuses_framing_and_pages_with_customers_are_not_cached(site: Site) -> None:
    browser = site.login("wangli")
    for path in ("/agent", "/login", "/healthz", "/static/style.css"):
        answer = browser.get(site.url + path)
        assert answer.headers["X-Frame-Options"] == "DENY", path
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"] == "same-origin", path
    assert browser.get(site.url + "/agent").headers["Cache-Control"] == "no-store"
    assert "no-store" not in browser.get(site.url + "/static/style.css").headers.get(
        "Cache-Control", ""
    )
