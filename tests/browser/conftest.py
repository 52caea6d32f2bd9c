"""Browser tests: Debian's Chromium, headless, driven by Playwright against the app served as in
tests/web. With ENGINE_SCREENSHOTS=FOLDER set (make screenshots), the tests also save
screenshots of the pages they visit there."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.conftest import center, new_center  # noqa: F401
from tests.web.conftest import PASSWORD, Site, clock, site  # noqa: F401

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def logged_in(chromium: Browser, site: Site) -> Iterator[Callable[[str], Page]]:  # noqa: F811
    """Open a page logged in as NAME through the log-in form, in a context of its own."""
    contexts = []

    def open_as(name: str) -> Page:
        context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(site.url + "/login")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    """Save a screenshot of PAGE as NAME.png when ENGINE_SCREENSHOTS names a folder."""
    folder = os.environ.get("ENGINE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)
