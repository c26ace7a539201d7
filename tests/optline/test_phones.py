"""Phone parsing: national and international formats, types, errors, time zones, parallel parsing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optline import phones
from optline.contacts.staging import stage_file
from optline.intake.manifest import load_manifest
from optline.phones import ParsedPhone, normalize_batch, parse_many, parse_phone
from optline.runs import RunContext
from tests.helpers import write_csv


@pytest.mark.parametrize(("raw", "region", "e164", "country"), [
    ("(415) 555-0101", "US", "+14155550101", "US"),
    ("415.555.0101", "US", "+14155550101", "US"),
    ("4155550101", "US", "+14155550101", "US"),
    ("1-415-555-0101", "US", "+14155550101", "US"),
    ("+1 415 555 0101", "GB", "+14155550101", "US"),
    ("(604) 555-0101", "CA", "+16045550101", "CA"),
    ("604 555 0101", "US", "+16045550101", "CA"),  # a Canadian area code read in a US list
    ("+1 416 555 0101", "US", "+14165550101", "CA"),
    ("07400 123456", "GB", "+447400123456", "GB"),
    ("447400123456", "GB", "+447400123456", "GB"),
    ("+44 7400 123456", "GB", "+447400123456", "GB"),
    ("+44 7400 123456", "US", "+447400123456", "GB"),
    ("0044 7400 123456", "GB", "+447400123456", "GB"),
])
def test_national_and_international_formats_give_e164(raw: str, region: str, e164: str, country: str) -> None:
    parsed = parse_phone(raw, region)
    assert parsed.error is None
    assert parsed.e164 == e164
    assert parsed.region == country


def test_uk_mobile_is_mobile_with_a_london_zone() -> None:
    parsed = parse_phone("07400 123456", "GB")
    assert parsed.number_type == "MOBILE"
    assert "Europe/London" in parsed.time_zones


def test_uk_landline_is_fixed_line() -> None:
    assert parse_phone("020 7946 0018", "GB").number_type == "FIXED_LINE"


def test_us_number_is_fixed_line_or_mobile_in_its_time_zone() -> None:
    west = parse_phone("(415) 555-0101", "US")
    east = parse_phone("(212) 555-0101", "US")
    assert west.number_type == east.number_type == "FIXED_LINE_OR_MOBILE"
    assert west.time_zones == ("America/Los_Angeles",)
    assert east.time_zones == ("America/New_York",)


def test_canadian_number_has_a_canadian_time_zone() -> None:
    assert parse_phone("604-555-0101", "CA").time_zones == ("America/Vancouver",)


@pytest.mark.parametrize("raw", ["+1 800 555 0199", "1-800-555-0199", "(888) 234-5678"])
def test_toll_free_number_is_typed_toll_free(raw: str) -> None:
    parsed = parse_phone(raw, "US")
    assert parsed.error is None
    assert parsed.number_type == "TOLL_FREE"
    assert parsed.time_zones  # never the "unknown" placeholder alone
    assert "Etc/Unknown" not in parsed.time_zones


@pytest.mark.parametrize(("raw", "region"), [
    ("555-1234", "US"), ("+1 555 555 5555", "US"), ("12", "US"), ("07400123456", "US"), ("07700 900123", "GB"),
])
def test_invalid_number_gives_invalid_error_and_no_e164(raw: str, region: str) -> None:
    assert parse_phone(raw, region) == ParsedPhone(None, None, None, (), "invalid")


@pytest.mark.parametrize(("raw", "error"), [
    ("hello", "not_a_number"),
    ("", "not_a_number"),
    ("N/A", "not_a_number"),
    ("+999 1234 5678", "invalid_country_code"),
    ("12345678901234567890", "too_long"),
])
def test_unparseable_value_gives_its_parse_error(raw: str, error: str) -> None:
    parsed = parse_phone(raw, "US")
    assert parsed.error == error
    assert parsed.e164 is None and parsed.time_zones == ()


@settings(max_examples=150, deadline=None)
@given(raw=st.text(st.sampled_from("0123456789+-() .x"), max_size=20), region=st.sampled_from(["US", "CA", "GB"]))
def test_parse_never_raises_and_valid_results_reparse_to_themselves(raw: str, region: str) -> None:
    parsed = parse_phone(raw, region)
    assert (parsed.e164 is None) == (parsed.error is not None)
    if parsed.e164:
        assert parsed.e164.startswith("+") and parsed.e164[1:].isdigit()
        assert parse_phone(parsed.e164, "US").e164 == parsed.e164
        assert parsed.region and parsed.number_type


_MIXED = ["(415) 555-0101", "hello", "+44 7400 123456", "1-800-555-0199", "555-1234", "604 555 0101",
          "+999 1", "", "07400 123456", "2025550123"]


def test_parse_many_in_parallel_matches_sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = [f"(415) 555-01{i:02d}" for i in range(60)] + _MIXED * 3
    sequential = [parse_phone(r, "GB") for r in raws]
    assert parse_many(raws, "GB", workers=1) == sequential
    monkeypatch.setattr(phones, "PARALLEL_THRESHOLD", 10)
    parallel = parse_many(raws, "GB", workers=2)
    assert parallel == sequential
    assert len(parallel) == len(raws)


def test_parse_many_of_nothing_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phones, "PARALLEL_THRESHOLD", 0)
    assert parse_many([], "US", workers=1) == []


def test_normalize_batch_parses_each_distinct_raw_once(conn, tmp_path: Path, as_of: dt.datetime) -> None:
    path = write_csv(tmp_path / "dupes.csv", [
        ["Phone", "Name"], ["(415) 555-0101", "Ann"], ["(415) 555-0101", "Ann again"], ["hello", "Bad"],
        ["+44 7400 123456", "Femi"], ["", "No phone"],
    ], default_country="US")
    batch = stage_file(conn, path, load_manifest(path), RunContext(as_of=as_of)).batch_id
    assert normalize_batch(conn, batch, "US") == 3
    rows = conn.execute("select phone_raw, e164, region, number_type, time_zones, parse_error "
                        "from staging.phone_parses where batch_id = ? order by phone_raw", [batch]).fetchall()
    assert [r[:4] + r[5:] for r in rows] == [
        ("(415) 555-0101", "+14155550101", "US", "FIXED_LINE_OR_MOBILE", None),
        ("+44 7400 123456", "+447400123456", "GB", "MOBILE", None),
        ("hello", None, None, None, "not_a_number"),
    ]
    assert rows[0][4] == ["America/Los_Angeles"]
    assert "Europe/London" in rows[1][4]
    assert rows[2][4] == []
    # a second run finds nothing left to parse
    assert normalize_batch(conn, batch, "US") == 0
    assert conn.execute("select count(*) from staging.phone_parses").fetchone()[0] == 3


@settings(max_examples=300, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=6, max_size=13),
       prefix=st.sampled_from(["", "+", "+1", "+44", "0", "00", "1"]),
       region=st.sampled_from(["US", "CA", "GB", "DE", "IN"]))
def test_parse_phone_agrees_with_phonenumbers_public_validity_and_zone_api(digits, prefix, region):
    import phonenumbers
    from phonenumbers import timezone as tz

    raw = prefix + digits
    got = parse_phone(raw, region)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        assert got.e164 is None
        return
    valid = phonenumbers.is_valid_number(number)
    assert (got.e164 is not None) == valid
    if valid:
        zones = tuple(z for z in tz.time_zones_for_number(number) if z != tz.UNKNOWN_TIMEZONE)
        assert got.time_zones == zones
        assert got.region == phonenumbers.region_code_for_number(number)


def _phone_parses(conn, batch: int) -> list[tuple]:
    return conn.execute("select phone_raw, e164, region, number_type, time_zones, parse_error, number_hmac "
                        "from staging.phone_parses where batch_id = ? order by phone_raw", [batch]).fetchall()


def test_normalize_batch_in_chunks_gives_the_same_parses_as_one_chunk(
        conn, tmp_path: Path, as_of: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    raws = [f"(415) 555-01{i:02d}" for i in range(40)] + _MIXED + [f"+44 7400 1234{i:02d}" for i in range(20)]
    path = write_csv(tmp_path / "many.csv", [["Phone", "Name"]] + [[r, "Ann"] for r in raws + raws[:15]],
                     default_country="US")
    batch = stage_file(conn, path, load_manifest(path), RunContext(as_of=as_of)).batch_id
    distinct = len({r for r in raws if r})
    assert normalize_batch(conn, batch, "US") == distinct
    one_chunk = _phone_parses(conn, batch)
    assert len(one_chunk) == distinct
    conn.execute("delete from staging.phone_parses where batch_id = ?", [batch])
    # chunks of 7 values, each of them parsed by the process pool (reused from chunk to chunk)
    monkeypatch.setattr(phones, "PARALLEL_THRESHOLD", 5)
    assert normalize_batch(conn, batch, "US", chunk_size=7) == distinct
    assert _phone_parses(conn, batch) == one_chunk
    assert normalize_batch(conn, batch, "US", chunk_size=7) == 0
    assert _phone_parses(conn, batch) == one_chunk

