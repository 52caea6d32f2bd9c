"""Who may log in, managed on the admin's page; everyone's own password on theirs."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, Browser, Site


def test_an_admin_adds_an_agent_user_who_can_then_log_in(site: Site) -> None:
    added = site.login("root").submit(
        "/admin/users",
        {"name": "zhoumin", "role": "agent", "person_id": "A03", "password": "坐席密码-2026"},
    )
    assert added.status_code == 200 and "已添加用户 zhoumin" in added.text
    assert site.login("zhoumin", "坐席密码-2026").page("/account").ok


def test_an_admin_adds_a_department_user_who_lands_on_the_departments_page(site: Site) -> None:
    added = site.login("root").submit(
        "/admin/users",
        {
            "name": "zhuangwei",
            "role": "department",
            "person_id": "装维部",
            "password": "装维-2026-xx",
        },
    )
    assert added.status_code == 200 and "已添加用户 zhuangwei" in added.text
    landed = site.login("zhuangwei", "装维-2026-xx").page("/")
    assert landed.url.endswith("/department") and "装维部工单" in landed.text


def test_adding_a_user_that_exists_is_refused_in_chinese_without_a_command(site: Site) -> None:
    refused = site.login("root").submit(
        "/admin/users", {"name": "wangli", "role": "marketing", "password": "whatever-123"}
    )
    assert refused.status_code == 409 and "用户“wangli”已存在" in refused.text
    assert "engine" not in refused.text and 'value="wangli"' in refused.text


def test_an_agent_user_for_an_agent_the_roster_lacks_is_refused_naming_the_id(site: Site) -> None:
    refused = site.login("root").submit(
        "/admin/users",
        {"name": "ghost", "role": "agent", "person_id": "A999", "password": "whatever-123"},
    )
    assert refused.status_code == 409 and "花名册中没有工号“A999”" in refused.text


def test_an_admin_lifts_a_lockout_before_its_time(site: Site) -> None:
    for _ in range(5):
        Browser(site.url).log_in("liqiang", "guess-guess")
    assert Browser(site.url).log_in("liqiang", PASSWORD).status_code == 429
    admin = site.login("root")
    listed = admin.page("/admin/users").text
    assert re.search(r"liqiang</td>.*?10:15", listed, re.S)
    unlocked = admin.submit("/admin/users/liqiang/unlock", {}, from_page="/admin/users")
    assert "已解除 liqiang 的锁定" in unlocked.text
    assert site.login("liqiang").page("/account").ok


def test_users_are_managed_by_admins_only(site: Site) -> None:
    supervisor = site.login("zhaozz")
    assert supervisor.page("/admin/users").status_code == 403
    forged = supervisor.submit("/admin/users/zhaozz/revoke", {}, from_page="/account")
    assert forged.status_code == 403 and supervisor.page("/account").ok


def test_a_user_changes_their_own_password_and_their_other_sessions_end(site: Site) -> None:
    here, elsewhere = site.login("sunyx"), site.login("sunyx")
    changed = here.submit(
        "/account", {"current": PASSWORD, "new": "营销新密码-2026", "again": "营销新密码-2026"}
    )
    assert changed.status_code == 200 and "密码已修改" in changed.text
    assert here.page("/marketing").url.endswith("/marketing")  # this browser stays in
    assert elsewhere.page("/marketing").url.endswith("/login?next=/marketing")
    assert Browser(site.url).log_in("sunyx", PASSWORD).status_code == 401
    assert site.login("sunyx", "营销新密码-2026").page("/account").ok


def test_a_wrong_current_password_or_two_different_new_ones_change_nothing(site: Site) -> None:
    browser = site.login("sunyx")
    wrong = browser.submit(
        "/account", {"current": "not-it-at-all", "new": "new-password-1", "again": "new-password-1"}
    )
    assert wrong.status_code == 409 and "当前密码不正确" in wrong.text
    differ = browser.submit(
        "/account", {"current": PASSWORD, "new": "new-password-1", "again": "new-password-2"}
    )
    assert differ.status_code == 409 and "两次输入的新密码不一致" in differ.text
    short = browser.submit("/account", {"current": PASSWORD, "new": "short", "again": "short"})
    assert short.status_code == 409 and "密码至少需要 8 个字符" in short.text
    assert site.login("sunyx").page("/account").ok
