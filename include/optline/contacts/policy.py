"""Compliance policy: the thresholds the row rules (and expectations) apply, from YAML files."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

import yaml
from phonenumbers import PhoneNumberType

from optline.config import paths

_ACTIONS = ("warn", "reject")
GATE_SETTINGS = (
    "review_timeout_minutes", "review_max_rejected_share", "critical_max_rejected_share",
    "review_max_stale_share", "critical_max_missing_opt_in_share", "critical_max_under_age_share",
)
# phonenumbers' PhoneNumberType names, which `reject_number_types` may list.
NUMBER_TYPES = {k for k, v in vars(PhoneNumberType).items() if isinstance(v, int) and k.isupper()}


# Policy files in the same folder that are not list policies (optline.quiethours reads this one).
NOT_LIST_POLICIES = frozenset({"quiet_hours"})


class PolicyError(ValueError):
    """A policy file is missing or says something Optline cannot apply."""


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

    def is_us_ca_list(self, default_country: str) -> bool:
        if self.us_ca_only == "auto":
            return default_country.upper() in ("US", "CA")
        return bool(self.us_ca_only)

    def as_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        d["reject_number_types"] = list(self.reject_number_types)
        return d


def _read(name: str, policy_dir: Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path = policy_dir / f"{name}.yaml"
    if name in seen:
        raise PolicyError(f"policy {name!r} extends itself (via {' -> '.join(seen)})")
    if name in NOT_LIST_POLICIES:
        raise PolicyError(f"{path.name} is the sending policy (quiet hours and caps), not a list policy; "
                          "name a list policy such as default or alcohol")
    if not path.is_file():
        known = sorted(p.stem for p in policy_dir.glob("*.yaml") if p.stem not in NOT_LIST_POLICIES)
        raise PolicyError(f"no policy {name!r}: expected {path}; known policies: {known}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise PolicyError(f"{path} must be a mapping of settings")
    parent = data.pop("extends", None)
    if parent:
        base = _read(parent, policy_dir, (*seen, name))
        limits = {**base.get("field_limits", {}), **data.pop("field_limits", {})}
        gate = {**base.get("gate", {}), **data.pop("gate", {})}
        data = {**base, **data, "field_limits": limits, "gate": gate}
    return data


def load_policy(name: str = "default", overrides: dict[str, Any] | None = None,
                policy_dir: Path | None = None) -> Policy:
    """Read `expectations/policies/<name>.yaml` (following `extends:`), then apply overrides."""
    data = _read(name, policy_dir or paths().policy_dir)
    for key, value in (overrides or {}).items():
        if key in ("field_limits", "gate"):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    known = {f.name for f in dc_fields(Policy)} - {"name"}
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
    unknown_gate = set(gate) - set(GATE_SETTINGS)
    if unknown_gate:
        raise PolicyError(f"policy {name!r}: unknown gate settings {sorted(unknown_gate)}; "
                          f"known: {sorted(GATE_SETTINGS)}")
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

    return Policy(
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
        gate={k: share(k, v) for k, v in gate.items()},
    )
