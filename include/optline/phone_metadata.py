"""phonenumbers' own metadata as tables, for the warehouse's SQL normalizer (`phones.normalize_batch`).

Everything comes from the installed phonenumbers (`VERSION`), compiled once per process:

- `phone_meta_regions`: one row per region: its calling code, where it stands in that code's
  region list (`region_code_for_number` tries them in that order), its leading digits,
  international (IDD) and national prefixes, and every number description (pattern, possible
  lengths, local-only lengths) `number_type` tests, in the struct `meta` that the SQL reads
  through the session variable `phone_region` (set per region, so each pattern is a constant
  DuckDB compiles once per statement, not once per row);
- `phone_meta_country_codes`: each calling code, its main region (metadata used to strip a
  national prefix after it), whether it is non-geographical, and its country-level time zones;
- `phone_meta_time_zones`: the time-zone prefix table (longest prefix of the E.164 digits).

The SQL decides only the inputs it can decide exactly as phonenumbers would (see
sql/staging/phone_work_create.sql); the rest go to phonenumbers itself.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from phonenumbers.phonenumberutil import _GEO_MOBILE_COUNTRIES, region_code_for_country_code
from phonenumbers.timezone import UNKNOWN_TIMEZONE
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

VERSION = phonenumbers.__version__
NON_GEO_REGION = "001"
# The descriptions `number_type` tests, by the name the SQL uses.
DESCRIPTIONS = ("general_desc", "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                "uan", "voicemail", "fixed_line", "mobile")

_DESC = pa.struct([("pattern", pa.string()), ("lengths", pa.list_(pa.int32())), ("local", pa.list_(pa.int32()))])
_META = pa.struct([
    ("region", pa.string()), ("cc", pa.string()), ("sole", pa.bool_()), ("leading_digits", pa.string()),
    ("idd", pa.string()), ("npfp", pa.string()), ("transform", pa.bool_()), ("same_pattern", pa.bool_()),
    ("geo_mobile", pa.bool_()),
    *[(name, _DESC) for name in DESCRIPTIONS],
])


def _desc(desc) -> dict | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return {"pattern": desc.national_number_pattern, "lengths": list(desc.possible_length),
            "local": list(desc.possible_length_local_only)}


def _region_meta(region: str, cc: int, sole: bool) -> dict:
    meta = PhoneMetadata.metadata_for_region(region)
    return {
        "region": region, "cc": str(cc), "sole": sole, "leading_digits": meta.leading_digits,
        "idd": meta.international_prefix, "npfp": meta.national_prefix_for_parsing or None,
        "transform": bool(meta.national_prefix_transform_rule),
        "same_pattern": bool(meta.same_mobile_and_fixed_line_pattern),
        "geo_mobile": cc in _GEO_MOBILE_COUNTRIES,
        **{name: _desc(getattr(meta, name)) for name in DESCRIPTIONS},
    }


def _country_zones(cc: int) -> list[str]:
    """`timezone._country_level_time_zones_for_number`, without the unknown zone."""
    text = str(cc)
    for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        zones = TIMEZONE_DATA.get(text[:1 + length])
        if zones is not None:
            return [z for z in zones if z != UNKNOWN_TIMEZONE]
    return []


@functools.cache
def tables() -> dict[str, pa.Table]:
    """The three metadata tables, by the name the SQL reads them under."""
    regions: list[dict] = []
    codes: dict[str, list] = {"cc": [], "main_region": [], "non_geo": [], "zones": []}
    for cc, names in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        main = region_code_for_country_code(cc)
        codes["cc"].append(str(cc))
        codes["main_region"].append(main)
        codes["non_geo"].append(main == NON_GEO_REGION)
        codes["zones"].append(_country_zones(cc))
        for position, region in enumerate(names, start=1):
            if region != NON_GEO_REGION:
                regions.append({"region": region, "cc": str(cc), "position": position,
                                "meta": _region_meta(region, cc, len(names) == 1)})
    zone_prefixes = sorted(TIMEZONE_DATA)
    return {
        "phone_meta_regions": pa.table({
            "region": pa.array([r["region"] for r in regions], pa.string()),
            "cc": pa.array([r["cc"] for r in regions], pa.string()),
            "position": pa.array([r["position"] for r in regions], pa.int32()),
            "meta": pa.array([r["meta"] for r in regions], _META),
        }),
        "phone_meta_country_codes": pa.table({
            "cc": pa.array(codes["cc"], pa.string()),
            "main_region": pa.array(codes["main_region"], pa.string()),
            "non_geo": pa.array(codes["non_geo"], pa.bool_()),
            "zones": pa.array(codes["zones"], pa.list_(pa.string())),
        }),
        "phone_meta_time_zones": pa.table({
            "prefix": pa.array(zone_prefixes, pa.string()),
            "zones": pa.array([[z for z in TIMEZONE_DATA[p] if z != UNKNOWN_TIMEZONE] for p in zone_prefixes],
                              pa.list_(pa.string())),
        }),
    }


@functools.cache
def regions() -> frozenset[str]:
    """The regions the tables describe (every region phonenumbers has metadata for)."""
    return frozenset(tables()["phone_meta_regions"].column("region").to_pylist())


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The metadata tables, and the macros over them (sql/phones/*_macro_create), visible to
    `conn`'s SQL for the block."""
    from optline import warehouse

    names = list(tables())
    for name in names:
        conn.register(name, tables()[name])
    try:
        for macro in MACROS:
            warehouse.run(conn, macro)
        yield
    finally:
        for name in names:
            conn.unregister(name)


# In the order they are created (a macro refers to those before it).
MACROS = ("phones/pattern_match_macro_create", "phones/desc_match_macro_create", "phones/number_type_macro_create",
          "phones/national_prefix_strip_macro_create", "phones/length_possible_macro_create",
          "phones/length_too_long_macro_create")
