"""Phone numbers as an extract writes them, made E.164: the regular forms are decided for the
whole column at once, the odd ones one by one through phonenumbers."""

from __future__ import annotations

import re._constants as sre_constants
import re._parser as sre_parser
from functools import cache
from itertools import product
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

REGION = "CN"
_SEPARATORS = np.zeros(256, dtype=bool)
_SEPARATORS[list(b" \t\n\r\v\f-.()")] = True
# Dashes NFKC leaves alone: hyphens, figure dash, en and em dash, horizontal bar, minus.
_WIDE_DASHES = "[\u2010-\u2015\u2212]"
_LENGTH_KEY = 10**13  # an NSN and its length as one integer: length * 10**13 + NSN


def normalise_phones(
    values: pa.Array | pa.ChunkedArray, default_area_code: str | None, country: str = REGION
) -> pa.Array:
    """E.164 numbers (+8613912345678, +869348123456), null where a value is null or is not a
    valid number of COUNTRY; a local number (7 or 8 digits) is taken to be in
    DEFAULT_AREA_CODE. A number of another country is never rewritten into this one."""
    if country != REGION:
        return _normalise_elsewhere(values, default_area_code, country)
    text = _ascii_text(values)
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    offsets, data = _strip_separators(text)
    forms = _Forms(offsets, data, present)
    area = (default_area_code or "").removeprefix("0")
    local_with_area = forms.local & bool(area)

    # Every regular form is its NSN behind "+86", "0086", "86" or "0", or the NSN itself.
    digits = pa.Array.from_buffers(
        pa.string(), len(text), [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    )
    digits = pc.ascii_ltrim(digits.filter(forms.regular), "+")
    number = np.zeros(len(text), dtype=np.int64)
    number[forms.regular] = pc.cast(digits, pa.int64()).to_numpy()
    nsn_length = forms.nsn_length
    number -= np.where(forms.country, 86 * 10 ** nsn_length.clip(0, 12), 0)
    if area:
        number += np.where(local_with_area, int(area) * 10 ** nsn_length.clip(0, 12), 0)
        nsn_length = nsn_length + np.where(local_with_area, len(area), 0)
    valid = forms.regular & _is_valid_nsn(number, nsn_length)
    e164 = pc.utf8_replace_slice(pc.cast(pa.array(number, mask=~valid), pa.string()), 0, 0, "+86")

    undecided = ~valid & present & (np.diff(offsets) > 0)
    if not undecided.any():
        return e164
    # A local number is read as written with its area code, by phonenumbers as well.
    if local_with_area.any():
        text = pc.if_else(local_with_area, pc.utf8_replace_slice(text, 0, 0, "0" + area), text)
    slow = [_one_by_one(value, REGION) for value in text.filter(undecided).to_pylist()]
    return pc.replace_with_mask(e164, pa.array(undecided), pa.array(slow, pa.string()))


def _normalise_elsewhere(
    values: pa.Array | pa.ChunkedArray, default_area_code: str | None, country: str
) -> pa.Array:
    """normalise_phones for a country other than China: each distinct value through
    phonenumbers (extracts outside China are the small ones)."""
    text = _ascii_text(values)
    if default_area_code:
        text = with_area_codes(pa.repeat(default_area_code, len(text)), text, country)
    encoded = pc.dictionary_encode(text)
    distinct = [_one_by_one(value, country) for value in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(distinct, pa.string()), encoded.indices)


def with_area_codes(areas: pa.Array, numbers: pa.Array, country: str = REGION) -> pa.Array:
    """NUMBERS with the area code of the same row put before those written without one (at
    most 8 digits); a Chinese area code with its trunk 0."""
    digits = pc.replace_substring_regex(_ascii_text(numbers), r"[\s\-.()]", "")
    local = pc.and_(pc.match_substring_regex(digits, r"^\d{4,8}$"), pc.is_valid(areas)).fill_null(
        False
    )
    if not pc.any(local).as_py():
        return numbers
    area = pc.utf8_trim_whitespace(pc.cast(areas, pa.string()))
    if country == REGION:
        area = pc.if_else(
            pc.starts_with(area, "0"), area, pc.binary_join_element_wise("0", area, "")
        )
    return pc.if_else(local, pc.binary_join_element_wise(area, digits, ""), numbers)


def why_not(value: str, country: str = REGION) -> str:
    """Why VALUE is not taken as a number of COUNTRY, for the reject file."""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return "not a phone number"
    region = phonenumbers.region_code_for_number(number)
    if phonenumbers.is_valid_number(number) and region and region != country:
        return (
            f"a number of {region} (+{number.country_code}), not of {country}: "
            "[extract] country names the extract's country"
        )
    if country == REGION:
        return "not a Chinese mobile or fixed-line number"
    return f"not a valid number of {country}"


class _Forms:
    """Which rows have which regular form: digits with at most a leading plus, told apart by
    their first four characters and their length; and the length of the NSN in each."""

    def __init__(self, offsets: np.ndarray, data: np.ndarray, present: np.ndarray) -> None:
        starts, ends = offsets[:-1], offsets[1:]
        length = ends - starts
        b0, b1, b2, b3 = (_byte_at(starts + i, ends, data) for i in range(4))
        not_digits = _count_per_row(np.flatnonzero((data < ord("0")) | (data > ord("9"))), offsets)
        plus = b0 == ord("+")
        digits = present & (length > 0) & (not_digits == plus)

        plus_86 = plus & (b1 == ord("8")) & (b2 == ord("6"))
        idd_86 = (b0 == ord("0")) & (b1 == ord("0")) & (b2 == ord("8")) & (b3 == ord("6"))
        starts_86 = (b0 == ord("8")) & (b1 == ord("6"))
        after_86 = length - np.select([plus_86, idd_86, starts_86], [3, 4, 2], length)
        # The NSN behind a country code has 10 to 12 digits, which also tells a leading "86"
        # that is the country code from one that starts a shorter number.
        self.country = digits & (after_86 >= 10) & (after_86 <= 12)
        trunk = digits & (b0 == ord("0")) & (b1 >= ord("1")) & (length <= 13)
        self.nsn_length = np.select([self.country, trunk], [after_86, length - 1], length)
        mobile = digits & (b0 == ord("1")) & (length == 11)
        self.local = digits & (b0 >= ord("2")) & ((length == 7) | (length == 8))
        self.regular = self.country | trunk | mobile | self.local


def _ascii_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One string array; in the few rows that need it, full-width digits, plus and
    parentheses folded to ASCII (NFKC) and typographic dashes made hyphens."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    wide = pc.invert(pc.string_is_ascii(values)).fill_null(False)
    if not pc.any(wide).as_py():
        return values
    folded = pc.utf8_normalize(values.filter(wide), form="NFKC")
    folded = pc.replace_substring_regex(folded, _WIDE_DASHES, "-")
    return pc.replace_with_mask(values, wide, folded)


def _strip_separators(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets and bytes of TEXT without spaces, dashes, dots and parentheses. Works on
    the bytes of the whole column at once (a regex replace is several times slower), which is
    safe because UTF-8 never uses an ASCII byte inside a multi-byte character."""
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        text.offset : text.offset + len(text) + 1
    ]
    data = np.frombuffer(data_buffer or b"", dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets.astype(np.int64) - offsets[0]
    # Separators are few and all below "/": look closely only at those low bytes.
    low = np.flatnonzero(data < ord("/"))
    separators = low[_SEPARATORS[data[low]]]
    removed = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(_count_per_row(separators, offsets), out=removed[1:])
    return offsets - removed, np.delete(data, separators)


def _count_per_row(positions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """How many of the byte POSITIONS fall in each row."""
    rows = np.searchsorted(offsets, positions, side="right") - 1
    return np.bincount(rows, minlength=len(offsets) - 1)


def _byte_at(at: np.ndarray, ends: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The byte at each position AT, 0 where the row ends before it."""
    if not len(data):
        return np.zeros(len(at), dtype=np.uint8)
    return np.where(at < ends, data[np.minimum(at, len(data) - 1)], 0).astype(np.uint8)


def dialable(e164: str, country: str = REGION) -> str:
    """E164 as an agent in COUNTRY dials it: a Chinese fixed line with its trunk 0 and area code
    apart (+869343955739 → 0934-3955739), a mobile in groups (139 1234 5678), another country's
    number in its national form; a number of elsewhere as dialled from COUNTRY. A value that is
    no phone number comes back as it was."""
    try:
        number = phonenumbers.parse(e164, country)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_valid_number(number):
        return e164
    if phonenumbers.region_code_for_number(number) != country:
        return phonenumbers.format_out_of_country_calling_number(number, country)
    area = phonenumbers.length_of_geographical_area_code(number)
    if country == REGION and area:
        nsn = phonenumbers.national_significant_number(number)
        return f"0{nsn[:area]}-{nsn[area:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_types(phones: pa.Array | pa.ChunkedArray) -> pa.Array:
    """mobile, fixed or unknown for each E.164 number as normalise_phones writes it, by
    phonenumbers' number types (unknown where a country's plan does not tell them apart, as in
    North America); null where the phone is null."""
    if isinstance(phones, pa.ChunkedArray):
        phones = phones.combine_chunks()
    chinese = pc.starts_with(phones, "+86").fill_null(False)
    nsn_text = pc.utf8_slice_codeunits(phones, 3)
    length = pc.fill_null(pc.utf8_length(nsn_text), 0).to_numpy(zero_copy_only=False)
    length = length.astype(np.int64)
    nsn = pc.cast(pc.if_else(chinese, nsn_text, None), pa.int64())
    nsn = pc.fill_null(nsn, 0).to_numpy(zero_copy_only=False)
    mobile = _in_ranges(nsn, length, _mobile_ranges())
    missing = ~pc.is_valid(phones).to_numpy(zero_copy_only=False)
    kind = pa.array(np.where(mobile, 0, 1).astype(np.int8), mask=missing)
    types = pa.array(["mobile", "fixed"]).take(kind)
    elsewhere = pc.and_(pc.invert(chinese), pc.is_valid(phones))
    if not pc.any(elsewhere).as_py():
        return types
    others = pc.dictionary_encode(phones.filter(elsewhere))
    kinds = pa.array([_type_of(value) for value in others.dictionary.to_pylist()], pa.string())
    return pc.replace_with_mask(types, elsewhere, pc.take(kinds, others.indices))


def _type_of(e164: str) -> str:
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    return "fixed" if kind == phonenumbers.PhoneNumberType.FIXED_LINE else "unknown"


def _is_valid_nsn(nsn: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Whether each NSN of LENGTH digits is a valid Chinese fixed line or mobile."""
    return _in_ranges(nsn, length, _valid_ranges())


def _in_ranges(
    nsn: np.ndarray, length: np.ndarray, ranges: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Whether each NSN of LENGTH digits falls in one of RANGES (length-keyed, sorted)."""
    starts, ends = ranges
    key = np.where((length > 0) & (length <= 12), length * _LENGTH_KEY + nsn, 0)
    at = np.searchsorted(starts, key, side="right") - 1
    return (at >= 0) & (key < ends[np.maximum(at, 0)])


def _one_by_one(text: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, country):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# phonenumbers decides a fixed line or mobile valid when its NSN has one of the lengths of the
# general description and matches its pattern, and so for the fixed-line or the mobile one.
# Those patterns are digit prefixes followed by any digits, so each is a set of integer ranges
# per length; testing an NSN is then a binary search rather than a regex per row.


@cache
def _valid_ranges() -> tuple[np.ndarray, np.ndarray]:
    """Sorted, disjoint [start, end) ranges of length-keyed NSNs that phonenumbers deems a
    valid fixed line or mobile."""
    metadata = PhoneMetadata.metadata_for_region(REGION)
    assert metadata is not None
    fixed_or_mobile = _union(_ranges(metadata.fixed_line) + _ranges(metadata.mobile))
    starts, ends = zip(*_intersection(_ranges(metadata.general_desc), fixed_or_mobile), strict=True)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


@cache
def _mobile_ranges() -> tuple[np.ndarray, np.ndarray]:
    """The same for the numbers phonenumbers deems a valid mobile."""
    metadata = PhoneMetadata.metadata_for_region(REGION)
    assert metadata is not None
    mobile = _intersection(_ranges(metadata.general_desc), _union(_ranges(metadata.mobile)))
    starts, ends = zip(*mobile, strict=True)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def _ranges(desc: PhoneNumberDesc | None) -> list[tuple[int, int]]:
    assert desc is not None and desc.national_number_pattern is not None
    pattern = desc.national_number_pattern
    ranges = []
    for sequence in _sequences(list(sre_parser.parse(pattern))):
        length = len(sequence)
        if desc.possible_length and length not in desc.possible_length:
            continue
        # Digits after the last restricted position are free: one range per prefix.
        fixed = max((i + 1 for i, d in enumerate(sequence) if len(d) < 10), default=0)
        block = 10 ** (length - fixed)
        for digits in product(*(sorted(d) for d in sequence[:fixed])):
            start = length * _LENGTH_KEY + int("".join(map(str, digits)) or "0") * block
            ranges.append((start, start + block))
    return _union(ranges)


def _sequences(items: list[tuple[Any, Any]]) -> list[tuple[frozenset[int], ...]]:
    """The pattern as every sequence of digit sets it matches (patterns of digits only)."""
    result: list[tuple[frozenset[int], ...]] = [()]
    for op, arg in items:
        result = [done + more for done in result for more in _options(op, arg)]
    return result


def _options(op: Any, arg: Any) -> list[tuple[frozenset[int], ...]]:
    if op is sre_constants.LITERAL:
        return [(_digit_set([(op, arg)]),)]
    if op is sre_constants.IN:
        return [(_digit_set(arg),)]
    if op is sre_constants.SUBPATTERN:
        return _sequences(list(arg[3]))
    if op is sre_constants.BRANCH:
        return [sequence for branch in arg[1] for sequence in _sequences(list(branch))]
    if op is sre_constants.MAX_REPEAT:
        least, most, item = arg
        each = _sequences(list(item))
        return [
            sum(chosen, ())
            for count in range(least, most + 1)
            for chosen in product(each, repeat=count)
        ]
    raise ValueError(f"unexpected {op} in a phonenumbers pattern")


def _digit_set(items: list[tuple[Any, Any]]) -> frozenset[int]:
    digits: set[int] = set()
    for op, arg in items:
        if op is sre_constants.LITERAL:
            digits.add(arg - ord("0"))
        elif op is sre_constants.RANGE:
            digits.update(range(arg[0] - ord("0"), arg[1] - ord("0") + 1))
        elif op is sre_constants.CATEGORY and arg is sre_constants.CATEGORY_DIGIT:
            digits.update(range(10))
        else:
            raise ValueError(f"unexpected {op} in a phonenumbers character class")
    if not digits <= set(range(10)):
        raise ValueError("a phonenumbers pattern matches something other than a digit")
    return frozenset(digits)


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intersection(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    common, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            common.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return common
