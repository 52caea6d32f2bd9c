"""What marketing staff see of a phone number."""

import pytest

from outbound.privacy import mask as masked


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("+8613912345678", "139****5678"),
        ("+869348123456", "934***3456"),  # a Qingyang landline
        ("13912345678", "139****5678"),
        ("+8610086", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_shows_its_first_three_and_last_four_digits_only(
    phone: str | None, shown: str
) -> None:
    assert masked(phone) == shown
