"""The web app over real HTTP: the call center of the end-to-end tests after its first daily
run, served by uvicorn on a free local port with a clock the test moves, and its users."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import requests
import uvicorn

from outbound.config import load_config
from outbound.staff import users
from outbound.store.db import open_database
from outbound.web.app import create_app
from tests.e2e.conftest import DAY, Center, center, new_center  # noqa: F401

PASSWORD = "呼叫中心-2026"
PEOPLE = {
    # name: (role, agent or supervisor id)
    "wangli": ("agent", "A01"),
    "liqiang": ("agent", "A02"),
    "liuyang": ("agent", "A04"),
    "zhaozz": ("supervisor", "S01"),
    "sunyx": ("marketing", None),
    "root": ("admin", None),
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """The app's clock: a local moment the test sets, or moves."""

    def __init__(self, moment: str) -> None:
        self.set(moment)

    def set(self, moment: str) -> None:
        self.moment = dt.datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)

    def __call__(self) -> dt.datetime:
        return self.moment.astimezone(dt.UTC)


class Site:
    def __init__(self, url: str, workspace: Center, clock: Clock) -> None:
        self.url, self.center, self.clock = url, workspace, clock

    def login(self, name: str, password: str = PASSWORD) -> Browser:
        browser = Browser(self.url)
        answer = browser.log_in(name, password)
        assert answer.status_code == 200 and "/login" not in answer.url, answer.text[:500]
        return browser

    def api(self, name: str) -> requests.Session:
        config = load_config(self.center.folder)
        engine = open_database(config.database_url)
        token = users.new_token(engine, name)
        engine.dispose()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        return session


class Browser(requests.Session):
    """A requests session that keeps cookies and sends the page's CSRF token back."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.headers["Accept"] = "text/html"

    def log_in(self, name: str, password: str) -> requests.Response:
        form = self.get(self.url + "/login")
        return self.post(
            self.url + "/login",
            data={"name": name, "password": password, "csrf": csrf_of(form.text)},
        )

    def page(self, path: str) -> requests.Response:
        return self.get(self.url + path)

    def submit(
        self, path: str, data: dict[str, str], *, from_page: str | None = None
    ) -> requests.Response:
        """Post DATA to PATH with the CSRF token of the page FROM_PAGE (default: PATH)."""
        token = csrf_of(self.page(from_page or path).text)
        return self.post(self.url + path, data={**data, "csrf": token})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html) or re.search(
        r'"X-CSRF-Token": "([^"]*)"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def clock() -> Clock:
    return Clock(f"{DAY}T10:00")


@pytest.fixture
def site(center: Center, clock: Clock) -> Iterator[Site]:  # noqa: F811
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    for name, (role, person) in PEOPLE.items():
        users.add(engine, name, role, PASSWORD, clock(), person)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, engine, clock), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield Site(f"http://127.0.0.1:{port}", center, clock)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
def login(site: Site) -> Callable[[str], Browser]:
    return site.login
