import pytest

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
