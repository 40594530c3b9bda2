import pytest
from hypothesis import given
from hypothesis import strategies as st

from utilitydesk.customers import phones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("0539-1234567", "05391234567"),
        ("8123456", "8123456"),
    ],
)
def test_normalize(raw, expected):
    assert phones.normalize(raw) == expected


@pytest.mark.parametrize("number", ["13812345678", "05391234567", "01012345678", "8123456"])
def test_valid_numbers(number):
    assert phones.is_valid(number)


@pytest.mark.parametrize("number", ["12345", "1381234567", "23812345678", "abc", ""])
def test_invalid_numbers(number):
    assert not phones.is_valid(phones.normalize(number))


def test_mask_mobile_as_the_standard_shows_it():
    assert phones.mask("13812345678") == "138****5678"


def test_mask_keeps_no_more_than_seven_digits_visible():
    masked = phones.mask("05391234567")
    assert masked.startswith("053") and masked.endswith("4567") and "1234" not in masked
    assert phones.mask("8123456") == "*****56"


def test_split_accepts_chinese_separators():
    assert phones.split("13812345678；13900001111、0539-1234567") == [
        "13812345678",
        "13900001111",
        "0539-1234567",
    ]


# --- as Chinese offices write them -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits
        ("１３８\u3000１２３４\u3000５６７８", "13812345678"),  # and full-width spaces
        ("＋８６ １３８－１２３４－５６７８", "13812345678"),
        ("+86 531 8888 6666", "053188886666"),  # the area code's 0 is dropped after +86
        ("0086 10 8888 6666", "01088886666"),
        ("+86 0531 8888 6666", "053188886666"),
        ("0531-8888 6666", "053188886666"),
        ("(0531)88886666", "053188886666"),
        ("（0531）8888-6666", "053188886666"),
        ("0531 88886666", "053188886666"),
        ("86 88886666", "8688886666"),  # not a country prefix: left for is_valid to refuse
    ],
)
def test_normalize_office_forms(raw, expected):
    assert phones.normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", ["138 1234 5678"]),
        ("138 1234 5678 139 0000 1111", ["138 1234 5678", "139 0000 1111"]),
        ("13812345678 0531-8888 6666", ["13812345678", "0531-8888 6666"]),
        ("0531 8888 6666\n13900001111", ["0531 8888 6666", "13900001111"]),
        ("１３８１２３４５６７８，１３９００００１１１１", ["13812345678", "13900001111"]),
        ("+86 138 1234 5678／8888 6666", ["+86 138 1234 5678", "8888 6666"]),
        ("13812345678 12345", ["13812345678 12345"]),  # not numbers: refused as typed
    ],
)
def test_split_office_forms(raw, expected):
    assert phones.split(raw) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("53188886666", "053188886666"),
        ("1088886666", "01088886666"),
        ("2188886666", "02188886666"),
        ("13812345678", "13812345678"),
        ("88886666", "88886666"),
    ],
)
def test_a_spreadsheet_number_gets_back_its_leading_zero(digits, expected):
    assert phones.from_spreadsheet_number(digits) == expected


# Property tests: whatever way a valid number is written, it reads back the same.

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
area_codes = st.sampled_from(["010", "021", "0531", "0539", "0755", "0898"])
landlines = st.builds(
    lambda area, local: area + local,
    area_codes,
    st.from_regex(r"[2-9][0-9]{7}", fullmatch=True),
)
numbers = st.one_of(mobiles, landlines)
WIDE = {str(d): chr(0xFF10 + d) for d in range(10)}


@st.composite
def written(draw, number: str) -> str:
    """``number`` as a person or a spreadsheet may write it."""
    if number.startswith("0") and draw(st.booleans()):
        cut = 3 if number[1] in "12" else 4  # area code, then the local number
        number = draw(st.sampled_from(["{}-{}", "({}){}", "（{}）{}", "{} {}"])).format(
            number[:cut], number[cut:]
        )
    elif number.startswith("1") and draw(st.booleans()):
        number = draw(st.sampled_from(["{} {} {}", "{}-{}-{}"])).format(
            number[:3], number[3:7], number[7:]
        )
    if draw(st.booleans()):
        number = "".join(WIDE.get(c, c) for c in number).replace(" ", "\u3000")
    if number[0] == "1" and draw(st.booleans()):
        number = draw(st.sampled_from(["+86 ", "0086", "+86-", "＋８６ "])) + number
    return number


@given(st.data(), numbers)
def test_any_written_form_normalizes_to_the_number(data, number):
    assert phones.normalize(data.draw(written(number))) == number
    assert phones.is_valid(number)


@given(st.data(), st.lists(numbers, min_size=1, max_size=4))
def test_several_written_numbers_split_back_into_each(data, numbers_):
    separator = data.draw(st.sampled_from([";", "；", "、", ",", "，", "/", "\n", " ", "\u3000"]))
    cell = separator.join(data.draw(written(n)) for n in numbers_)
    assert [phones.normalize(part) for part in phones.split(cell)] == numbers_


@given(st.text(max_size=40))
def test_normalize_and_split_never_fail_and_give_ascii_digits(text):
    assert set(phones.normalize(text)) <= set("0123456789")
    assert all(part.strip() for part in phones.split(text))
