"""The contact policy: which of a campaign's members may be contacted today, and why not.

Pure: frames and sets in, frames out. Each rule has a name and a sentence, so that
`engine why` can say which rule kept a customer out of which campaign.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outbound.extract.phones import phone_types

RULES = {
    "no_phone": "the line has no phone number: no campaign can reach it",
    "suppressed": "the number is on the suppression list",
    "not_mobile": "the number is a fixed line: it cannot take an SMS",
    "holdout": "the line is in the campaign's holdout group (not contacted, for measuring lift)",
    "already_in_campaign": "the line already has a work order of this campaign this month",
    "open_order": "the customer already holds an open work order",
    "frequency_cap": "the customer was contacted within the frequency cap",
    "one_campaign_a_day": "a higher-priority campaign took the customer today",
}
_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


@dataclass(frozen=True)
class Contacts:
    """What the store knows about lines, as of the run: the inputs of the rules."""

    suppressed_phones: Collection[str]
    open_order_lines: Collection[str]
    recently_contacted_lines: Collection[str]
    in_campaign_lines: Collection[str]  # of the campaign being planned


def apply(
    members: pd.DataFrame,
    campaign: str,
    holdout_percent: float,
    contacts: Contacts,
    taken_today: Collection[str],
    *,
    channel: str = "call",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MEMBERS (line_id, phone, ...) split into those a campaign of CHANNEL may contact and
    those kept out, the latter with the first rule that kept each out (column `rule`)."""
    line_ids = pa.array(members["line_id"], pa.string())
    phones = pa.array(members["phone"], pa.string())
    has_phone = pc.is_valid(phones).to_numpy(zero_copy_only=False)
    checks = {
        "no_phone": ~has_phone,
        "suppressed": _among(phones, contacts.suppressed_phones),
        "not_mobile": has_phone & ~reachable(phones, channel),
        "holdout": in_holdout(members["line_id"], campaign, holdout_percent),
        "already_in_campaign": _among(line_ids, contacts.in_campaign_lines),
        "open_order": _among(line_ids, contacts.open_order_lines),
        "frequency_cap": _among(line_ids, contacts.recently_contacted_lines),
        "one_campaign_a_day": _among(line_ids, taken_today),
    }
    first = np.zeros(len(members), dtype=np.int8)  # 0: kept; else 1 + the rule's position
    for position, hit in enumerate(checks.values(), start=1):
        first[(first == 0) & hit] = position
    kept = first == 0
    names = np.array([None, *checks], dtype=object)
    return members[kept], members[~kept].assign(rule=names[first[~kept]])


def reachable(phones: pa.Array, channel: str) -> np.ndarray:
    """Whether a message of CHANNEL can reach each of PHONES (E.164): an SMS any number but a
    fixed line (where a country's plan does not tell mobiles apart, the provider will), a call
    or a voice message any number; nothing reaches a line without one."""
    present = pc.is_valid(phones).to_numpy(zero_copy_only=False)
    if channel != "sms":
        return present
    fixed = pc.equal(phone_types(phones), "fixed")
    return present & ~pc.fill_null(fixed, True).to_numpy(zero_copy_only=False)


def can_take_sms(phone: str) -> bool:
    return bool(reachable(pa.array([phone], pa.string()), "sms")[0])


def _among(values: pa.Array, known: Collection[str]) -> np.ndarray:
    """Whether each value is in KNOWN, by Arrow's hash lookup."""
    if not known:
        return np.zeros(len(values), dtype=bool)
    found = pc.is_in(values, value_set=pa.array(list(known), pa.string()))
    return found.to_numpy(zero_copy_only=False)


def in_holdout(line_ids: pd.Series, campaign: str, percent: float) -> np.ndarray:
    """Whether each line is in CAMPAIGN's holdout: a stable hash of campaign and line, so
    reruns, other machines and later months agree."""
    if percent <= 0:
        return np.zeros(len(line_ids), dtype=bool)
    return stable_hash(line_ids, salt=f"{campaign}:") % np.uint64(10_000) < round(percent * 100)


def variant(line_ids: pd.Series, campaign: str, count: int) -> np.ndarray:
    """Which of COUNT script variants of CAMPAIGN each line gets, 0 to COUNT - 1: stable, like
    the holdout, and drawn apart from it (another salt)."""
    return (stable_hash(line_ids, salt=f"{campaign}:script:") % np.uint64(count)).astype(np.int64)


def stable_hash(values: pd.Series, salt: str = "") -> np.ndarray:
    """64-bit FNV-1a of SALT + each value's UTF-8 bytes, over the whole column at once: defined
    here, so that it never changes with a library's version."""
    text = pa.array(values.astype(object).where(values.notna(), ""), pa.string())
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[: len(text) + 1].astype(np.int64)
    data = np.frombuffer(data_buffer or b"", dtype=np.uint8)
    hashes = np.full(len(text), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for byte in salt.encode():
            hashes = (hashes ^ np.uint64(byte)) * _FNV_PRIME
        lengths = np.diff(offsets)
        for position in range(int(lengths.max(initial=0))):
            rows = np.flatnonzero(lengths > position)
            hashes[rows] = (hashes[rows] ^ data[offsets[rows] + position]) * _FNV_PRIME
    return hashes


def within_hours(moment: dt.datetime, hours: tuple[dt.time, dt.time], tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz).time()
    return hours[0] <= local < hours[1]


def next_opening(moment: dt.datetime, hours: tuple[dt.time, dt.time], tz: ZoneInfo) -> dt.datetime:
    """MOMENT if calling is allowed then, else the next opening of calling hours."""
    local = moment.astimezone(tz)
    if within_hours(moment, hours, tz):
        return moment
    day = local.date() if local.time() < hours[0] else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, hours[0], tzinfo=tz)
