"""Compliance policy: the thresholds the row rules (and expectations) apply, from YAML files.

A policy is named by a plain name (`default`, `alcohol`) and read from the policy folder only
(OPTLINE_POLICY_DIR): never a path, never a file a symlink leads out of the folder. A
manifest's `policy_overrides` may tighten any setting; a setting it loosens must be listed in
the policy's `allow_loosening`, and is kept on the policy (`loosened`) for the batch's report.
`allow_clock_override` says whether a run may set the rules' clock by hand (backdating).
`line_types` and `reassigned_numbers` say whether and how numbers are looked up (optline.lookup,
docs/lookup.md): off unless a policy names a provider.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from phonenumbers import PhoneNumberType

from optline.config import paths
from optline.intake.manifest import kind_of, read_limited_yaml
from optline.intake.readers import FileLimits

_ACTIONS = ("warn", "reject")
GATE_SETTINGS = (
    "review_timeout_minutes", "review_max_rejected_share", "critical_max_rejected_share",
    "review_max_stale_share", "critical_max_missing_opt_in_share", "critical_max_under_age_share",
)
# Gate settings that are true or false, false when absent (`four_eyes`: optline.access).
GATE_SWITCHES = ("four_eyes",)
# Fields the policy's `field_limits` may cap, in characters (the row rules' `limit_<field>`).
LIMITED_FIELDS = ("title", "first_name", "last_name", "phone", "email", "dob", "address_line1", "address_line2",
                  "city", "state", "postcode", "company", "alternate_phone")
# What the readers may take in from one file (optline.intake.readers.FileLimits), and the
# defaults when a policy does not say: an XLSX's uncompressed size (every part of the zip,
# shared strings included) and the rows of one sheet (Excel's own maximum).
FILE_LIMITS = asdict(FileLimits())
# Line-type lookups (optline.lookup.step) and the reassigned-number check of the welcomes
# (optline.lookup.reassigned), and their defaults: off (provider none) unless a policy says.
# Twilio Lookup v2's line_type_intelligence.type values, which `line_types.refuse` may list.
LINE_TYPES = ("mobile", "landline", "fixedVoip", "nonFixedVoip", "tollFree", "premium", "sharedCost", "uan",
              "voicemail", "pager", "personal", "unknown")
LOOKUP_UNAVAILABLE = ("wait", "hold", "pass_unknown")  # strictest first
LINE_TYPE_DEFAULTS: dict[str, Any] = {
    "provider": "none", "refuse": ["landline", "fixedVoip", "nonFixedVoip", "tollFree", "premium", "sharedCost",
                                   "uan", "voicemail", "pager"],
    "countries": ["US", "CA"], "max_age_days": 90, "unavailable": "pass_unknown", "requests_per_second": 10,
    "request_batch": 50, "outage_after_failures": 3,
}
REASSIGNED_DEFAULTS: dict[str, Any] = {
    "provider": "none", "max_age_days": 30, "unavailable": "wait", "requests_per_second": 10,
    "outage_after_failures": 3,
}
LOOKUP_PROVIDERS = {"line_types": ("none", "twilio"), "reassigned_numbers": ("none", "twilio", "fcc_rnd")}
LOOKUP_DEFAULTS = {"line_types": LINE_TYPE_DEFAULTS, "reassigned_numbers": REASSIGNED_DEFAULTS}
# The grouped settings and the keys each may hold.
GROUP_KEYS = {"field_limits": LIMITED_FIELDS, "gate": (*GATE_SETTINGS, *GATE_SWITCHES),
              "file_limits": tuple(FILE_LIMITS), "line_types": tuple(LINE_TYPE_DEFAULTS),
              "reassigned_numbers": tuple(REASSIGNED_DEFAULTS)}
GROUPS = tuple(GROUP_KEYS)
SWITCHES = ("require_opt_in", "require_age_or_dob", "require_full_dob")
WHOLES = ("min_age", "recency_months")
# Every list-policy setting (what a policy file must say, groups aside, and what
# `policy_overrides` may change).
SETTINGS = ("us_ca_only", *SWITCHES, *WHOLES, "recency_action", "reject_number_types", *GROUPS)
# phonenumbers' PhoneNumberType names, which `reject_number_types` may list.
NUMBER_TYPES = {k for k, v in vars(PhoneNumberType).items() if isinstance(v, int) and k.isupper()}


# Policy files in the same folder that are not list policies (optline.messaging.quiethours reads
# quiet_hours, optline.consent.keywords revocation).
NOT_LIST_POLICIES = frozenset({"quiet_hours", "revocation"})
# A policy name: a file stem in the policy folder, nothing that could be a path.
POLICY_NAME = re.compile(r"[a-z0-9_-]+")
# What only a policy file may say (a manifest's `policy_overrides` cannot grant itself these).
ALLOWANCES = ("allow_clock_override", "allow_loosening")
# Which way loosens: a higher value of these holds, rejects or refuses less ...
_HIGHER_LOOSENS = frozenset({"recency_months", *GATE_SETTINGS})
# ... a lower value of these ...
_LOWER_LOOSENS = frozenset({"min_age"})
# ... and turning these off.
_OFF_LOOSENS = frozenset({"require_opt_in", "require_age_or_dob", "require_full_dob"})
# us_ca_only, strictest first; recency_action likewise.
_US_CA_ORDER = (True, "auto", False)
_ACTION_ORDER = ("reject", "warn")


class PolicyError(ValueError):
    """A policy file is missing or says something Optline cannot apply."""


class PolicyFileError(PolicyError):
    """The policy named (or one it extends) is not a plain name, not in the policy folder, or not a
    readable list policy: the manifest's `policy` (or the file's `extends`) is at fault."""


@dataclass(frozen=True)
class Loosened:
    """One `policy_overrides` setting that loosens the policy: `field_limits.phone` 16 -> 20."""
    setting: str
    policy_value: Any
    override_value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "policy_value": self.policy_value, "override_value": self.override_value}


@dataclass(frozen=True)
class Policy:
    name: str
    us_ca_only: str | bool
    require_opt_in: bool
    require_age_or_dob: bool
    min_age: int
    require_full_dob: bool
    recency_months: int
    recency_action: str
    reject_number_types: tuple[str, ...]
    field_limits: dict[str, int] = field(default_factory=dict)
    gate: dict[str, float] = field(default_factory=dict)
    file_limits: dict[str, int] = field(default_factory=lambda: dict(FILE_LIMITS))
    line_types: dict[str, Any] = field(default_factory=lambda: dict(LINE_TYPE_DEFAULTS))
    reassigned_numbers: dict[str, Any] = field(default_factory=lambda: dict(REASSIGNED_DEFAULTS))
    four_eyes: bool = False  # gate.four_eyes: whoever imported a batch may not approve it
    allow_clock_override: bool = False  # may a run set the rules' clock by hand (as_of)?
    allow_loosening: tuple[str, ...] = ()  # settings a manifest may loosen (`gate` = every gate setting)
    loosened: tuple[Loosened, ...] = ()  # the overrides that loosen this policy (allowed ones only)

    def is_us_ca_list(self, default_country: str) -> bool:
        if self.us_ca_only == "auto":
            return default_country.upper() in ("US", "CA")
        return bool(self.us_ca_only)

    def as_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        d["reject_number_types"] = list(self.reject_number_types)
        d["allow_loosening"] = list(self.allow_loosening)
        d["loosened"] = [entry.as_dict() for entry in self.loosened]
        return d


def policy_file(name: Any, policy_dir: Path) -> Path:
    """`<policy_dir>/<name>.yaml` for a plain name; a path, or a file a symlink leads out of the
    folder, is refused."""
    if not isinstance(name, str) or not POLICY_NAME.fullmatch(name):
        raise PolicyFileError(f"policy {name!r} is not a plain name: name a policy file of the policy folder "
                          f"({policy_dir}) by its name alone, lowercase letters, digits, _ and -, e.g. default")
    path = policy_dir / f"{name}.yaml"
    if path.exists() and not path.resolve().is_relative_to(policy_dir.resolve()):
        raise PolicyFileError(f"policy {name!r}: {path} leads outside the policy folder ({policy_dir}); "
                          "put the policy file itself in the folder")
    return path


def _read(name: str, policy_dir: Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    try:
        path = policy_file(name, policy_dir)
    except PolicyError as exc:
        raise PolicyFileError(f"policy {seen[-1]!r} extends: {exc}" if seen else str(exc)) from None
    if name in seen:
        raise PolicyFileError(f"policy {name!r} extends itself (via {' -> '.join(seen)})")
    if name in NOT_LIST_POLICIES:
        raise PolicyFileError(f"{path.name} is the sending policy (quiet hours and caps), not a list policy; "
                          "name a list policy such as default or alcohol")
    if not path.is_file():
        known = sorted(p.stem for p in policy_dir.glob("*.yaml") if p.stem not in NOT_LIST_POLICIES)
        raise PolicyFileError(f"no policy {name!r}: expected {path}; known policies: {known}")
    data = read_limited_yaml(path, PolicyFileError)
    if not isinstance(data, dict):
        raise PolicyFileError(f"{path} must be a mapping of settings")
    check_settings(data, str(path), PolicyFileError, in_file=True)
    parent = data.pop("extends", None)
    if parent:
        base = _read(parent, policy_dir, (*seen, name))
        groups = {group: {**(base.get(group) or {}), **(data.pop(group, None) or {})} for group in GROUPS}
        data = {**base, **data, **groups}
    return data


def _shown(value: Any) -> str:
    """A setting's value for an error message: short scalars as written, anything else by kind."""
    if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40):
        return repr(value)
    return kind_of(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _setting_problem(key: str, value: Any) -> str | None:
    """Why `value` cannot be the setting `key` (a top-level setting), or None when it can."""
    if key in SWITCHES:
        return None if isinstance(value, bool) else "must be true or false"
    if key in WHOLES:
        return None if _whole(value, 0) else "must be a whole number of at least 0"
    if key == "recency_action":
        return None if isinstance(value, str) and value in _ACTIONS else f"must be one of {_ACTIONS}"
    if key == "us_ca_only":
        return None if isinstance(value, bool) or value == "auto" else "must be auto, true or false"
    if key == "reject_number_types":
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return ("must be a list of phonenumbers' number types, e.g. [FIXED_LINE, TOLL_FREE]; "
                    f"known: {sorted(NUMBER_TYPES)}")
        unknown = sorted(set(values) - NUMBER_TYPES)
        return f"has unknown types {unknown}; known: {sorted(NUMBER_TYPES)}" if unknown else None
    return None


def _lookup_problem(group: str, key: str, value: Any) -> str | None:
    """Why `value` cannot be `<group>.<key>` of `line_types` or `reassigned_numbers`, or None."""
    if key == "provider":
        known = LOOKUP_PROVIDERS[group]
        return None if value in known else f"must be one of {list(known)}"
    if key == "unavailable":
        known = LOOKUP_UNAVAILABLE if group == "line_types" else ("wait", "pass_unknown")
        return None if value in known else f"must be one of {list(known)}"
    if key in ("refuse", "countries"):
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return "must be a list of names"
        if key == "refuse":
            unknown = sorted(set(values) - set(LINE_TYPES))
            return f"has unknown line types {unknown}; known: {list(LINE_TYPES)}" if unknown else None
        return None if all(re.fullmatch(r"[A-Z]{2}", v) for v in values) else "must list ISO country codes (US, CA)"
    if key == "requests_per_second":
        return None if _number(value) and value > 0 else "must be a number above 0"
    return None if _whole(value, 1) else "must be a whole number of at least 1"


def _group_problem(group: str, key: str, value: Any) -> str | None:
    """Why `value` cannot be `<group>.<key>`, or None when it can."""
    if group in LOOKUP_DEFAULTS:
        return _lookup_problem(group, key, value)
    if group in ("field_limits", "file_limits"):
        return None if _whole(value, 1) else "must be a whole number of at least 1"
    if key in GATE_SWITCHES:
        return None if isinstance(value, bool) else "must be true or false"
    if key == "review_timeout_minutes":
        return None if _number(value) and value > 0 else "must be a positive number of minutes"
    return None if _number(value) and 0.0 <= value <= 1.0 else "must be a share from 0 to 1 (0.05 = 5 %)"


def loosenable(setting: Any) -> bool:
    """Is `setting` a name `allow_loosening` may list: a setting, a group, or `<group>.<key>`?"""
    if not isinstance(setting, str):
        return False
    group, _, key = setting.partition(".")
    return (setting in SETTINGS and not key) or (group in GROUP_KEYS and key in GROUP_KEYS[group])


def check_settings(data: dict[Any, Any], where: str, error: type[PolicyError], *, in_file: bool) -> None:
    """Every setting `data` gives (a policy file's, or a manifest's `policy_overrides`) is a known
    one with a value of the right type and range; else `error` naming `where` and the setting
    (`gate.review_max_rejected_share`). Settings `data` does not give are not checked here."""
    known = {*SETTINGS, *ALLOWANCES, "extends"} if in_file else set(SETTINGS)
    unknown = [key for key in data if not isinstance(key, str) or key not in known]
    if unknown:
        raise error(f"{where}: unknown settings {sorted(map(str, unknown))}; known: {sorted(known)}")
    for key, value in data.items():
        if key == "extends":
            problem = None if isinstance(value, str) else "must be the name of a policy, e.g. `extends: default`"
        elif key == "allow_clock_override":
            problem = None if isinstance(value, bool) else "must be true or false"
        elif key == "allow_loosening":
            names = [value] if isinstance(value, str) else value
            problem = None if isinstance(names, list) and all(loosenable(n) for n in names) else (
                "must list settings by name (`min_age`, `gate`, `field_limits.phone`, ...); "
                f"known: {sorted(SETTINGS)} and <group>.<setting> of {sorted(GROUP_KEYS)}")
        elif key in GROUPS:
            if value is None:
                continue  # `gate:` with nothing under it
            if not isinstance(value, dict):
                raise error(f"{where}: `{key}` must be a mapping of settings, e.g. "
                            f"`{key}: {{{GROUP_KEYS[key][0]}: ...}}`, not {kind_of(value)}")
            bad = [k for k in value if not isinstance(k, str) or k not in GROUP_KEYS[key]]
            if bad:
                raise error(f"{where}: unknown {key} settings {sorted(map(str, bad))}; known: {list(GROUP_KEYS[key])}")
            for name, nested in value.items():
                nested_problem = _group_problem(key, name, nested)
                if nested_problem:
                    raise error(f"{where}: `{key}.{name}` {nested_problem}, not {_shown(nested)}")
            continue
        else:
            problem = _setting_problem(key, value)
        if problem:
            raise error(f"{where}: `{key}` {problem}, not {_shown(value)}")


def _rank(order: tuple[Any, ...], value: Any) -> int:
    return order.index(value) if value in order else -1


def _loosens(key: str, policy_value: Any, value: Any) -> bool:
    """Does `value` over `policy_value` apply the setting `key` (a top-level or `gate.`/
    `field_limits.` name) less strictly?"""
    leaf = key.split(".", 1)[-1]
    if key.split(".", 1)[0] in LOOKUP_DEFAULTS:
        return _lookup_loosens(leaf, policy_value, value)
    try:
        if key.startswith(("field_limits.", "file_limits.")):
            return policy_value is not None and float(value) > float(policy_value)
        if leaf in _HIGHER_LOOSENS:
            return policy_value is not None and float(value) > float(policy_value)
        if leaf in _LOWER_LOOSENS:
            return float(value) < float(policy_value)
    except (TypeError, ValueError):
        return False  # not a number: the checks below name the setting
    if leaf in _OFF_LOOSENS:
        return bool(policy_value) and not bool(value)
    if key == "us_ca_only":
        return _rank(_US_CA_ORDER, value) > _rank(_US_CA_ORDER, policy_value)
    if key == "recency_action":
        return _rank(_ACTION_ORDER, value) > _rank(_ACTION_ORDER, policy_value)
    if key == "reject_number_types":
        values = [value] if isinstance(value, str) else list(value or [])
        return bool(set(policy_value or []) - set(values))
    if isinstance(policy_value, bool):  # a gate switch such as four_eyes: turning it off loosens
        return policy_value and not bool(value)
    return False


def _lookup_loosens(leaf: str, policy_value: Any, value: Any) -> bool:
    """Does `value` over `policy_value` look up less, refuse less or let more through?"""
    def names(v: Any) -> set[str]:
        return {v} if isinstance(v, str) else set(v or [])
    if leaf == "provider":
        return policy_value not in (None, "none") and value == "none"
    if leaf in ("refuse", "countries"):
        return bool(names(policy_value) - names(value))
    if leaf == "unavailable":
        return _rank(LOOKUP_UNAVAILABLE, value) > _rank(LOOKUP_UNAVAILABLE, policy_value)
    if leaf == "max_age_days":
        return isinstance(value, (int, float)) and isinstance(policy_value, (int, float)) and value > policy_value
    return False


def loosened_settings(base: dict[str, Any], overrides: dict[str, Any]) -> list[Loosened]:
    """Each override that loosens the policy `base` (its settings after `extends:`)."""
    found = []
    for key, value in overrides.items():
        if key in GROUPS and isinstance(value, dict):
            defaults = FILE_LIMITS if key == "file_limits" else LOOKUP_DEFAULTS.get(key, {})
            nested = {**defaults, **(base.get(key) or {})}
            found += [Loosened(f"{key}.{k}", nested.get(k), v) for k, v in value.items()
                      if _loosens(f"{key}.{k}", nested.get(k), v)]
        elif _loosens(key, base.get(key), value):
            found.append(Loosened(key, base.get(key), value))
    return found


def _is_allowed(setting: str, allowed: tuple[str, ...]) -> bool:
    return setting in allowed or setting.split(".", 1)[0] in allowed


def load_policy(name: str = "default", overrides: dict[str, Any] | None = None,
                policy_dir: Path | None = None) -> Policy:
    """Read `<policy folder>/<name>.yaml` (following `extends:`), then apply overrides. Every
    setting is checked before it is used: a wrong type or value in a policy file is a
    PolicyFileError naming the file and the setting, in the overrides a PolicyError naming the
    setting; a loosening override the policy does not allow is a PolicyError naming it."""
    folder = policy_dir or paths().policy_dir
    data = _read(name, folder)
    overrides = {} if overrides is None else overrides
    where = f"policy {name!r}"
    if not isinstance(overrides, dict):
        raise PolicyError(f"{where}: the overrides must be a mapping of settings, not {kind_of(overrides)}")
    granted = sorted(key for key in overrides if key in ALLOWANCES)
    if granted:
        raise PolicyError(f"{where}: {granted} can be set by only a policy file, not by "
                          "`policy_overrides`; name a policy that allows it")
    check_settings(overrides, where, PolicyError, in_file=False)
    allowed = data.pop("allow_loosening", None) or []
    allowed = tuple([allowed] if isinstance(allowed, str) else allowed)
    allow_clock = data.pop("allow_clock_override", False)
    loosened = loosened_settings(data, overrides)
    for key, value in overrides.items():
        data[key] = {**(data.get(key) or {}), **(value or {})} if key in GROUPS else value
    missing = set(SETTINGS) - set(data) - set(GROUPS)
    if missing:
        raise PolicyFileError(f"{where} ({folder / f'{name}.yaml'}): missing settings {sorted(missing)}")
    gate = data.get("gate") or {}
    missing_gate = set(GATE_SETTINGS) - set(gate)
    if missing_gate:
        raise PolicyFileError(f"{where} ({folder / f'{name}.yaml'}): missing gate settings {sorted(missing_gate)}")
    types = data["reject_number_types"]
    policy = Policy(
        name=name,
        us_ca_only=data["us_ca_only"],
        require_opt_in=data["require_opt_in"],
        require_age_or_dob=data["require_age_or_dob"],
        min_age=data["min_age"],
        require_full_dob=data["require_full_dob"],
        recency_months=data["recency_months"],
        recency_action=data["recency_action"],
        reject_number_types=tuple([types] if isinstance(types, str) else types),
        field_limits=dict(data.get("field_limits") or {}),
        gate={k: float(v) for k, v in gate.items() if k not in GATE_SWITCHES},
        four_eyes=gate.get("four_eyes", False),
        file_limits={**FILE_LIMITS, **(data.get("file_limits") or {})},
        line_types={**LINE_TYPE_DEFAULTS, **(data.get("line_types") or {})},
        reassigned_numbers={**REASSIGNED_DEFAULTS, **(data.get("reassigned_numbers") or {})},
        allow_clock_override=allow_clock,
        allow_loosening=allowed,
        loosened=tuple(loosened),
    )
    refused = [entry for entry in loosened if not _is_allowed(entry.setting, allowed)]
    if refused:  # checked once every value is known to be valid
        shown = ", ".join(f"{e.setting} {e.policy_value!r} -> {e.override_value!r}" for e in refused)
        raise PolicyError(f"{where}: the overrides loosen {shown}, which the policy does not allow "
                          f"(its allow_loosening: {list(allowed)}); tighten or drop them, or name a policy that "
                          "allows loosening them")
    return policy
