"""Who sees a number in full, and how an audit row names what a view showed (no I/O)."""

from __future__ import annotations

import pandas as pd
import pytest

from outbound import privacy


@pytest.mark.parametrize(
    ("role", "granted", "own", "seen"),
    [
        ("agent", (), True, "own"),
        ("supervisor", (), False, "masked"),
        ("supervisor", ("supervisor",), False, "granted"),
        ("admin", ("supervisor",), False, "masked"),
        ("department", ("supervisor", "department"), False, "granted"),
        ("marketing", ("supervisor",), False, "masked"),
    ],
)
def test_a_number_shows_in_full_only_on_ones_own_item_or_to_a_granted_role(
    role: str, granted: tuple[str, ...], own: bool, seen: str
) -> None:
    assert privacy.sight(role, granted, own=own) == seen


def test_every_phone_column_of_a_listing_is_masked_and_the_rest_kept() -> None:
    frame = pd.DataFrame(
        {
            "line_id": ["QY0000000001", "QY0000000002"],
            "phone": ["+8613993412345", "+869348211001"],
            "prev.phone": ["+8613993412345", None],
            "customer_name": ["张建超", "李秀英"],
        }
    )
    shown = privacy.masked(frame)
    assert shown["phone"].tolist() == ["139****2345", "934***1001"]
    assert shown["prev.phone"].tolist()[0] == "139****2345" and shown["prev.phone"].isna()[1]
    assert shown[["line_id", "customer_name"]].equals(frame[["line_id", "customer_name"]])
    assert frame["phone"].iloc[0] == "+8613993412345"  # the listing itself is not changed
    assert privacy.numbers_in(frame) == 3


def test_an_audit_subject_names_each_item_once_and_counts_them_all() -> None:
    assert privacy.subject([101, 102, 101, 103]) == "3: 101,102,103"
    assert privacy.subject(["QY0000000001", None]) == "1: QY0000000001"
    many = privacy.subject(range(1, 121))
    assert many.startswith("120: 1,2,3,") and many.endswith(",49,50,…")
    assert many.count(",") == privacy.SUBJECT_IDS
