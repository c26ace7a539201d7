"""Masking personal values and neutralizing spreadsheet formulas in what people open."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optline.masking import mask_phone, mask_text, neutralize_formula, safe_value

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(("value", "masked"), [
    ("(415) 555-0123", "(•••) •••-••23"),
    ("+14155550123", "+•••••••••23"),
    ("07400 123456", "••••• ••••56"),
    ("42", "42"),
    ("7", "7"),
])
def test_mask_phone_keeps_shape_and_only_last_two_digits(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value", [None, ""])
def test_mask_phone_of_nothing_is_empty(value: str | None) -> None:
    assert mask_phone(value) == ""


@given(st.text())
def test_mask_phone_never_reveals_more_than_the_last_two_digits(value: str) -> None:
    masked = mask_phone(value)
    digits = [ch for ch in value if ch.isdigit()]
    shown = [ch for ch in masked if ch.isdigit()]
    assert len(shown) <= 2
    assert shown == digits[-2:]
    assert len(masked) == len(value)
    # everything that is not a digit keeps its place
    for before, after in zip(value, masked):
        if not before.isdigit():
            assert before == after
        elif before != after:
            assert after == "•"


@given(st.text(st.sampled_from("0123456789"), min_size=3, max_size=20))
def test_mask_phone_of_digits_only_is_bullets_then_two_digits(value: str) -> None:
    assert mask_phone(value) == "•" * (len(value) - 2) + value[-2:]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_start_is_neutralized_with_a_quote(start: str) -> None:
    value = f'{start}HYPERLINK("http://x","y")'
    assert neutralize_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["Ann", "4155550101", "'=already quoted", " =spaced", "a=b", ""])
def test_value_without_formula_start_is_unchanged(value: str) -> None:
    assert neutralize_formula(value) == value


def test_neutralize_none_is_empty() -> None:
    assert neutralize_formula(None) == ""


@given(st.one_of(st.none(), st.text()))
def test_neutralized_value_never_starts_with_a_formula_character(value: str | None) -> None:
    out = neutralize_formula(value)
    assert not out.startswith(_FORMULA_STARTS)
    # nothing but the prefix quote is ever added
    assert out in (value or "", "'" + (value or ""))


@pytest.mark.parametrize(("value", "masked"), [("Annabel", "A••••••"), ("Ø", "Ø"), ("ann@example.com", "a" + "•" * 14)])
def test_mask_text_keeps_first_character_and_length(value: str, masked: str) -> None:
    assert mask_text(value) == masked


def test_safe_value_masks_personal_columns() -> None:
    assert safe_value("phone", "(415) 555-0123") == "(•••) •••-••23"
    assert safe_value("alternate_phone", "4155550199") == "••••••••99"
    assert safe_value("first_name", "Annabel") == "A••••••"
    assert safe_value("dob", "1990-05-17") == "••••"
    assert safe_value("age", "34") == "••"
    assert safe_value("dob", None) == ""


def test_safe_value_neutralizes_unmasked_and_masked_formulas() -> None:
    assert safe_value("company", '=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_value(None, "@SUM(A1)") == "'@SUM(A1)"
    assert safe_value("phone", "+14155550123") == "'+•••••••••23"
    assert safe_value("first_name", "=cmd") == "'=•••"
    assert safe_value("city", "Leeds") == "Leeds"


@given(column=st.sampled_from(["phone", "alternate_phone", "first_name", "last_name", "email", "dob", "age",
                               "company", "city", None]),
       value=st.one_of(st.none(), st.text()))
def test_safe_value_is_never_a_live_formula(column: str | None, value: str | None) -> None:
    assert not safe_value(column, value).startswith(_FORMULA_STARTS)
