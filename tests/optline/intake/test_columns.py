"""Header detection and column resolution shared by every kind of input file."""

from __future__ import annotations

import pytest

from optline.intake.columns import is_header, looks_like_phone, resolve_columns, shown_headers
from optline.intake.manifest import ManifestError


def test_a_first_row_of_known_field_names_is_a_header_and_one_with_a_number_is_not():
    assert is_header(["Mobile Number", "First Name"], {})
    assert not is_header(["Mobile Number", "(415) 555-0101"], {})
    assert not is_header(["(415) 555-0101", "Ann"], {})


def test_a_header_named_only_by_the_manifest_counts_as_a_header():
    assert not is_header(["Kontakt", "Vorname"], {})
    assert is_header(["Kontakt", "Vorname"], {"phone": "Kontakt"})


def test_headers_shown_in_an_error_mask_a_cell_that_looks_like_a_phone():
    shown = shown_headers(["Phone", "415 555 0101", None])
    assert shown[0] == "Phone" and shown[2] == ""
    assert "555 0101" not in shown[1] and looks_like_phone("415 555 0101")


def test_manifest_columns_win_over_recognized_headers_and_the_rest_are_found_by_name():
    by_field = resolve_columns(["Cell", "Phone", "First Name"], {"phone": "Cell"}, [], "a.csv")
    assert by_field == {"phone": 0, "first_name": 2}


def test_a_column_number_beyond_the_row_is_an_error_naming_the_file_and_key():
    with pytest.raises(ManifestError, match=r"a\.csv: `columns\.phone` is column 3.*has 2 column"):
        resolve_columns(["Phone", "Name"], {"phone": 3}, [], "a.csv")


def test_a_header_the_file_does_not_have_is_an_error_listing_its_masked_headers():
    with pytest.raises(ManifestError, match=r"`columns\.phone` names header 'Mobile'.*\['Name', '") as raised:
        resolve_columns(["Name", "415 555 0101"], {"phone": "Mobile"}, [], "a.csv")
    assert "555" not in str(raised.value)
