"""SMS text as a carrier bills it: normalised for the medium, marked as marketing where the
law asks, and counted in segments."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€")
# Characters that look like a space or a hyphen but force UCS-2 (double the cost) for nothing.
_LOOKALIKES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2011": "-"})


@dataclass(frozen=True)
class Cost:
    characters: int
    encoding: str  # GSM-7 or UCS-2
    segments: int


def normalise(text: str) -> str:
    """TEXT without look-alike spaces and hyphens, in NFC, stripped."""
    return unicodedata.normalize("NFC", text.translate(_LOOKALIKES)).strip()


def marketing(text: str, signature: str, opt_out_hint: str) -> str:
    """A marketing SMS carries the sender's name first and the opt-out hint last."""
    if signature and not text.startswith(signature):
        text = signature + text
    if opt_out_hint and opt_out_hint not in text:
        text = f"{text}{opt_out_hint}"
    return text


def cost(text: str) -> Cost:
    """Characters, encoding and segments: 160 / 153 a segment in GSM-7, 70 / 67 in UCS-2
    (counted in UTF-16 units, as carriers do)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in text):
        units = len(text) + sum(ch in _GSM7_EXTENDED for ch in text)
        return Cost(len(text), "GSM-7", 1 if units <= 160 else math.ceil(units / 153))
    units = len(text.encode("utf-16-le")) // 2
    return Cost(len(text), "UCS-2", 1 if units <= 70 else math.ceil(units / 67))
