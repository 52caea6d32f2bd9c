"""Chinese from end to end: every page of every role, the refusals they show and the answers of
the API speak Chinese by default; three English words in a row on a Chinese page are a
sentence someone forgot to translate."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.language import english_runs
from tests.web.conftest import Browser, Site

PAGES = {
    "wangli": ["/agent", "/account", "/agent/items/{item}"],
    "zhaozz": ["/supervisor", "/supervisor/deadlines", "/supervisor/absences"],
    "sunyx": [
        "/marketing",
        "/marketing/rules",
        "/marketing/campaigns",
        "/marketing/sms",
        "/marketing/results",
    ],
    "root": ["/admin", "/admin/users"],
}
# Not words of the page: code, drawings, and what the user wrote (a rule in the editor).
HIDDEN = ("script", "style", "svg", "textarea", "code", "pre")
# What a reader sees besides the text between tags.
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1
        if tag == "input" and dict(attrs).get("type") == "hidden":
            return
        self.parts.extend(value for name, value in attrs if name in SHOWN_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    reader = _Visible()
    reader.feed(html)
    return "\n".join(reader.parts)


def _untranslated(browser: Browser, path: str) -> list[str]:
    answer = browser.page(path)
    assert answer.status_code < 500, (path, answer.text[:300])
    return english_runs(visible_text(answer.text))


@pytest.mark.parametrize("user", sorted(PAGES))
def test_every_page_of_a_role_is_chinese(site: Site, user: str) -> None:
    browser = site.login(user)
    listing = browser.page("/agent").text if user == "wangli" else ""
    item = re.search(r"/agent/items/(\d+)", listing)
    found = {}
    for path in PAGES[user]:
        path = path.format(item=item.group(1) if item else "1")
        found[path] = _untranslated(browser, path)
    assert found == {path: [] for path in found}


def test_the_log_in_page_and_the_error_pages_are_chinese(site: Site) -> None:
    anonymous = Browser(site.url)
    assert _untranslated(anonymous, "/login") == []
    agent = site.login("wangli")
    assert _untranslated(agent, "/admin") == []  # forbidden
    assert _untranslated(agent, "/no/such/page") == []
    assert _untranslated(agent, "/agent/items/99999999999999999999999") == []
