"""Quiet hours: send a text only inside the recipient's allowed local hours, and under a cap.

The rules (../shared/docs/compliance.md, "US rules"; the values live in
`expectations/policies/quiet_hours.yaml`, never in code):

- Federal default: 8:00-21:00 in the recipient's local time (47 CFR 64.1200(c)(1)).
- Florida, Oklahoma, Maryland: 8:00-20:00 and at most 3 messages per 24 hours.
- Texas: 9:00-21:00 Monday to Saturday, 12:00-21:00 on Sunday.
- Connecticut, Washington: 8:00-20:00.
- A Florida area code is presumed to be a Florida resident (FTSA).

How a recipient's rules are put together (`recipient_rules`), always the strictest reading:

- Where the recipient is: the contact's state, else (NANP numbers only, since a bare
  5-digit postcode is as likely German as American) the state of the contact's postcode.
  For a NANP number the contact's state replaces the number's zones; for any other number
  the state's zones are added to the number's. Without a state, the number's time zones
  (phonenumbers); an unknown zone ("Etc/Unknown") means every zone of the number's
  region: all US zones for a US (or unplaceable NANP) number, all Canadian zones for a
  Canadian one, phonenumbers' country-level zones otherwise.
- Which rules: the default always, plus the rule of the contact's state AND the rule of the
  number's area-code state (a Florida area code living in Nevada gets Florida's window and
  cap, in Nevada's time).
- A text may go only when every applicable window is open in every zone of the recipient.
  A window's start is inclusive, its end exclusive (21:00 local is closed). The cap is the
  smallest `max_per_24h` of the applicable rules.

All datetimes in and out are timezone-aware (results in UTC); a naive one is a ValueError.
Local times come from zoneinfo, so daylight-saving changes are handled per zone.
No phone number ever appears in an error message (they are masked, see `optline.masking`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, timezone

from optline.config import paths
from optline.contacts.policy import PolicyError
from optline.intake.manifest import read_limited_yaml
from optline.masking import mask_phone

UTC = dt.UTC
POLICY_FILE = "quiet_hours.yaml"
SEARCH_DAYS = 8          # next_open looks this far ahead before giving up
DAY = dt.timedelta(hours=24)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RULE_KEYS = ("start", "end", "days", "max_per_24h")
_UNKNOWN_ZONE = timezone.UNKNOWN_TIMEZONE
_MINUTE = dt.timedelta(minutes=1)


class QuietHoursError(ValueError):
    """A recipient's send window cannot be worked out, or never opens."""


# --- places -----------------------------------------------------------------------------

_US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia",
}
_US_TERRITORIES = {
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "GU": "Guam", "MP": "Northern Mariana Islands",
    "AS": "American Samoa",
}
_CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}
_ALIASES = {  # other spellings, including phonenumbers' geocoder ("Washington State", "British Colombia")
    "washington state": "WA", "washington dc": "DC", "washington d c": "DC", "dc": "DC",
    "virgin islands": "VI", "us virgin islands": "VI", "united states virgin islands": "VI",
    "british colombia": "BC", "newfoundland": "NL", "labrador": "NL", "pei": "PE",
    "yukon territory": "YT", "pq": "QC", "nwt": "NT",
}

_NY, _CHI, _DEN, _LA = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
# IANA zones in use in each state or province (zone.tab); a state spanning two zones lists both.
# Towns keeping another zone's time on their own (e.g. West Wendover NV, Magdalen Islands QC)
# are left out; Arizona is Phoenix (no daylight saving).
_ZONES: dict[str, tuple[str, ...]] = {
    "AL": (_CHI,), "AK": ("America/Anchorage", "America/Adak"), "AZ": ("America/Phoenix",),
    "AR": (_CHI,), "CA": (_LA,), "CO": (_DEN,), "CT": (_NY,), "DE": (_NY,), "DC": (_NY,),
    "FL": (_NY, _CHI), "GA": (_NY,), "HI": ("Pacific/Honolulu",), "ID": ("America/Boise", _LA),
    "IL": (_CHI,), "IN": ("America/Indiana/Indianapolis", _CHI), "IA": (_CHI,), "KS": (_CHI, _DEN),
    "KY": (_NY, _CHI), "LA": (_CHI,), "ME": (_NY,), "MD": (_NY,), "MA": (_NY,),
    "MI": ("America/Detroit", "America/Menominee"), "MN": (_CHI,), "MS": (_CHI,), "MO": (_CHI,),
    "MT": (_DEN,), "NE": (_CHI, _DEN), "NV": (_LA,), "NH": (_NY,), "NJ": (_NY,), "NM": (_DEN,),
    "NY": (_NY,), "NC": (_NY,), "ND": (_CHI, _DEN), "OH": (_NY,), "OK": (_CHI,),
    "OR": (_LA, "America/Boise"), "PA": (_NY,), "RI": (_NY,), "SC": (_NY,), "SD": (_CHI, _DEN),
    "TN": (_CHI, _NY), "TX": (_CHI, _DEN), "UT": (_DEN,), "VT": (_NY,), "VA": (_NY,), "WA": (_LA,),
    "WV": (_NY,), "WI": (_CHI,), "WY": (_DEN,),
    "PR": ("America/Puerto_Rico",), "VI": ("America/St_Thomas",), "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",), "AS": ("Pacific/Pago_Pago",),
    "AB": ("America/Edmonton",), "BC": ("America/Vancouver", "America/Edmonton"),
    "MB": ("America/Winnipeg",), "NB": ("America/Moncton",),
    "NL": ("America/St_Johns", "America/Goose_Bay"), "NS": ("America/Halifax",),
    "NT": ("America/Edmonton",), "NU": ("America/Iqaluit", "America/Rankin_Inlet", "America/Cambridge_Bay"),
    "ON": ("America/Toronto", "America/Winnipeg"), "PE": ("America/Halifax",), "QC": ("America/Toronto",),
    "SK": ("America/Regina",), "YT": ("America/Whitehorse",),
}


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


US_ZONES = _unique(z for code in _US_STATES for z in _ZONES[code])
CA_ZONES = _unique(z for code in _CA_PROVINCES for z in _ZONES[code])


def _name_key(value: str) -> str:
    """Case, accents, dots and spacing do not matter: `Québec` = `quebec`, `D.C.` = `dc`."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace(".", " ").split())


_BY_NAME = {
    **{_name_key(name): code for table in (_US_STATES, _US_TERRITORIES, _CA_PROVINCES) for code, name in table.items()},
    **{_name_key(alias): code for alias, code in _ALIASES.items()},
}
_CODES = frozenset(_ZONES)


def normalize_state(value: str | None) -> str | None:
    """A US state, DC, US territory or Canadian province, by USPS/Canada Post code or name.

    `"FL"`, `"fl"`, `"Florida"`, `"florida "` -> `"FL"`; `"CA"` is California; unknown -> None.
    """
    if not value or not value.strip():
        return None
    code = value.strip().upper().replace(".", "")
    if code in _CODES:
        return code
    return _BY_NAME.get(_name_key(value))


# USPS 3-digit ZIP prefixes: (first, last, state). None: military (AA/AE/AP) or not a state.
_ZIP3: tuple[tuple[int, int, str | None], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"),
    (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"),
    (70, 89, "NJ"), (90, 99, None), (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"),
    (200, 200, "DC"), (201, 201, "VA"), (202, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"),
    (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"),
    (340, 340, None), (341, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"),
    (398, 399, "GA"), (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"),
    (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"), (569, 569, "DC"), (570, 577, "SD"),
    (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"), (630, 658, "MO"), (660, 679, "KS"),
    (680, 693, "NE"), (700, 714, "LA"), (716, 729, "AR"), (730, 731, "OK"), (733, 733, "TX"),
    (734, 749, "OK"), (750, 799, "TX"), (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"),
    (840, 847, "UT"), (850, 865, "AZ"), (870, 884, "NM"), (885, 885, "TX"), (889, 898, "NV"),
    (900, 961, "CA"), (962, 966, None), (967, 968, "HI"), (969, 969, None), (970, 979, "OR"),
    (980, 994, "WA"), (995, 999, "AK"),
)
# 5-digit exceptions inside those prefixes (Pacific territories; other 969xx are Palau,
# Micronesia and the Marshall Islands, not US states).
_ZIP5: tuple[tuple[int, int, str], ...] = ((96799, 96799, "AS"), (96910, 96932, "GU"), (96950, 96952, "MP"))
_ZIP3_STARTS = [first for first, _, _ in _ZIP3]
_US_ZIP = re.compile(r"(\d{5})(?:[-\s]?\d{4})?")
_CA_POSTAL = re.compile(r"([ABCEGHJ-NPRSTVXY])\d[ABCEGHJ-NPR-TV-Z][\s-]?\d[ABCEGHJ-NPR-TV-Z]\d")
_CA_FIRST_LETTER = {
    "A": "NL", "B": "NS", "C": "PE", "E": "NB", "G": "QC", "H": "QC", "J": "QC", "K": "ON", "L": "ON",
    "M": "ON", "N": "ON", "P": "ON", "R": "MB", "S": "SK", "T": "AB", "V": "BC", "X": "NT", "Y": "YT",
}
_NUNAVUT_FSAS = ("X0A", "X0B", "X0C")  # X is shared: these three are Nunavut, the rest NWT


def state_for_postcode(postcode: str | None) -> str | None:
    """The state of a US ZIP (`33101`, `33101-1234`) or the province of a Canadian postal code.

    Military ZIPs, unassigned prefixes and anything else -> None (a postcode is never guessed).
    """
    if not postcode:
        return None
    text = postcode.strip().upper()
    if m := _US_ZIP.fullmatch(text):
        zip5 = int(m.group(1))
        for first, last, code in _ZIP5:
            if first <= zip5 <= last:
                return code
        prefix = zip5 // 100
        i = bisect.bisect_right(_ZIP3_STARTS, prefix) - 1
        if i >= 0 and _ZIP3[i][0] <= prefix <= _ZIP3[i][1]:
            return _ZIP3[i][2]
        return None
    if m := _CA_POSTAL.fullmatch(text):
        if text[:3] in _NUNAVUT_FSAS:
            return "NU"
        return _CA_FIRST_LETTER[m.group(1)]
    return None


def zones_for_state(code: str | None) -> tuple[str, ...]:
    """The IANA zones in use in a state or province (by code or name); () when unknown."""
    state = normalize_state(code)
    return _ZONES[state] if state else ()


def _parse(e164: str | None) -> PhoneNumber | None:
    if not e164:
        return None
    try:
        return phonenumbers.parse(e164, None)
    except NumberParseException:
        return None


def _state_of_number(number: PhoneNumber) -> str | None:
    if number.country_code != 1:
        return None
    region = phonenumbers.region_code_for_number(number)
    if region in _US_TERRITORIES:
        return region
    if region not in ("US", "CA"):
        return None
    # Imported here: the geocoder loads 19 MB of prefix data, paid only when a US/CA number needs it.
    from phonenumbers import geocoder

    description = geocoder.description_for_number(number, "en")
    if not description or "/" in description:  # "Nova Scotia/Prince Edward Island": not one place
        return None
    state = normalize_state(description) or normalize_state(description.rsplit(",", 1)[-1])
    canadian = state in _CA_PROVINCES
    return state if state and canadian == (region == "CA") else None


def state_for_number(e164: str | None) -> str | None:
    """The state or province of a NANP (+1) number's area code (phonenumbers' geocoder).

    `+1 305…` -> `FL`, `+1 206…` -> `WA` ("Washington State"), `+1 604…` -> `BC`. Any other
    country, a non-geographic number (toll-free) or an area code shared by provinces -> None.
    """
    number = _parse(e164)
    return _state_of_number(number) if number is not None else None


# --- policy -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """Local wall-clock hours on one day: `start` inclusive, `end` exclusive."""
    start: dt.time
    end: dt.time

    def contains(self, local: dt.time) -> bool:
        return self.start <= local < self.end


@dataclass(frozen=True)
class HoursRule:
    """One rule of the policy: `default` or a state's. `week[0]` is Monday's window."""
    name: str
    week: tuple[Window, ...]
    max_per_24h: int | None = None

    def window_on(self, weekday: int) -> Window:
        return self.week[weekday]


@dataclass(frozen=True)
class QuietHoursPolicy:
    default: HoursRule
    states: Mapping[str, HoursRule]
    source: str = "<mapping>"


def _time(value: Any, where: str) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool):
        raise PolicyError(f"{where}: {value!r} is not a time: write it as a quoted \"HH:MM\" string "
                          f"(YAML reads an unquoted 20:00 as the number 1200)")
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip()) if isinstance(value, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise PolicyError(f"{where}: {value!r} is not a time of day: expected \"HH:MM\" from \"00:00\" to \"23:59\"")
    return dt.time(int(m.group(1)), int(m.group(2)))


def _window(raw: Mapping[str, Any], where: str, base: Window | None = None) -> Window:
    """A window from `start`/`end`; a weekday override takes what it leaves out from `base`."""
    values = {"start": base.start, "end": base.end} if base else {}
    values.update({k: _time(raw[k], f"{where}.{k}") for k in ("start", "end") if k in raw})
    missing = [k for k in ("start", "end") if k not in values]
    if missing:
        raise PolicyError(f"{where}: missing {' and '.join(missing)}")
    start, end = values["start"], values["end"]
    if not start < end:
        raise PolicyError(f"{where}: start {start:%H:%M} must be before end {end:%H:%M} (a window is within one day)")
    return Window(start, end)


def _mapping(raw: Any, where: str, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: must be a mapping of {what}, not {raw!r}")
    return raw


def _rule(name: str, raw: Any, where: str) -> HoursRule:
    raw = _mapping(raw, where, "start, end, days, max_per_24h")
    unknown = sorted(map(str, set(raw) - set(_RULE_KEYS)))
    if unknown:
        raise PolicyError(f"{where}: unknown keys {unknown}; known: {list(_RULE_KEYS)}")
    base = _window(raw, where)
    days = _mapping(raw.get("days") or {}, f"{where}.days", "weekday: {start, end}")
    bad_days = sorted(str(d) for d in days if str(d).lower() not in WEEKDAYS)
    if bad_days:
        raise PolicyError(f"{where}.days: unknown weekdays {bad_days}; known: {list(WEEKDAYS)}")
    overrides = {str(d).lower(): (d, w) for d, w in days.items()}
    week = []
    for day in WEEKDAYS:
        if day in overrides:
            key, raw_day = overrides[day]
            day_where = f"{where}.days.{key}"
            raw_day = _mapping(raw_day, day_where, "start, end")
            unknown_day = sorted(map(str, set(raw_day) - {"start", "end"}))
            if unknown_day:
                raise PolicyError(f"{day_where}: unknown keys {unknown_day}; known: ['start', 'end']")
            week.append(_window(raw_day, day_where, base))
        else:
            week.append(base)
    cap = raw.get("max_per_24h")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise PolicyError(f"{where}.max_per_24h: must be a whole number of messages of at least 1, not {cap!r}")
    return HoursRule(name=name, week=tuple(week), max_per_24h=cap)


def parse_policy(data: Any, source: str = "<mapping>") -> QuietHoursPolicy:
    """Check a policy read from YAML. Every error names `source` and the key."""
    data = _mapping(data, source, "settings (default, states)")
    unknown = sorted(map(str, set(data) - {"default", "states"}))
    if unknown:
        raise PolicyError(f"{source}: unknown keys {unknown}; known: ['default', 'states']")
    if "default" not in data:
        raise PolicyError(f"{source}: missing key default (e.g. default: {{start: \"08:00\", end: \"21:00\"}})")
    default = _rule("default", data["default"], f"{source}: default")
    states: dict[str, HoursRule] = {}
    for key, raw in _mapping(data.get("states") or {}, f"{source}: states", "state code: rule").items():
        if isinstance(key, bool):
            raise PolicyError(f"{source}: states: a key YAML read as {key} (unquoted ON, NO, YES are booleans): "
                              f"quote the code, e.g. \"ON\"")
        code = normalize_state(str(key))
        if code is None or str(key).strip().upper() != code:
            hint = f"; did you mean {code}?" if code else ""
            raise PolicyError(f"{source}: states.{key}: not a USPS state or Canadian province code{hint}")
        if code in states:
            raise PolicyError(f"{source}: states.{key}: {code} is listed twice")
        states[code] = _rule(code, raw, f"{source}: states.{key}")
    return QuietHoursPolicy(default=default, states=states, source=source)


def policy_path() -> Path:
    """Where the quiet-hours policy is read from: `<OPTLINE_POLICY_DIR>/quiet_hours.yaml`."""
    return paths().policy_dir / POLICY_FILE


def load_policy(path: Path | None = None) -> QuietHoursPolicy:
    """Read and check the quiet-hours policy (default: `expectations/policies/quiet_hours.yaml`)."""
    path = path or policy_path()
    if not path.is_file():
        raise PolicyError(f"no quiet-hours policy: expected {path}")
    data = read_limited_yaml(path, error=PolicyError)  # no aliases, 64 KiB, depth 10, 4,096 characters
    return parse_policy(data, str(path))


# --- recipients -------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    """Who a text goes to. `number_time_zones`: phonenumbers' zones for the number (as
    `core.phone_numbers.time_zones` holds them); empty -> looked up from `e164`."""
    e164: str
    state: str | None = None
    postcode: str | None = None
    number_time_zones: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "number_time_zones", tuple(self.number_time_zones or ()))


@dataclass(frozen=True)
class SendRules:
    """What applies to one recipient: every window of `rules` must be open in every zone."""
    zones: tuple[str, ...]
    rules: tuple[HoursRule, ...]
    contact_state: str | None = None   # where the contact lives (state field, else postcode)
    number_state: str | None = None    # the number's area-code state
    _tzs: tuple[ZoneInfo, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.zones or not self.rules:
            raise QuietHoursError("send rules need at least one time zone and one rule")
        try:
            tzs = tuple(ZoneInfo(z) for z in self.zones)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise QuietHoursError(f"unknown time zone in {list(self.zones)}: {exc}") from None
        object.__setattr__(self, "_tzs", tzs)

    @property
    def cap(self) -> int | None:
        """The smallest `max_per_24h` of the rules, or None when no rule caps."""
        caps = [r.max_per_24h for r in self.rules if r.max_per_24h is not None]
        return min(caps) if caps else None


def _region_zones(number: PhoneNumber | None, masked: str) -> tuple[str, ...]:
    """Every zone of the number's region, for a number whose own zone is unknown."""
    if number is None:
        raise QuietHoursError(f"cannot place number {masked}: not an E.164 number and no contact state")
    region = phonenumbers.region_code_for_number(number)
    if number.country_code == 1 and region in (None, "US"):
        return US_ZONES
    if region == "CA":
        return CA_ZONES
    if region in _US_TERRITORIES:
        return _ZONES[region]
    zones = tuple(z for z in timezone._country_level_time_zones_for_number(number) if z != _UNKNOWN_ZONE)
    if not zones:
        raise QuietHoursError(f"no time zone known for number {masked} (country code {number.country_code})")
    return zones


def _number_zones(recipient: Recipient, number: PhoneNumber | None, masked: str) -> tuple[str, ...]:
    zones = recipient.number_time_zones
    if not zones and number is not None:
        zones = tuple(timezone.time_zones_for_number(number))
    if zones and _UNKNOWN_ZONE not in zones:
        return _unique(zones)
    return _region_zones(number, masked)


def recipient_rules(recipient: Recipient, policy: QuietHoursPolicy) -> SendRules:
    """The zones and rules that decide when `recipient` may get a text (module docstring)."""
    number = _parse(recipient.e164)
    masked = mask_phone(recipient.e164)
    nanp = number is not None and number.country_code == 1
    contact_state = normalize_state(recipient.state)
    if contact_state is None and nanp:
        contact_state = state_for_postcode(recipient.postcode)
    number_state = _state_of_number(number) if number is not None else None

    if contact_state and (nanp or number is None):
        zones = _ZONES[contact_state]
    elif contact_state:
        zones = _unique((*_ZONES[contact_state], *_number_zones(recipient, number, masked)))
    else:
        zones = _number_zones(recipient, number, masked)
    states = _unique(s for s in (contact_state, number_state) if s)
    rules = (policy.default, *(policy.states[s] for s in states if s in policy.states))
    return SendRules(zones=zones, rules=rules, contact_state=contact_state, number_state=number_state)


# --- when -------------------------------------------------------------------------------

def _utc(moment: dt.datetime, what: str = "at") -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), not a naive datetime")
    return moment.astimezone(UTC)


def _open(at: dt.datetime, rules: SendRules) -> bool:
    for tz in rules._tzs:
        local = at.astimezone(tz)
        wall, weekday = local.time(), local.weekday()
        if not all(rule.window_on(weekday).contains(wall) for rule in rules.rules):
            return False
    return True


def is_open(at: dt.datetime, rules: SendRules) -> bool:
    """Whether a text may go at `at`: every window open in every zone."""
    return _open(_utc(at), rules)


def _transitions(tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """The first minute of each UTC-offset change in [start, end] (daylight saving)."""
    step = dt.timedelta(hours=6)
    low = start.replace(second=0, microsecond=0)
    low_offset = low.astimezone(tz).utcoffset()
    while low < end:
        high = low + step
        high_offset = high.astimezone(tz).utcoffset()
        if high_offset != low_offset:
            lo, hi = 0, int(step / _MINUTE)  # offset at lo is low_offset, at hi it has changed
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if (low + mid * _MINUTE).astimezone(tz).utcoffset() == low_offset:
                    lo = mid
                else:
                    hi = mid
            yield low + hi * _MINUTE
        low, low_offset = high, high_offset


def _candidates(start: dt.datetime, end: dt.datetime, rules: SendRules) -> set[dt.datetime]:
    """Every instant in (start, end] at which some window can open: each window start in each
    zone (both readings of an ambiguous local time) and each offset change (a start that falls
    in a spring-forward gap opens at the change)."""
    found: set[dt.datetime] = set()
    for tz in rules._tzs:
        first = start.astimezone(tz).date() - dt.timedelta(days=1)
        for i in range(SEARCH_DAYS + 3):
            day = first + dt.timedelta(days=i)
            for rule in rules.rules:
                opens = rule.window_on(day.weekday()).start
                for fold in (0, 1):
                    found.add(dt.datetime.combine(day, opens, tzinfo=tz).replace(fold=fold).astimezone(UTC))
        found.update(_transitions(tz, start, end))
    return {c for c in found if start < c <= end}


def next_open(at: dt.datetime, rules: SendRules) -> dt.datetime:
    """The earliest instant >= `at` (UTC) when every window is open in every zone.

    Raises QuietHoursError when nothing opens within SEARCH_DAYS days: the zones are too
    far apart for a common hour under these rules.
    """
    start = _utc(at)
    if _open(start, rules):
        return start
    end = start + dt.timedelta(days=SEARCH_DAYS)
    for candidate in sorted(_candidates(start, end, rules)):
        if _open(candidate, rules):
            return candidate
    names = [r.name for r in rules.rules]
    raise QuietHoursError(f"no hour within {SEARCH_DAYS} days is open under rules {names} in every one of "
                          f"the time zones {list(rules.zones)}: they are too far apart for a common window")


def cap_release(at: dt.datetime, rules: SendRules, recent_sends: Iterable[dt.datetime]) -> dt.datetime | None:
    """When the cap lets the next text go, or None if it does not hold one back at `at`.

    Counts the sends in the 24 hours up to `at` ((at - 24 h, at]); with `cap` or more, the
    next text waits until enough of them have left that span: the oldest + 24 h when there
    are exactly `cap`. Sends after `at` are not counted.
    """
    now = _utc(at)
    cap = rules.cap
    if cap is None:
        return None
    counted = sorted(s for s in (_utc(x, "recent_sends") for x in recent_sends) if now - DAY < s <= now)
    if len(counted) < cap:
        return None
    return counted[len(counted) - cap] + DAY


def earliest_send(at: dt.datetime, rules: SendRules, recent_sends: Iterable[dt.datetime] = ()) -> dt.datetime:
    """The earliest instant >= `at` (UTC) when both the windows and the cap allow a text."""
    moment = _utc(at)
    sends = [_utc(s, "recent_sends") for s in recent_sends]
    # each wait for the cap moves past a send for good, so this ends within len(sends) + 1 rounds
    for _ in range(len(sends) + 2):
        moment = next_open(moment, rules)
        release = cap_release(moment, rules, sends)
        if release is None:
            return moment
        moment = release
    raise QuietHoursError("the cap never released: recent sends are inconsistent")  # not reached
