"""Generated phone inputs for the differential test of the SQL normalizer against phonenumbers.

`batches(count, seed)` gives about `count` distinct raw values as a list of (default region,
values) batches: for each of REGIONS (45 regions, every kind of metadata: shared calling codes,
national prefixes with transform rules, Italian leading zeros, geographical mobiles), numbers
built from phonenumbers' example numbers with random digits (valid ones and not), written in
every variant a file may hold (see VARIANTS), plus one batch read with the US as default that
holds every region's numbers in international forms. bench/phone_differential.py runs it at 1M.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from optline.intake.readers import clean_cell

REGIONS = ("US", "CA", "PR", "JM", "DO", "GB", "GG", "JE", "IM", "DE", "FR", "IT", "SM", "VA", "ES", "NL", "BE",
           "CH", "AT", "SE", "NO", "FI", "AX", "PL", "RU", "KZ", "AR", "MX", "BR", "CO", "CL", "PE", "AU", "NZ",
           "IN", "CN", "HK", "JP", "KR", "SG", "ID", "NG", "ZA", "EG", "AE")
TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
         PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.SHARED_COST,
         PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER, PhoneNumberType.UAN)
_KEYPAD = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ"}
_DIGIT_SETS = {"fullwidth": 0xFF10, "arabic_indic": 0x0660, "eastern_arabic": 0x06F0, "devanagari": 0x0966}


def _examples(region: str) -> list[phonenumbers.PhoneNumber]:
    found = [phonenumbers.example_number_for_type(region, t) for t in TYPES]
    return [n for n in found if n is not None] or [phonenumbers.example_number(region)]


def _varied(number: phonenumbers.PhoneNumber, rng: random.Random) -> phonenumbers.PhoneNumber:
    """The example with its last 1-4 digits random, sometimes one digit more or fewer."""
    digits = phonenumbers.national_significant_number(number)
    keep = max(1, len(digits) - rng.randint(1, 4))
    tail = "".join(rng.choice("0123456789") for _ in range(len(digits) - keep))
    varied = digits[:keep] + tail
    roll = rng.random()
    if roll < 0.05:
        varied = varied[:-1]
    elif roll < 0.10:
        varied += rng.choice("0123456789")
    try:
        return phonenumbers.parse("+" + str(number.country_code) + varied, None)
    except phonenumbers.NumberParseException:
        return number


def _fmt(number: phonenumbers.PhoneNumber, how: int) -> str:
    return phonenumbers.format_number(number, how)


def _spaced(text: str, rng: random.Random, marks: str) -> str:
    return "".join(c + (rng.choice(marks) if c.isdigit() and rng.random() < 0.2 else "") for c in text)


def _in_digits(text: str, base: int) -> str:
    return "".join(chr(base + int(c)) if c.isdigit() else c for c in text)


def _lettered(text: str, rng: random.Random) -> str:
    chars = list(text)
    places = [i for i, c in enumerate(chars) if c in _KEYPAD]
    for i in rng.sample(places, min(len(places), rng.randint(3, 7))) if len(places) >= 3 else []:
        chars[i] = rng.choice(_KEYPAD[chars[i]])
    return "".join(chars)


Variant = Callable[[phonenumbers.PhoneNumber, random.Random], str]

VARIANTS: dict[str, Variant] = {
    "e164": lambda n, r: _fmt(n, PhoneNumberFormat.E164),
    "international": lambda n, r: _fmt(n, PhoneNumberFormat.INTERNATIONAL),
    "national": lambda n, r: _fmt(n, PhoneNumberFormat.NATIONAL),
    "national_digits": lambda n, r: "".join(c for c in _fmt(n, PhoneNumberFormat.NATIONAL) if c.isdigit()),
    "nsn_digits": lambda n, r: phonenumbers.national_significant_number(n),
    "cc_without_plus": lambda n, r: _fmt(n, PhoneNumberFormat.E164)[1:],
    "idd_00": lambda n, r: "00 " + _fmt(n, PhoneNumberFormat.INTERNATIONAL)[1:],
    "idd_011": lambda n, r: "011" + _fmt(n, PhoneNumberFormat.E164)[1:],
    "rfc3966": lambda n, r: _fmt(n, PhoneNumberFormat.RFC3966),
    "rfc3966_context": lambda n, r: "tel:" + phonenumbers.national_significant_number(n)
    + ";phone-context=+" + str(n.country_code),
    "dots": lambda n, r: _fmt(n, PhoneNumberFormat.NATIONAL).replace(" ", ".").replace("-", "."),
    "dashes": lambda n, r: _fmt(n, PhoneNumberFormat.INTERNATIONAL).replace(" ", "-"),
    "slashes": lambda n, r: _fmt(n, PhoneNumberFormat.NATIONAL).replace(" ", "/", 1),
    "parentheses": lambda n, r: f"+{n.country_code} ({phonenumbers.national_significant_number(n)[:3]}) "
    + phonenumbers.national_significant_number(n)[3:],
    "trunk_in_brackets": lambda n, r: f"+{n.country_code} (0) {phonenumbers.national_significant_number(n)}",
    "letters": lambda n, r: _lettered(_fmt(n, PhoneNumberFormat.NATIONAL), r),
    "extension": lambda n, r: _fmt(n, PhoneNumberFormat.NATIONAL) + r.choice([" ext. ", " x", " #", ";ext=", " ext "])
    + str(r.randint(1, 99999)),
    "fullwidth": lambda n, r: _in_digits(_fmt(n, PhoneNumberFormat.INTERNATIONAL), _DIGIT_SETS["fullwidth"])
    .replace("+", "＋"),
    "arabic_indic": lambda n, r: _in_digits(_fmt(n, PhoneNumberFormat.NATIONAL), _DIGIT_SETS["arabic_indic"]),
    "eastern_arabic": lambda n, r: _in_digits(_fmt(n, PhoneNumberFormat.E164), _DIGIT_SETS["eastern_arabic"]),
    "devanagari": lambda n, r: _in_digits(_fmt(n, PhoneNumberFormat.E164), _DIGIT_SETS["devanagari"]),
    "nbsp": lambda n, r: _fmt(n, PhoneNumberFormat.INTERNATIONAL).replace(" ", "\u00a0"),
    "zero_width": lambda n, r: _spaced(_fmt(n, PhoneNumberFormat.NATIONAL), r, "\u200b\u200c\u200d\u2060\ufeff"),
    "labelled": lambda n, r: r.choice(["Tel: ", "mobile ", "Phone - ", "☎ "]) + _fmt(n, PhoneNumberFormat.NATIONAL),
    "trailing_text": lambda n, r: _fmt(n, PhoneNumberFormat.E164) + r.choice([" (home)", " cell", ".", " / 2"]),
    "two_pluses": lambda n, r: "+" + _fmt(n, PhoneNumberFormat.E164),
    "short": lambda n, r: phonenumbers.national_significant_number(n)[:r.randint(1, 5)],
    "excel": lambda n, r: f"{float(_fmt(n, PhoneNumberFormat.E164)[1:]):.5E}",
}
INTERNATIONAL_VARIANTS = ("e164", "international", "idd_011", "rfc3966", "dashes", "fullwidth", "nbsp",
                          "trailing_text", "parentheses", "cc_without_plus")


def _values(numbers: list[phonenumbers.PhoneNumber], variants: tuple[str, ...], rng: random.Random,
            count: int) -> set[str]:
    out: set[str] = set()
    attempts = 0
    while len(out) < count and attempts < count * 4:
        attempts += 1
        base = rng.choice(numbers)
        value = clean_cell(VARIANTS[rng.choice(variants)](_varied(base, rng), rng))  # what staging stores
        if value:
            out.add(value)
    return out


def batches(count: int, seed: int = 13) -> list[tuple[str, list[str]]]:
    """About `count` distinct raw values, as (default region, sorted values) batches."""
    rng = random.Random(seed)
    per_batch = count // (len(REGIONS) + 1)
    out = []
    for region in REGIONS:
        own = _examples(region)
        foreign = [n for other in rng.sample(REGIONS, 5) for n in _examples(other)]
        values = _values(own, tuple(VARIANTS), rng, per_batch * 9 // 10)
        values |= _values(foreign, INTERNATIONAL_VARIANTS, rng, per_batch // 10)
        out.append((region, sorted(values)))
    everyone = [n for region in REGIONS for n in _examples(region)]
    out.append(("US", sorted(_values(everyone, INTERNATIONAL_VARIANTS, rng, per_batch))))
    return out


def disagreements(conn, batch_id: int, default_region: str, values: list[str]) -> tuple[list[tuple], int]:
    """Stage `values` as a batch's phone cells, normalize them as an import does
    (`phones.normalize_batch`: SQL first, phonenumbers for the rest) and compare every parse with
    `phones.parse_phone` (phonenumbers itself): E.164, region, type, time zones, error and HMAC.
    Returns (value, what Optline stored, what phonenumbers says) for each that differs, and how
    many values SQL parsed. SQL runs once, as in an import: `normalize_batch` is then given a
    `sql_from` above the batch's size, so it leaves SQL's leftovers to phonenumbers without
    running the SQL on them again (a second pass that decides nothing and took half the test's
    time; test_phones_differential's small test covers `normalize_batch` running the SQL itself)."""
    from optline import phones
    from optline.config import hmac_key

    conn.execute("insert into staging.contact_rows (batch_id, row_number, line_number, phone_raw) "
                 "select ?, i + 1, i + 2, v from (select unnest(?) as v, generate_subscripts(?, 1) - 1 as i)",
                 [batch_id, values, values])
    key = hmac_key()
    in_sql = phones.normalize_in_sql(conn, batch_id, default_region, key)  # SQL whatever the batch's size
    # what SQL left, by phonenumbers, as an import does
    phones.normalize_batch(conn, batch_id, default_region, sql_from=len(values) + 1)
    stored = {row[0]: row[1:] for row in conn.execute(
        "select phone_raw, e164, region, number_type, time_zones, parse_error, number_hmac "
        "from staging.phone_parses where batch_id = ?", [batch_id]).fetchall()}
    wrong = []
    for value in values:
        parsed = phones.parse_phone(value, default_region)
        want = (parsed.e164, parsed.region, parsed.number_type, list(parsed.time_zones), parsed.error,
                phones.number_hmac(parsed.e164, key) if parsed.e164 else None)
        got = stored.get(value)
        if got is None or (got[0], got[1], got[2], list(got[3] or []), got[4], got[5]) != want:
            wrong.append((value, got, want))
    return wrong, in_sql
