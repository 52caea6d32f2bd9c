import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from outbound.contact import policy

SHANGHAI = ZoneInfo("Asia/Shanghai")


def members(*line_ids: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"line_id": list(line_ids), "phone": [f"+86934812{i:04d}" for i in range(len(line_ids))]}
    )


def nobody() -> policy.Contacts:
    return policy.Contacts((), (), (), ())


def test_each_rule_keeps_its_line_out_and_names_itself() -> None:
    lines = members("L1", "L2", "L3", "L4", "L5", "L6")
    contacts = policy.Contacts(
        suppressed_phones={"+869348120000"},
        open_order_lines={"L2"},
        recently_contacted_lines={"L3"},
        in_campaign_lines={"L4"},
    )
    kept, out = policy.apply(lines, "zero_usage_wakeup", 0, contacts, taken_today={"L5"})
    assert kept["line_id"].tolist() == ["L6"]
    assert dict(zip(out["line_id"], out["rule"], strict=True)) == {
        "L1": "suppressed",
        "L2": "open_order",
        "L3": "frequency_cap",
        "L4": "already_in_campaign",
        "L5": "one_campaign_a_day",
    }


def test_an_sms_campaign_keeps_fixed_lines_out_and_a_call_campaign_does_not() -> None:
    lines = pd.DataFrame(
        {
            "line_id": ["M", "F", "N", "US"],
            "phone": ["+8613993412345", "+869348123456", None, "+14153824657"],
        }
    )
    kept, out = policy.apply(lines, "spend_down_sms", 0, nobody(), (), channel="sms")
    # A North American number may be a mobile: the provider tells, not the number plan.
    assert kept["line_id"].tolist() == ["M", "US"]
    assert dict(zip(out["line_id"], out["rule"], strict=True)) == {
        "F": "not_mobile",
        "N": "no_phone",
    }
    for channel in ("call", "voice"):
        kept, out = policy.apply(lines, "care", 0, nobody(), (), channel=channel)
        assert kept["line_id"].tolist() == ["M", "F", "US"]
        assert out["rule"].tolist() == ["no_phone"]
    assert policy.can_take_sms("+8613993412345") and not policy.can_take_sms("+869348123456")


def test_the_first_rule_in_order_is_the_one_reported() -> None:
    lines = members("L1")
    contacts = policy.Contacts({"+869348120000"}, {"L1"}, {"L1"}, ())
    _, out = policy.apply(lines, "c", 0, contacts, ())
    assert out["rule"].tolist() == ["suppressed"]


def test_the_holdout_is_the_asked_share_and_the_same_on_every_run() -> None:
    lines = members(*(f"QY{i:08d}" for i in range(20_000)))
    first = policy.in_holdout(lines["line_id"], "zero_usage_wakeup", 10)
    again = policy.in_holdout(
        lines["line_id"].iloc[::-1].reset_index(drop=True), "zero_usage_wakeup", 10
    )
    assert 0.09 < first.mean() < 0.11
    assert (first == again[::-1]).all()


def test_campaigns_hold_out_different_lines() -> None:
    ids = pd.Series([f"QY{i:08d}" for i in range(20_000)])
    a, b = policy.in_holdout(ids, "a", 10), policy.in_holdout(ids, "b", 10)
    assert (a & b).mean() < 0.02


def test_the_stable_hash_is_fnv1a_of_the_utf8_bytes() -> None:
    def reference(text: str) -> int:
        value = 0xCBF29CE484222325
        for byte in text.encode():
            value = ((value ^ byte) * 0x100000001B3) % 2**64
        return value

    values = pd.Series(["QY00000001", "庆城县", "", "a"])
    assert policy.stable_hash(values, salt="c:").tolist() == [reference("c:" + v) for v in values]


def test_calls_wait_for_calling_hours_in_local_time() -> None:
    hours = (dt.time(8), dt.time(21))
    late = dt.datetime(2026, 11, 2, 22, 30, tzinfo=SHANGHAI)
    early = dt.datetime(2026, 11, 2, 6, 0, tzinfo=SHANGHAI)
    inside = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    assert policy.next_opening(late, hours, SHANGHAI) == dt.datetime(
        2026, 11, 3, 8, tzinfo=SHANGHAI
    )
    assert policy.next_opening(early, hours, SHANGHAI) == dt.datetime(
        2026, 11, 2, 8, tzinfo=SHANGHAI
    )
    assert policy.next_opening(inside, hours, SHANGHAI) == inside
    utc_evening = dt.datetime(2026, 11, 2, 13, 30, tzinfo=dt.UTC)  # 21:30 in Shanghai
    assert not policy.within_hours(utc_evening, hours, SHANGHAI)


def test_script_variants_split_lines_stably_and_apart_from_the_holdout() -> None:
    lines = pd.Series([f"0934{n:07d}" for n in range(20_000)])
    first = policy.variant(lines, "jiajia_upsell", 2)
    assert (first == policy.variant(lines, "jiajia_upsell", 2)).all()
    assert set(first) == {0, 1} and abs(first.mean() - 0.5) < 0.02
    held = policy.in_holdout(lines, "jiajia_upsell", 10)
    assert abs(first[held].mean() - 0.5) < 0.05  # the holdout is not one variant's lines
    assert (policy.variant(lines, "jiajia_upsell", 1) == 0).all()
    assert (policy.variant(lines, "other_campaign", 2) != first).any()
