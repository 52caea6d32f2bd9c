"""The pages' two languages. Templates and code write English; locale/*.toml map each English
text to its Chinese (a file per area of the app). A text without a translation shows in English."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

LANGUAGES = ("zh", "en")
LOCALE = Path(__file__).resolve().parent / "locale"


@cache
def chinese() -> dict[str, str]:
    catalog: dict[str, str] = {}
    for path in sorted(LOCALE.glob("*.toml")):
        catalog.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return catalog


def translator(language: str) -> Callable[..., str]:
    """_(text, **values): TEXT in LANGUAGE with {values} filled in."""
    catalog = chinese() if language == "zh" else {}

    def translate(text: str, **values: object) -> str:
        found = catalog.get(text, text)
        return found.format(**values) if values else found

    return translate
