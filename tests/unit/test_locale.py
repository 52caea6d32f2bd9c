"""The pages' Chinese: every English text a template or a page module shows has its Chinese, and
the area files never give one text two translations (they merge into one catalogue)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from outbound.web import i18n

WEB = Path(i18n.__file__).resolve().parent
SHOWN = re.compile(r'\b_\(\s*"((?:[^"\\]|\\.)+)"')


def test_every_text_of_the_pages_has_its_chinese() -> None:
    sources = [*WEB.glob("templates/**/*.html"), *WEB.glob("*.py")]
    texts = {m.group(1) for path in sources for m in SHOWN.finditer(path.read_text("utf-8"))}
    assert len(texts) > 100
    assert sorted(texts - i18n.chinese().keys()) == []


def test_no_text_has_two_translations_in_different_files() -> None:
    first: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted(i18n.LOCALE.glob("*.toml")):
        for english, chinese in tomllib.loads(path.read_text("utf-8")).items():
            seen = first.setdefault(english, (path.name, chinese))
            if seen[1] != chinese:
                clashes.append((english, seen, (path.name, chinese)))
    assert clashes == []


def test_a_text_without_a_translation_shows_in_english_with_its_values() -> None:
    assert i18n.translator("zh")("No such text {n}", n=3) == "No such text 3"
    assert i18n.translator("zh")("Log in") == "登录"
    assert i18n.translator("en")("Log in") == "Log in"
