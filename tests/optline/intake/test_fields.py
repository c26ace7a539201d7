"""Header spellings: which contact field each header names, and which it does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optline.intake.fields import ALIASES, FIELDS, field_for_header, header_key


@pytest.mark.parametrize(("header", "field"), [
    ("Phone", "phone"),
    ("PHONE", "phone"),
    ("Mobile Number", "phone"),
    ("Cell #", "phone"),
    (" Cell # ", "phone"),
    ("phone_number", "phone"),
    ("Phone No.", "phone"),
    ("Mobile", "phone"),
    ("Telephone", "phone"),
    ("MSISDN", "phone"),
    ("WhatsApp Number", "phone"),
    ("\ufeffPhone", "phone"),
    ("First Name", "first_name"),
    ("first_name", "first_name"),
    ("FirstName", "first_name"),
    ("Given Name", "first_name"),
    ("fname", "first_name"),
    ("Forename", "first_name"),
    ("Last Name", "last_name"),
    ("last_name", "last_name"),
    ("Surname", "last_name"),
    ("Family Name", "last_name"),
    ("DOB", "dob"),
    ("D.O.B.", "dob"),
    ("Birthday", "dob"),
    ("Date of Birth", "dob"),
    ("Birth Date", "dob"),
    ("Age", "age"),
    ("Opt-in Date", "opted_in_at"),
    ("Opt In Date", "opted_in_at"),
    ("opted_in_at", "opted_in_at"),
    ("Consent Date", "opted_in_at"),
    ("Signup Date", "opted_in_at"),
    ("Last Contacted", "last_contact_at"),
    ("Last Message Date", "last_contact_at"),
    ("E-mail", "email"),
    ("Email Address", "email"),
    ("Zip Code", "postcode"),
    ("Post Code", "postcode"),
    ("Street Address", "address_line1"),
    ("Address 2", "address_line2"),
    ("Organisation", "company"),
    ("Alt Phone", "alternate_phone"),
    ("Phone 2", "alternate_phone"),
    ("Tags", "tags"),
])
def test_header_variant_names_its_field(header: str, field: str) -> None:
    assert field_for_header(header) == field


@pytest.mark.parametrize("header", [
    "Favourite Colour", "Notes", "Name", "Full Name", "Customer ID", "", "   ", "#", "Phone Type",
])
def test_unknown_header_names_no_field(header: str) -> None:
    assert field_for_header(header) is None


def test_header_key_drops_case_spaces_punctuation_and_bom() -> None:
    assert header_key(" Cell # ") == "cell"
    assert header_key("Opt-in Date") == "optindate"
    assert header_key("phone_number") == "phonenumber"
    assert header_key("\ufeffE-Mail Address") == "emailaddress"


def test_every_alias_is_reachable_and_names_a_known_field() -> None:
    for alias, field in ALIASES.items():
        assert field in FIELDS, alias
        # an alias that is not already normalized could never match a header
        assert header_key(alias) == alias, alias


def test_no_alias_is_claimed_by_two_fields() -> None:
    from optline.intake import fields

    seen: dict[str, str] = {}
    for field, names in fields._ALIASES.items():
        for name in names:
            assert name not in seen, f"{name!r} means both {seen[name]} and {field}"
            seen[name] = field


_decoration = st.sampled_from([" ", "_", "-", ".", "#", "/", "(", ")", ":", "*"])


@given(alias=st.sampled_from(sorted(ALIASES)), data=st.data())
def test_any_casing_and_punctuation_of_an_alias_names_the_same_field(alias: str, data) -> None:
    chars = []
    for ch in alias:
        chars.append(ch.upper() if data.draw(st.booleans()) else ch)
        chars.append(data.draw(st.text(_decoration, max_size=2)))
    header = data.draw(st.text(" ", max_size=2)) + "".join(chars)
    assert field_for_header(header) == ALIASES[alias]
