"""What the domain refuses, in the reader's language: a UserError with a code is said from
locale/refusals/LANGUAGE.toml with its values; the command line keeps the error's own message,
whose hints name commands and flags that mean nothing on a page."""

from __future__ import annotations

import tomllib
from functools import cache

from outbound.errors import UserError
from outbound.web.i18n import LOCALE

REFUSALS = LOCALE / "refusals"


@cache
def catalog(language: str) -> dict[str, str]:
    return tomllib.loads((REFUSALS / f"{language}.toml").read_text(encoding="utf-8"))


def said(error: UserError, language: str) -> str:
    """ERROR as a sentence for a page or an API answer in LANGUAGE."""
    text = catalog(language).get(error.code or "")
    return text.format(**error.values) if text is not None else error.message
