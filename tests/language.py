"""Whether a Chinese page lets English through: three or more English words in a row are a
sentence (or a label) someone forgot to translate. Names, ids and units are single words."""

from __future__ import annotations

import re

_RUN = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ ,:;.\-/()]+[A-Za-z][A-Za-z'’]+){2,}")


def english_runs(text: str) -> list[str]:
    return _RUN.findall(text)
