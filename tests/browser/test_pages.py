"""Every role's pages in Chromium, at a desk (1366×768) and on a phone (390×844): each loads
without an error in the console (a script the Content-Security-Policy refuses would be one),
shows no English sentence, and on the phone nothing runs off the right edge."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import shot
from tests.language import english_runs

DESK, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
PAGES = {
    "wangli": ["/agent", "/agent/next", "/account"],
    "zhaozz": ["/supervisor", "/supervisor/deadlines", "/supervisor/absences"],
    "sunyx": [
        "/marketing",
        "/marketing/rules?rule=status+%3D%3D+%27active%27",
        "/marketing/campaigns",
        "/marketing/sms",
        "/marketing/results",
    ],
    "root": ["/admin", "/admin/users"],
}

# The page's words: not code, drawings or what the user wrote (a rule in the editor).
WORDS = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("code, pre, textarea, svg, script, style").forEach((e) => e.remove());
  return main.innerText;
}"""


@pytest.mark.parametrize("user", sorted(PAGES))
def test_every_page_of_a_role_loads_cleanly_in_chinese_at_a_desk_and_on_a_phone(
    logged_in: Callable[[str], Page], user: str
) -> None:
    page = logged_in(user)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    for size, width in ((DESK, "desk"), (PHONE, "phone")):
        page.set_viewport_size(size)
        for path in PAGES[user]:
            page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + path)
            page.wait_for_load_state("networkidle")
            assert errors == [], (path, width, errors)
            text = page.evaluate(WORDS)
            assert english_runs(text) == [], (path, width)
            if size is PHONE:
                overflow = page.evaluate("document.documentElement.scrollWidth")
                assert overflow <= PHONE["width"], (path, overflow)
            name = path.strip("/").split("?")[0].replace("/", "-") or "home"
            shot(page, f"{name}-{width}")
