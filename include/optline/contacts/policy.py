"""Compliance policy: the thresholds the row rules (and expectations) apply, from YAML files.

A policy is named by a plain name (`default`, `alcohol`) and read from the policy folder only
(OPTLINE_POLICY_DIR): never a path, never a file a symlink leads out of the folder. A
manifest's `policy_overrides` may tighten any setting; a setting it loosens must be listed in
the policy's `allow_loosening`, and is kept on the policy (`loosened`) for the batch's report.
`allow_clock_override` says whether a run may set the rules' clock by hand (backdating).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from phonenumbers import PhoneNumberType

from optline.config import paths
from optline.intake.manifest import read_limited_yaml

_ACTIONS = ("warn", "reject")
GATE_SETTINGS = (
    "review_timeout_minutes", "review_max_rejected_share", "critical_max_rejected_share",
    "review_max_stale_share", "critical_max_missing_opt_in_share", "critical_max_under_age_share",
)
# Gate settings that are true or false, false when absent (`four_eyes`: optline.access).
GATE_SWITCHES = ("four_eyes",)
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
    parent = data.pop("extends", None)
    if parent:
        base = _read(parent, policy_dir, (*seen, name))
        limits = {**base.get("field_limits", {}), **data.pop("field_limits", {})}
        gate = {**base.get("gate", {}), **data.pop("gate", {})}
        data = {**base, **data, "field_limits": limits, "gate": gate}
    return data


def _rank(order: tuple[Any, ...], value: Any) -> int:
    return order.index(value) if value in order else -1


def _loosens(key: str, policy_value: Any, value: Any) -> bool:
    """Does `value` over `policy_value` apply the setting `key` (a top-level or `gate.`/
    `field_limits.` name) less strictly?"""
    leaf = key.split(".", 1)[-1]
    try:
        if key.startswith("field_limits."):
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


def loosened_settings(base: dict[str, Any], overrides: dict[str, Any]) -> list[Loosened]:
    """Each override that loosens the policy `base` (its settings after `extends:`)."""
    found = []
    for key, value in overrides.items():
        if key in ("field_limits", "gate") and isinstance(value, dict):
            nested = base.get(key) or {}
            found += [Loosened(f"{key}.{k}", nested.get(k), v) for k, v in value.items()
                      if _loosens(f"{key}.{k}", nested.get(k), v)]
        elif _loosens(key, base.get(key), value):
            found.append(Loosened(key, base.get(key), value))
    return found


def _is_allowed(setting: str, allowed: tuple[str, ...]) -> bool:
    return setting in allowed or setting.split(".", 1)[0] in allowed


def load_policy(name: str = "default", overrides: dict[str, Any] | None = None,
                policy_dir: Path | None = None) -> Policy:
    """Read `<policy folder>/<name>.yaml` (following `extends:`), then apply overrides: a loosening
    override the policy does not allow is a PolicyError naming it."""
    data = _read(name, policy_dir or paths().policy_dir)
    overrides = overrides or {}
    granted = sorted(set(overrides) & set(ALLOWANCES))
    if granted:
        raise PolicyError(f"policy {name!r}: {granted} can be set by only a policy file, not by "
                          "`policy_overrides`; name a policy that allows it")
    allowed = data.pop("allow_loosening", None) or []
    allowed = tuple([allowed] if isinstance(allowed, str) else [str(a) for a in allowed])
    allow_clock = data.pop("allow_clock_override", False)
    if allow_clock not in (True, False):
        raise PolicyError(f"policy {name!r}: allow_clock_override must be true or false")
    loosened = loosened_settings(data, overrides)
    for key, value in overrides.items():
        if key in ("field_limits", "gate"):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    # four_eyes lives under gate:; the allowances were read above; `loosened` is computed.
    known = {f.name for f in dc_fields(Policy)} - {"name", "four_eyes", *ALLOWANCES, "loosened"}
    unknown = set(data) - known
    if unknown:
        raise PolicyError(f"policy {name!r}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
    missing = known - set(data) - {"field_limits", "gate"}
    if missing:
        raise PolicyError(f"policy {name!r}: missing settings {sorted(missing)}")
    if data["recency_action"] not in _ACTIONS:
        raise PolicyError(f"policy {name!r}: recency_action must be one of {_ACTIONS}")
    if data["us_ca_only"] not in ("auto", True, False):
        raise PolicyError(f"policy {name!r}: us_ca_only must be auto, true or false")
    types = data["reject_number_types"]
    types = [types] if isinstance(types, str) else list(types or [])
    unknown_types = sorted(set(types) - set(NUMBER_TYPES))
    if unknown_types:
        raise PolicyError(f"policy {name!r}: reject_number_types has unknown types {unknown_types}; "
                          f"known: {sorted(NUMBER_TYPES)}")

    gate = data.get("gate", {}) or {}
    unknown_gate = set(gate) - set(GATE_SETTINGS) - set(GATE_SWITCHES)
    if unknown_gate:
        raise PolicyError(f"policy {name!r}: unknown gate settings {sorted(unknown_gate)}; "
                          f"known: {sorted((*GATE_SETTINGS, *GATE_SWITCHES))}")
    four_eyes = gate.get("four_eyes", False)
    if not isinstance(four_eyes, bool):
        raise PolicyError(f"policy {name!r}: gate.four_eyes must be true or false, not {four_eyes!r}")
    missing_gate = set(GATE_SETTINGS) - set(gate)
    if missing_gate:
        raise PolicyError(f"policy {name!r}: missing gate settings {sorted(missing_gate)}")

    def share(key: str, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if key != "review_timeout_minutes" and not 0.0 <= number <= 1.0:
            raise PolicyError(f"policy {name!r}: gate.{key} must be a share from 0 to 1, not {value!r}")
        if key == "review_timeout_minutes" and number <= 0:
            raise PolicyError(f"policy {name!r}: gate.review_timeout_minutes must be a positive number of minutes")
        return number

    def whole(key: str, value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise PolicyError(f"policy {name!r}: {key} must be a whole number, not {value!r}") from None

    policy = Policy(
        name=name,
        us_ca_only=data["us_ca_only"],
        require_opt_in=bool(data["require_opt_in"]),
        require_age_or_dob=bool(data["require_age_or_dob"]),
        min_age=whole("min_age", data["min_age"]),
        require_full_dob=bool(data["require_full_dob"]),
        recency_months=whole("recency_months", data["recency_months"]),
        recency_action=data["recency_action"],
        reject_number_types=tuple(types),
        field_limits={k: whole(f"field_limits.{k}", v) for k, v in data.get("field_limits", {}).items()},
        gate={k: share(k, v) for k, v in gate.items() if k not in GATE_SWITCHES},
        four_eyes=four_eyes,
        allow_clock_override=allow_clock,
        allow_loosening=allowed,
        loosened=tuple(loosened),
    )
    refused = [entry for entry in loosened if not _is_allowed(entry.setting, allowed)]
    if refused:  # checked once every value is known to be valid
        shown = ", ".join(f"{e.setting} {e.policy_value!r} -> {e.override_value!r}" for e in refused)
        raise PolicyError(f"policy {name!r}: the overrides loosen {shown}, which the policy does not allow "
                          f"(its allow_loosening: {list(allowed)}); tighten or drop them, or name a policy that "
                          "allows loosening them")
    return policy
