"""Quiet hours: local send windows per recipient (federal default, state rules, caps, DST),
with explicit clocks only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optline.config import PROJECT_DIR
from optline.contacts.policy import PolicyError
from optline.messaging.quiethours import (
    CA_ZONES,
    US_ZONES,
    QuietHoursError,
    Recipient,
    SendRules,
    cap_release,
    earliest_send,
    is_open,
    load_policy,
    next_open,
    normalize_state,
    parse_policy,
    recipient_rules,
    state_for_number,
    state_for_postcode,
    zones_for_state,
)

UTC = dt.UTC
SHIPPED = PROJECT_DIR / "expectations" / "policies" / "quiet_hours.yaml"
POLICY = load_policy(SHIPPED)
NY, CHI, DEN, LA = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"

# Fictional 555-01xx lines in real area codes (what phonenumbers says about the area code):
FL_NUMBER = "+13055550123"   # Miami: Florida, America/New_York
NV_NUMBER = "+17025550123"   # Las Vegas: Nevada, America/Los_Angeles
NY_NUMBER = "+12125550123"   # Manhattan: "New York, NY", America/New_York
LA_NUMBER = "+13105550123"   # Los Angeles: California, America/Los_Angeles
TX_NUMBER = "+15125550123"   # Austin: Texas, America/Chicago
OK_NUMBER = "+14055550123"   # Oklahoma City: Oklahoma, America/Chicago
MD_NUMBER = "+14105550123"   # Baltimore: Maryland, America/New_York
CT_NUMBER = "+12035550123"   # Connecticut, America/New_York
WA_NUMBER = "+12065550123"   # Seattle: "Washington State", America/Los_Angeles
SD_NUMBER = "+16055550123"   # South Dakota: America/Denver + America/North_Dakota/Center
TOLL_FREE = "+18005550123"   # every NANP zone, Guam to St John's
BC_NUMBER = "+16045550123"   # Vancouver: British Columbia
UK_MOBILE = "+447911123456"  # UK mobile: Europe/London and the Crown dependencies


def local(zone: str, y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    """A local wall-clock time in `zone`, as the UTC instant every function takes."""
    return dt.datetime(y, m, d, h, mi, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def rules_for(e164: str, state: str | None = None, postcode: str | None = None,
              zones: tuple[str, ...] = ()) -> SendRules:
    return recipient_rules(Recipient(e164, state=state, postcode=postcode, number_time_zones=zones), POLICY)


# --- the shipped policy -------------------------------------------------------------------

def test_shipped_policy_encodes_the_compliance_facts() -> None:
    t = dt.time
    assert all((w.start, w.end) == (t(8), t(21)) for w in POLICY.default.week)
    assert POLICY.default.max_per_24h is None
    for code in ("FL", "OK", "MD"):
        assert all((w.start, w.end) == (t(8), t(20)) for w in POLICY.states[code].week)
        assert POLICY.states[code].max_per_24h == 3
    for code in ("CT", "WA"):
        assert all((w.start, w.end) == (t(8), t(20)) for w in POLICY.states[code].week)
        assert POLICY.states[code].max_per_24h is None
    texas = POLICY.states["TX"]
    assert [(w.start, w.end) for w in texas.week[:6]] == [(t(9), t(21))] * 6
    assert (texas.week[6].start, texas.week[6].end) == (t(12), t(21))


def test_default_policy_path_follows_the_configured_policy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTLINE_POLICY_DIR", raising=False)
    assert load_policy() == POLICY
    (tmp_path / "quiet_hours.yaml").write_text('default: {start: "09:00", end: "17:00"}\n')
    monkeypatch.setenv("OPTLINE_POLICY_DIR", str(tmp_path))
    assert load_policy().default.week[0].end == dt.time(17)
    assert load_policy().states == {}


# --- default window -----------------------------------------------------------------------

@pytest.mark.parametrize(("number", "zone"), [(LA_NUMBER, LA), (NY_NUMBER, NY)])
@pytest.mark.parametrize(("hour", "minute", "expected"), [(7, 59, False), (8, 0, True), (20, 59, True), (21, 0, False)])
def test_default_window_opens_at_8_inclusive_and_closes_at_21_exclusive_local(
        number, zone, hour, minute, expected) -> None:
    rules = rules_for(number)
    assert rules.zones == (zone,)
    assert is_open(local(zone, 2026, 6, 10, hour, minute), rules) is expected


def test_florida_is_closed_at_20_while_nevada_is_still_open_at_20() -> None:
    florida, nevada = rules_for(FL_NUMBER), rules_for(NV_NUMBER)
    assert florida.number_state == "FL" and nevada.number_state == "NV"
    assert is_open(local(NY, 2026, 6, 10, 19, 59), florida)
    assert not is_open(local(NY, 2026, 6, 10, 20, 0), florida)
    assert is_open(local(LA, 2026, 6, 10, 20, 0), nevada)
    assert florida.cap == 3 and nevada.cap is None


def test_florida_area_code_living_in_nevada_gets_florida_window_and_cap_in_nevada_time() -> None:
    rules = rules_for(FL_NUMBER, state="NV")
    assert rules.zones == (LA,)
    assert (rules.contact_state, rules.number_state) == ("NV", "FL")
    assert [r.name for r in rules.rules] == ["default", "FL"]
    assert rules.cap == 3
    assert is_open(local(LA, 2026, 6, 10, 19, 59), rules)
    assert not is_open(local(LA, 2026, 6, 10, 20, 0), rules)
    assert not is_open(local(LA, 2026, 6, 10, 7, 59), rules)  # 10:59 in Miami, but the contact is in Nevada


def test_contact_state_overrides_the_number_zone() -> None:
    rules = rules_for(NV_NUMBER, state="New York")
    assert rules.zones == (NY,)
    assert is_open(local(NY, 2026, 6, 10, 8, 0), rules)  # 5:00 in Las Vegas
    assert not is_open(local(NY, 2026, 6, 10, 21, 0), rules)  # 18:00 in Las Vegas


def test_postcode_gives_the_state_when_the_state_field_is_empty() -> None:
    assert rules_for(NV_NUMBER, postcode="10001").zones == (NY,)
    miami = rules_for(NV_NUMBER, postcode="33101-1234")
    assert miami.contact_state == "FL" and miami.cap == 3
    assert miami.zones == (NY, CHI)  # Florida spans Eastern and Central
    assert rules_for(NV_NUMBER, state="Nevada", postcode="10001").zones == (LA,)  # the state field wins


def test_postcode_is_not_read_for_a_number_outside_nanp() -> None:
    # 10115 is Berlin as much as it is New York
    rules = recipient_rules(Recipient("+4915112345678", postcode="10115"), POLICY)
    assert rules.zones == ("Europe/Berlin",)
    assert rules.contact_state is None


def test_a_us_state_for_a_number_outside_nanp_adds_its_zones_to_the_number_zones() -> None:
    rules = recipient_rules(Recipient(UK_MOBILE, state="FL"), POLICY)
    assert set(rules.zones) >= {"Europe/London", NY, CHI}
    assert rules.cap == 3


# --- Texas, Connecticut, Washington ---------------------------------------------------------

@pytest.mark.parametrize(("day", "hour", "minute", "expected"), [
    (14, 11, 59, False), (14, 12, 0, True), (14, 20, 59, True), (14, 21, 0, False),  # Sunday
    (13, 8, 59, False), (13, 9, 0, True), (13, 20, 59, True), (13, 21, 0, False),    # Saturday
    (15, 9, 0, True), (15, 8, 59, False),                                             # Monday
])
def test_texas_opens_at_9_monday_to_saturday_and_at_12_on_sunday(day, hour, minute, expected) -> None:
    rules = rules_for(TX_NUMBER)
    assert rules.zones == (CHI,) and rules.number_state == "TX"
    assert is_open(local(CHI, 2026, 6, day, hour, minute), rules) is expected


def test_texas_sunday_next_open_is_noon() -> None:
    rules = rules_for(TX_NUMBER)
    assert next_open(local(CHI, 2026, 6, 13, 22, 0), rules) == local(CHI, 2026, 6, 14, 12, 0)


def test_a_texas_resident_is_open_only_when_both_central_and_mountain_time_are_open() -> None:
    rules = rules_for(TX_NUMBER, state="TX")
    assert rules.zones == (CHI, DEN)
    assert not is_open(local(CHI, 2026, 6, 10, 9, 0), rules)  # 8:00 in El Paso
    assert is_open(local(DEN, 2026, 6, 10, 9, 0), rules)
    assert not is_open(local(CHI, 2026, 6, 10, 21, 0), rules)


@pytest.mark.parametrize(("number", "zone", "state"), [(CT_NUMBER, NY, "CT"), (WA_NUMBER, LA, "WA")])
def test_connecticut_and_washington_close_at_20(number, zone, state) -> None:
    rules = rules_for(number)
    assert rules.number_state == state and rules.zones == (zone,) and rules.cap is None
    assert not is_open(local(zone, 2026, 6, 10, 7, 59), rules)
    assert is_open(local(zone, 2026, 6, 10, 8, 0), rules)
    assert is_open(local(zone, 2026, 6, 10, 19, 59), rules)
    assert not is_open(local(zone, 2026, 6, 10, 20, 0), rules)


# --- caps -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "zone"), [(OK_NUMBER, CHI), (MD_NUMBER, NY)])
def test_three_sends_in_24_hours_wait_until_the_oldest_is_24_hours_old(number, zone) -> None:
    rules = rules_for(number)
    assert rules.cap == 3
    sends = [local(zone, 2026, 6, 10, h) for h in (9, 12, 15)]
    at = local(zone, 2026, 6, 10, 16)
    assert cap_release(at, rules, sends[:2]) is None
    assert cap_release(at, rules, sends) == local(zone, 2026, 6, 11, 9)
    assert earliest_send(at, rules, sends) == local(zone, 2026, 6, 11, 9)
    # a send exactly 24 hours old no longer counts
    assert cap_release(local(zone, 2026, 6, 11, 9), rules, sends) is None


def test_a_cap_release_after_closing_time_waits_for_the_next_window() -> None:
    rules = rules_for(MD_NUMBER)
    sends = [local(NY, 2026, 6, 10, 20, m) for m in (30, 40, 50)]  # e.g. sent before the MD rule applied
    at = local(NY, 2026, 6, 11, 12)
    assert cap_release(at, rules, sends) == local(NY, 2026, 6, 11, 20, 30)
    assert earliest_send(at, rules, sends) == local(NY, 2026, 6, 12, 8)


def test_waiting_for_the_window_can_then_hit_the_cap() -> None:
    rules = rules_for(OK_NUMBER)
    sends = [local(CHI, 2026, 6, 10, 9, m) for m in (0, 30, 45)]
    at = local(CHI, 2026, 6, 11, 6)
    assert next_open(at, rules) == local(CHI, 2026, 6, 11, 8)
    assert earliest_send(at, rules, sends) == local(CHI, 2026, 6, 11, 9)


def test_no_cap_without_a_capped_state_and_more_sends_change_nothing() -> None:
    rules = rules_for(NY_NUMBER)
    at = local(NY, 2026, 6, 10, 12)
    sends = [at - dt.timedelta(minutes=m) for m in range(1, 20)]
    assert rules.cap is None
    assert cap_release(at, rules, sends) is None
    assert earliest_send(at, rules, sends) == at


def test_the_smallest_cap_of_the_applicable_rules_wins() -> None:
    policy = parse_policy({"default": {"start": "08:00", "end": "21:00", "max_per_24h": 5},
                           "states": {"FL": {"start": "08:00", "end": "20:00", "max_per_24h": 3}}})
    assert recipient_rules(Recipient(FL_NUMBER), policy).cap == 3
    assert recipient_rules(Recipient(NY_NUMBER), policy).cap == 5


# --- several zones, unknown zones -----------------------------------------------------------

def test_an_area_code_spanning_two_zones_is_open_only_when_open_in_both() -> None:
    rules = rules_for(SD_NUMBER)
    central = "America/North_Dakota/Center"
    assert set(rules.zones) == {DEN, central}
    assert not is_open(local(central, 2026, 6, 10, 8, 0), rules)  # 7:00 Mountain
    assert is_open(local(DEN, 2026, 6, 10, 8, 0), rules)
    assert is_open(local(central, 2026, 6, 10, 20, 59), rules)
    assert not is_open(local(central, 2026, 6, 10, 21, 0), rules)  # 20:00 Mountain, but 21:00 Central
    assert next_open(local(central, 2026, 6, 10, 7, 0), rules) == local(DEN, 2026, 6, 10, 8, 0)


@pytest.mark.parametrize("recipient", [
    Recipient(NV_NUMBER, number_time_zones=("Etc/Unknown",)),
    Recipient("+12225550123"),  # area code 222 is unassigned: phonenumbers knows no zone
], ids=["etc-unknown", "unassigned-area-code"])
def test_an_unknown_zone_on_a_us_number_means_every_us_zone(recipient: Recipient) -> None:
    rules = recipient_rules(recipient, POLICY)
    assert rules.zones == US_ZONES
    # open from 8:00 in Honolulu (18:00 UTC) to 21:00 in New York (01:00 UTC), summer time
    assert not is_open(dt.datetime(2026, 6, 10, 17, 59, tzinfo=UTC), rules)
    assert is_open(dt.datetime(2026, 6, 10, 18, 0, tzinfo=UTC), rules)
    assert is_open(dt.datetime(2026, 6, 11, 0, 59, tzinfo=UTC), rules)
    assert not is_open(dt.datetime(2026, 6, 11, 1, 0, tzinfo=UTC), rules)


def test_an_empty_zone_list_is_looked_up_from_the_number() -> None:
    assert rules_for(NV_NUMBER, zones=()).zones == (LA,)


def test_a_toll_free_number_spanning_every_nanp_zone_opens_only_in_the_common_hours() -> None:
    rules = rules_for(TOLL_FREE)
    assert {"Pacific/Guam", "America/St_Johns", "Pacific/Honolulu"} <= set(rules.zones)
    opens = next_open(dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC), rules)
    assert opens == dt.datetime(2026, 6, 10, 22, 0, tzinfo=UTC)  # 8:00 in Guam
    assert opens.astimezone(ZoneInfo("Pacific/Guam")).hour == 8
    assert is_open(dt.datetime(2026, 6, 10, 23, 29, tzinfo=UTC), rules)
    assert not is_open(dt.datetime(2026, 6, 10, 23, 30, tzinfo=UTC), rules)  # 21:00 in St John's (NDT)


def test_zones_too_far_apart_for_any_common_hour_are_an_error_naming_them() -> None:
    policy = parse_policy({"default": {"start": "09:00", "end": "10:00"}})
    rules = SendRules(zones=("Asia/Tokyo", NY), rules=(policy.default,))
    with pytest.raises(QuietHoursError) as info:
        next_open(dt.datetime(2026, 6, 10, tzinfo=UTC), rules)
    assert "Asia/Tokyo" in str(info.value) and NY in str(info.value)


def test_an_unknown_zone_name_is_an_error() -> None:
    with pytest.raises(QuietHoursError, match="Mars/Olympus"):
        SendRules(zones=("Mars/Olympus",), rules=(POLICY.default,))


def test_a_number_that_cannot_be_placed_is_an_error_without_the_number() -> None:
    with pytest.raises(QuietHoursError) as info:
        recipient_rules(Recipient("not a number 4155550123"), POLICY)
    assert "4155550123" not in str(info.value) and "555" not in str(info.value)


def test_a_contact_state_places_a_number_that_does_not_parse() -> None:
    assert recipient_rules(Recipient("garbage", state="TX"), POLICY).zones == (CHI, DEN)


# --- daylight saving, next_open ---------------------------------------------------------------

def test_new_york_spring_forward_day_opens_at_8_daylight_time() -> None:
    rules = rules_for(NY_NUMBER)
    # 2026-03-08: 2:00 EST -> 3:00 EDT; 8:00 EDT is 12:00 UTC (the day before, 8:00 EST was 13:00 UTC)
    assert not is_open(dt.datetime(2026, 3, 8, 11, 59, tzinfo=UTC), rules)
    assert is_open(dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC), rules)
    assert next_open(dt.datetime(2026, 3, 7, 3, 0, tzinfo=UTC), rules) == dt.datetime(2026, 3, 7, 13, 0, tzinfo=UTC)
    assert next_open(dt.datetime(2026, 3, 8, 3, 0, tzinfo=UTC), rules) == dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert is_open(dt.datetime(2026, 3, 9, 0, 59, tzinfo=UTC), rules)
    assert not is_open(dt.datetime(2026, 3, 9, 1, 0, tzinfo=UTC), rules)  # 21:00 EDT


def test_new_york_fall_back_day_opens_at_8_standard_time() -> None:
    rules = rules_for(NY_NUMBER)
    # 2026-11-01: 2:00 EDT -> 1:00 EST; 8:00 EST is 13:00 UTC
    assert next_open(dt.datetime(2026, 11, 1, 3, 0, tzinfo=UTC), rules) == dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert not is_open(dt.datetime(2026, 11, 1, 12, 59, tzinfo=UTC), rules)
    assert is_open(dt.datetime(2026, 11, 2, 1, 59, tzinfo=UTC), rules)
    assert not is_open(dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC), rules)  # 21:00 EST


def test_a_window_starting_in_the_spring_forward_gap_opens_at_the_change() -> None:
    policy = parse_policy({"default": {"start": "02:30", "end": "21:00"}})
    rules = recipient_rules(Recipient(NY_NUMBER), policy)
    # 2:30 does not exist on 2026-03-08 in New York: the clock jumps from 1:59 EST to 3:00 EDT (07:00 UTC)
    assert next_open(dt.datetime(2026, 3, 8, 6, 0, tzinfo=UTC), rules) == dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_next_open_from_23_is_8_the_next_morning_local_in_utc() -> None:
    rules = rules_for(NY_NUMBER)
    opens = next_open(local(NY, 2026, 6, 10, 23, 0), rules)
    assert opens == local(NY, 2026, 6, 11, 8, 0) == dt.datetime(2026, 6, 11, 12, 0, tzinfo=UTC)
    assert opens.tzinfo is UTC


def test_next_open_is_the_instant_itself_when_open_and_the_next_whole_minute_otherwise() -> None:
    rules = rules_for(NY_NUMBER)
    noon = local(NY, 2026, 6, 10, 12, 0) + dt.timedelta(seconds=17)
    assert next_open(noon, rules) == noon
    assert next_open(local(NY, 2026, 6, 10, 7, 59) + dt.timedelta(seconds=30), rules) == local(NY, 2026, 6, 10, 8, 0)


def test_results_are_utc_for_an_aware_non_utc_input() -> None:
    rules = rules_for(NY_NUMBER)
    at = dt.datetime(2026, 6, 10, 23, 0, tzinfo=ZoneInfo(NY))
    assert next_open(at, rules) == dt.datetime(2026, 6, 11, 12, 0, tzinfo=UTC)
    assert next_open(at, rules).utcoffset() == dt.timedelta(0)


# --- outside the US -----------------------------------------------------------------------------

def test_canadian_number_gets_the_default_window_in_vancouver() -> None:
    rules = rules_for(BC_NUMBER)
    assert rules.zones == ("America/Vancouver",) and rules.number_state == "BC" and rules.cap is None
    assert not is_open(local("America/Vancouver", 2026, 6, 10, 7, 59), rules)
    assert is_open(local("America/Vancouver", 2026, 6, 10, 8, 0), rules)
    assert not is_open(local("America/Vancouver", 2026, 6, 10, 21, 0), rules)


def test_uk_number_gets_the_default_window_in_london() -> None:
    rules = rules_for(UK_MOBILE)
    assert "Europe/London" in rules.zones and rules.number_state is None
    assert not is_open(local("Europe/London", 2026, 6, 10, 7, 59), rules)
    assert is_open(local("Europe/London", 2026, 6, 10, 8, 0), rules)
    assert next_open(local("Europe/London", 2026, 6, 10, 21, 0), rules) == dt.datetime(2026, 6, 11, 7, 0, tzinfo=UTC)


# --- naive datetimes ----------------------------------------------------------------------------

def test_naive_datetimes_are_rejected_everywhere() -> None:
    rules, naive = rules_for(OK_NUMBER), dt.datetime(2026, 6, 10, 12, 0)
    aware = naive.replace(tzinfo=UTC)
    for call in (lambda: is_open(naive, rules), lambda: next_open(naive, rules),
                 lambda: cap_release(naive, rules, []), lambda: cap_release(aware, rules, [naive]),
                 lambda: earliest_send(naive, rules, []), lambda: earliest_send(aware, rules, [naive])):
        with pytest.raises(ValueError, match="naive"):
            call()


# --- places ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("FL", "FL"), ("fl", "FL"), ("Florida", "FL"), ("florida ", "FL"), ("  NEW   york", "NY"),
    ("Washington", "WA"), ("Washington State", "WA"), ("Washington D.C.", "DC"), ("D.C.", "DC"),
    ("CA", "CA"), ("California", "CA"), ("Ontario", "ON"), ("qc", "QC"), ("Québec", "QC"),
    ("British Colombia", "BC"), ("Puerto Rico", "PR"), ("Canada", None), ("Kent", None), ("", None), (None, None),
])
def test_normalize_state_reads_codes_and_names(value, expected) -> None:
    assert normalize_state(value) == expected


@pytest.mark.parametrize(("postcode", "expected"), [
    ("33101", "FL"), ("33101-1234", "FL"), ("331011234", "FL"), ("10001", "NY"), ("00901", "PR"),
    ("00802", "VI"), ("20500", "DC"), ("73301", "TX"), ("73942", "OK"), ("88510", "TX"), ("89501", "NV"),
    ("99501", "AK"), ("96813", "HI"), ("96799", "AS"), ("96910", "GU"), ("96950", "MP"),
    ("09012", None), ("34002", None), ("96201", None),              # military: not a place
    ("K1A 0B1", "ON"), ("v6b1a1", "BC"), ("H2X 1Y4", "QC"), ("T2P 2M5", "AB"), ("A1C 5M2", "NL"),
    ("X0A 0H0", "NU"), ("X1A 2P5", "NT"), ("Y1A 1A1", "YT"),
    ("SW1A 1AA", None), ("2134", None), ("D1A 1A1", None), ("", None), (None, None),
])
def test_state_for_postcode(postcode, expected) -> None:
    assert state_for_postcode(postcode) == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("FL", (NY, CHI)), ("TX", (CHI, DEN)), ("Indiana", ("America/Indiana/Indianapolis", CHI)),
    ("AZ", ("America/Phoenix",)), ("HI", ("Pacific/Honolulu",)), ("NV", (LA,)),
    ("ON", ("America/Toronto", "America/Winnipeg")), ("BC", ("America/Vancouver", "America/Edmonton")),
    ("XX", ()), (None, ()),
])
def test_zones_for_state(code, expected) -> None:
    assert zones_for_state(code) == expected


def test_every_state_and_province_has_zones_that_zoneinfo_knows() -> None:
    for zone in (*US_ZONES, *CA_ZONES):
        ZoneInfo(zone)
    assert {"Pacific/Honolulu", "America/Anchorage", NY} <= set(US_ZONES)


@pytest.mark.parametrize(("e164", "expected"), [
    (FL_NUMBER, "FL"), (TX_NUMBER, "TX"), (WA_NUMBER, "WA"), (NY_NUMBER, "NY"), ("+12025550123", "DC"),
    (BC_NUMBER, "BC"), ("+14165550123", "ON"), ("+17875550123", "PR"),
    ("+19025550123", None),   # "Nova Scotia/Prince Edward Island": not one province
    (TOLL_FREE, None), (UK_MOBILE, None), ("garbage", None), (None, None),
])
def test_state_for_number_reads_the_area_code(e164, expected) -> None:
    assert state_for_number(e164) == expected


# --- policy errors ------------------------------------------------------------------------------

BASE = 'default: {start: "08:00", end: "21:00"}\n'


@pytest.mark.parametrize(("text", "fragments"), [
    ('default: {start: "08:00", end: 21:00}\n', ["default.end", "1260", "quoted"]),
    (BASE + 'states: {FL: {start: "08:00", end: "20:00", max_per_day: 3}}\n', ["states.FL", "max_per_day"]),
    (BASE + 'states: {TX: {start: "09:00", end: "21:00", days: {sundy: {start: "12:00"}}}}\n',
     ["states.TX.days", "sundy"]),
    (BASE + 'states: {TX: {start: "09:00", end: "21:00", days: {sunday: {start: "22:00"}}}}\n',
     ["states.TX.days.sunday", "before end"]),
    ('default: {start: "21:00", end: "08:00"}\n', ["default", "before end"]),
    ('default: {start: "8am", end: "21:00"}\n', ["default.start", "8am"]),
    ('default: {start: "08:00"}\n', ["default", "missing end"]),
    ("states: {}\n", ["missing key default"]),
    (BASE + 'states: {Florida: {start: "08:00", end: "20:00"}}\n', ["states.Florida", "did you mean FL"]),
    (BASE + 'states: {XX: {start: "08:00", end: "20:00"}}\n', ["states.XX"]),
    (BASE + 'states: {ON: {start: "08:00", end: "20:00"}}\n', ["states", "quote"]),  # YAML reads ON as true
    (BASE + 'states: {OK: {start: "08:00", end: "20:00", max_per_24h: 0}}\n', ["states.OK.max_per_24h"]),
    (BASE + "weekend: true\n", ["weekend"]),
    ("- 08:00\n", ["mapping"]),
    ("default: {start: [\n", ["not valid YAML"]),
])
def test_policy_errors_name_the_file_and_the_key(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = tmp_path / "quiet_hours.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    # a YAML error comes from the limited reader (optline.intake.manifest), which names the file by name
    assert (path.name if "not valid YAML" in fragments else str(path)) in message
    for fragment in fragments:
        assert fragment in message


def test_a_missing_policy_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="quiet_hours.yaml"):
        load_policy(tmp_path / "quiet_hours.yaml")


def test_a_weekday_override_keeps_what_it_does_not_say_from_the_rule() -> None:
    policy = parse_policy({"default": {"start": "09:00", "end": "21:00", "days": {"Sunday": {"start": "12:00"}}}})
    assert (policy.default.week[6].start, policy.default.week[6].end) == (dt.time(12), dt.time(21))


# --- property -------------------------------------------------------------------------------------

US_AREA_NUMBERS = [FL_NUMBER, NV_NUMBER, NY_NUMBER, TX_NUMBER, "+19155550123", OK_NUMBER, MD_NUMBER, CT_NUMBER,
                   WA_NUMBER, SD_NUMBER, "+19075550123", "+18085550123", "+16025550123", "+12085550123"]
US_STATES = [None, "FL", "TX", "NV", "NY", "AK", "HI", "AZ", "IN", "KY", "ND", "OR", "CT", "WA", "MD", "OK"]
instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC))


@settings(max_examples=60, deadline=None)
@given(instants, st.sampled_from(US_AREA_NUMBERS), st.sampled_from(US_STATES))
def test_next_open_is_open_not_before_at_and_no_earlier_minute_is_open(at, number, state) -> None:
    rules = rules_for(number, state=state)
    opens = next_open(at, rules)
    assert opens >= at
    assert is_open(opens, rules)
    minute = at.replace(second=0, microsecond=0)
    checked = [at] + [minute + dt.timedelta(minutes=k) for k in range(1, 2 * 24 * 60)]
    assert not any(is_open(m, rules) for m in checked if m < opens)
