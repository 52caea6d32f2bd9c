"""Phone normalisation: the forms extracts really carry, and agreement with phonenumbers."""

from __future__ import annotations

import random
import re
import unicodedata

import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound.extract import phones
from outbound.extract.phones import normalise_phones, phone_types

QINGYANG = "0934"


@pytest.mark.parametrize(
    ("written", "area_code", "expected"),
    [
        ("0934-8123456", QINGYANG, "+869348123456"),
        ("09348123456", QINGYANG, "+869348123456"),
        ("(0934)8123456", QINGYANG, "+869348123456"),
        ("（0934）8123456", QINGYANG, "+869348123456"),
        ("0934 812 3456", QINGYANG, "+869348123456"),
        ("0934.8123456", QINGYANG, "+869348123456"),
        ("0934—8123456", QINGYANG, "+869348123456"),
        ("+86 934 8123456", QINGYANG, "+869348123456"),
        ("+86 0934 8123456", QINGYANG, "+869348123456"),
        ("869348123456", QINGYANG, "+869348123456"),
        ("0086 934 8123456", QINGYANG, "+869348123456"),
        ("０９３４－８１２３４５６", QINGYANG, "+869348123456"),
        ("8123456", QINGYANG, "+869348123456"),
        ("８１２３４５６", QINGYANG, "+869348123456"),
        ("8123456", None, None),
        ("8123456", "", None),
        ("8603456", QINGYANG, "+869348603456"),
        ("81234567", QINGYANG, None),  # 庆阳 subscriber numbers have 7 digits
        ("13912345678", QINGYANG, "+8613912345678"),
        ("139-1234-5678", QINGYANG, "+8613912345678"),
        ("+86 139 1234 5678", QINGYANG, "+8613912345678"),
        ("+8613912345678", None, "+8613912345678"),
        ("8613912345678", QINGYANG, "+8613912345678"),
        ("008613912345678", QINGYANG, "+8613912345678"),
        ("＋８６１３９１２３４５６７８", QINGYANG, "+8613912345678"),
        ("14012345678", QINGYANG, None),
        ("1391234567", QINGYANG, None),
        ("010-12345678", QINGYANG, "+861012345678"),
        ("01062345678", None, "+861062345678"),
        ("+86 10 6234 5678", None, "+861062345678"),
        ("021-61234567", QINGYANG, "+862161234567"),
        ("(020)83123456", QINGYANG, "+862083123456"),
        ("0311-86123456", QINGYANG, "+8631186123456"),
        ("400-810-8888", QINGYANG, "+864008108888"),
        ("800 820 8820", QINGYANG, "+868008208820"),
        ("95588", QINGYANG, None),
        ("123", QINGYANG, None),
        ("abc", QINGYANG, None),
        ("0934-812", QINGYANG, None),
        ("+1 650 253 0000", QINGYANG, None),
        ("--", QINGYANG, None),
        ("", QINGYANG, None),
        (None, QINGYANG, None),
    ],
)
def test_real_world_forms_become_e164_or_null(
    written: str | None, area_code: str | None, expected: str | None
) -> None:
    result = normalise_phones(pa.array([written], pa.string()), area_code)
    assert result.type == pa.string()
    assert result.to_pylist() == [expected]


def test_a_column_keeps_its_length_and_order_whether_chunked_or_sliced() -> None:
    values = ["13912345678", None, "0934-8123456", "x", "8123456", ""]
    expected = ["+8613912345678", None, "+869348123456", None, "+869348123456", None]
    chunked = pa.chunked_array([values[:2], values[2:]], pa.string())
    assert normalise_phones(chunked, QINGYANG).to_pylist() == expected
    assert normalise_phones(pa.array(["0", *values])[1:], QINGYANG).to_pylist() == expected
    assert normalise_phones(pa.array(values, pa.large_string()), QINGYANG).to_pylist() == expected
    assert normalise_phones(pa.array([], pa.string()), QINGYANG).to_pylist() == []


def reference(written: str, area_code: str | None) -> str | None:
    """The answer phonenumbers gives one number at a time, a bare local number being read
    with the area code in front."""
    digits = re.sub(r"[\s\-.()]", "", unicodedata.normalize("NFKC", written))
    if area_code and re.fullmatch(r"[2-9]\d{6,7}", digits):
        written = area_code + digits
    try:
        number = phonenumbers.parse(written, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, "CN"):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def generated_numbers(count: int, seed: int) -> list[str]:
    """Mobiles, fixed lines and local numbers, valid or nearly so, written as people do."""
    chance = random.Random(seed)

    def digits(n: int) -> str:
        return "".join(chance.choice("0123456789") for _ in range(n))

    def number() -> tuple[str, str]:
        kind = chance.random()
        if kind < 0.35:
            return "", "1" + chance.choice("3456789") + digits(9)
        if kind < 0.55:
            return "0" + chance.choice(["10", "20", "21", "22", "25", "27", "28", "29"]), (
                chance.choice("23456789") + digits(7)
            )
        if kind < 0.85:
            area = chance.choice(["934", "931", "311", "371", "631", "851", "898", "755"])
            if chance.random() < 0.3:
                area = chance.choice("3456789") + digits(2)
            return "0" + area, chance.choice("0123456789") + digits(chance.choice([6, 7]))
        return "", chance.choice("23456789") + digits(chance.choice([5, 6, 7, 8]))

    written = []
    for _ in range(count):
        area, rest = number()
        style = chance.randrange(8)
        if style == 0 and area:
            text = f"{area}-{rest}"
        elif style == 1 and area:
            text = f"({area}){rest}"
        elif style == 2:
            text = f"+86 {area[1:]} {rest}".replace("  ", " ")
        elif style == 3:
            text = f"0086{area[1:]}{rest}"
        elif style == 4:
            text = f"86{area[1:]}{rest}"
        elif style == 5:
            text = unicodedata.normalize("NFKC", f"{area}{rest}").translate(
                str.maketrans("0123456789", "０１２３４５６７８９")
            )
        else:
            text = f"{area}{rest}"
        written.append(text)
    return written


@pytest.mark.parametrize("area_code", [QINGYANG, None])
def test_the_fast_path_agrees_with_phonenumbers_on_generated_numbers(
    area_code: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = generated_numbers(4000, seed=1)
    undecided: list[str] = []
    monkeypatch.setattr(phones, "_one_by_one", lambda text, _country: undecided.append(text))
    fast = normalise_phones(pa.array(written), area_code).to_pylist()
    monkeypatch.undo()

    expected = [reference(text, area_code) for text in written]
    decided = [
        (text, ours, theirs)
        for text, ours, theirs in zip(written, fast, expected, strict=True)
        if ours is not None
    ]
    assert [(text, ours) for text, ours, _ in decided] == [(t, e) for t, _, e in decided]
    assert len(decided) >= 0.95 * sum(e is not None for e in expected)
    assert len(decided) + len(undecided) == len(written)
    assert normalise_phones(pa.array(written), area_code).to_pylist() == expected


@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=20))
def test_any_text_gives_null_or_a_valid_chinese_number(values: list[str | None]) -> None:
    for result in normalise_phones(pa.array(values, pa.string()), QINGYANG).to_pylist():
        assert result is None or _is_valid_e164(result)


@given(st.lists(st.from_regex(r"[+0-9０-９ ()\-.]{0,18}", fullmatch=True), max_size=20))
def test_phone_like_text_gives_what_phonenumbers_gives(values: list[str]) -> None:
    results = normalise_phones(pa.array(values, pa.string()), QINGYANG).to_pylist()
    assert results == [reference(value, QINGYANG) for value in values]


def _is_valid_e164(text: str) -> bool:
    number = phonenumbers.parse(text, None)
    return (
        phonenumbers.is_valid_number_for_region(number, "CN")
        and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == text
    )


def test_each_number_is_typed_mobile_or_fixed_as_phonenumbers_types_it() -> None:
    numbers = normalise_phones(pa.array(generated_numbers(4000, seed=2)), QINGYANG)
    types = phone_types(numbers).to_pylist()
    for number, typed in zip(numbers.to_pylist(), types, strict=True):
        assert typed == _type_of(number), number
    assert {"mobile", "fixed", None} <= set(types)


def _type_of(e164: str | None) -> str | None:
    """mobile, or fixed for any other type (a fixed line, a shared-cost 95 number, ...)."""
    if e164 is None:
        return None
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return "mobile" if kind == phonenumbers.PhoneNumberType.MOBILE else "fixed"
