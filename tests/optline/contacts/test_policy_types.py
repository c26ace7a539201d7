"""Every policy setting with a value of the wrong type or shape is a PolicyError naming the
setting, raised by load_policy (before anything is staged), never a TypeError from deeper down:
from a manifest's `policy_overrides` (a PolicyError saying `policy_overrides`), or from the
policy file itself (a PolicyFileError naming the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from optline.config import PROJECT_DIR
from optline.contacts.policy import NUMBER_TYPES, PolicyError, PolicyFileError, load_policy

SHIPPED = PROJECT_DIR / "expectations" / "policies"
NESTED = {"a": {"b": 1}}
WHOLE_WRONG = ("abc", "21", [18], {"a": 1}, True, -1, 1.5, None, NESTED)
SWITCH_WRONG = ("yes", "no", 1, 0, [True], {"a": 1}, None)

# (the override, the setting the error must name)
OVERRIDES: list[tuple[dict[str, Any], str]] = [
    *[({"gate": v}, "gate") for v in (5, [1], "x", True, 1.5)],
    *[({"gate": {"review_max_rejected_share": v}}, "gate.review_max_rejected_share")
      for v in ("a", "0.5", [1], {"a": 1}, True, 2, -0.1, None, NESTED)],
    *[({"gate": {"review_timeout_minutes": v}}, "gate.review_timeout_minutes") for v in (0, -5, "60", [60], True)],
    ({"gate": {"nosuch": 1}}, "nosuch"),
    ({"gate": {5: 1}}, "5"),
    *[({"gate": {"four_eyes": v}}, "gate.four_eyes") for v in SWITCH_WRONG],
    *[({"field_limits": v}, "field_limits") for v in ([1], 5, "x", True)],
    *[({"field_limits": {"phone": v}}, "field_limits.phone") for v in ("abc", [1], {"a": 1}, 0, -1, True, 1.5, None)],
    ({"field_limits": {"nosuch": 5}}, "nosuch"),
    *[({"file_limits": v}, "file_limits") for v in ([1], 5, "x")],
    *[({"file_limits": {"max_rows_per_sheet": v}}, "file_limits.max_rows_per_sheet")
      for v in ("abc", [1], 0, -1, True, 1.5)],
    *[({"file_limits": {"max_uncompressed_mb": v}}, "file_limits.max_uncompressed_mb") for v in ("abc", {"a": 1}, 0)],
    ({"file_limits": {"nosuch": 5}}, "nosuch"),
    *[({"min_age": v}, "min_age") for v in WHOLE_WRONG],
    *[({"recency_months": v}, "recency_months") for v in WHOLE_WRONG],
    *[({key: v}, key) for key in ("require_opt_in", "require_age_or_dob", "require_full_dob") for v in SWITCH_WRONG],
    *[({"recency_action": v}, "recency_action") for v in (["warn"], "maybe", 5, {"warn": 1}, True, None)],
    *[({"us_ca_only": v}, "us_ca_only") for v in ("yes", 1, 0, ["auto"], {"auto": 1}, None)],
    *[({"reject_number_types": v}, "reject_number_types") for v in (5, [5], {"a": 1}, ["NOSUCH"], [["FIXED_LINE"]],
                                                                     True, [None])],
    ({"nosuch": 1}, "nosuch"),
    ({5: 1}, "5"),
    ({"extends": "alcohol"}, "extends"),
    ({"name": "x"}, "name"),
    ({"allow_loosening": ["min_age"]}, "allow_loosening"),
    ({"allow_clock_override": True}, "allow_clock_override"),
]


@pytest.mark.parametrize(("overrides", "named"), OVERRIDES, ids=[repr(o) for o, _ in OVERRIDES])
def test_a_wrongly_typed_override_is_a_policy_error_naming_the_setting(overrides: dict, named: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("default", overrides, policy_dir=SHIPPED)
    message = str(info.value)
    assert not isinstance(info.value, PolicyFileError), message  # the manifest is at fault, not the file
    assert named in message, message


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A copy of the shipped policies, so a test can add a broken one beside them."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for path in SHIPPED.glob("*.yaml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


# (what the broken policy file says, the setting the error must name)
FILES: list[tuple[dict[str, Any], str]] = [
    ({"extends": "default", "gate": 5}, "gate"),
    ({"extends": "default", "gate": [1]}, "gate"),
    ({"extends": "default", "field_limits": [1]}, "field_limits"),
    ({"extends": "default", "field_limits": {"phone": "x"}}, "field_limits.phone"),
    ({"extends": "default", "file_limits": 5}, "file_limits"),
    ({"extends": "default", "min_age": "abc"}, "min_age"),
    ({"extends": "default", "require_opt_in": "yes"}, "require_opt_in"),
    ({"extends": "default", "reject_number_types": 5}, "reject_number_types"),
    ({"extends": "default", "allow_loosening": 5}, "allow_loosening"),
    ({"extends": "default", "allow_loosening": [{"a": 1}]}, "allow_loosening"),
    ({"extends": "default", "allow_loosening": ["min_agee"]}, "allow_loosening"),
    ({"extends": "default", "allow_clock_override": "yes"}, "allow_clock_override"),
    ({"extends": 5}, "extends"),
    ({"extends": ["default"]}, "extends"),
    ({"extends": "default", "nosuch": 1}, "nosuch"),
    ({**yaml.safe_load((SHIPPED / "default.yaml").read_text(encoding="utf-8")), "gate": 5}, "gate"),
]


@pytest.mark.parametrize(("content", "named"), FILES, ids=[repr(c)[:80] for c, _ in FILES])
def test_a_wrongly_typed_policy_file_is_a_policy_file_error_naming_file_and_setting(
        policy_dir: Path, content: dict, named: str) -> None:
    (policy_dir / "broken.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
    with pytest.raises(PolicyFileError) as info:
        load_policy("broken", {}, policy_dir=policy_dir)
    message = str(info.value)
    assert "broken.yaml" in message and named in message, message


def test_a_wrongly_typed_parent_is_named_when_a_child_extends_it(policy_dir: Path) -> None:
    (policy_dir / "parent.yaml").write_text(yaml.safe_dump({"extends": "default", "gate": 5}), encoding="utf-8")
    (policy_dir / "child.yaml").write_text(yaml.safe_dump({"extends": "parent"}), encoding="utf-8")
    with pytest.raises(PolicyFileError, match=r"parent\.yaml.*gate"):
        load_policy("child", {}, policy_dir=policy_dir)


def test_well_typed_overrides_still_apply() -> None:
    policy = load_policy("default", {"min_age": 21, "require_full_dob": True, "recency_action": "reject",
                                     "reject_number_types": sorted(NUMBER_TYPES), "us_ca_only": True,
                                     "gate": {"review_max_rejected_share": 0.05, "four_eyes": True},
                                     "field_limits": {"phone": 15},
                                     "file_limits": {"max_rows_per_sheet": 1000, "max_uncompressed_mb": 10}},
                         policy_dir=SHIPPED)
    assert policy.min_age == 21 and policy.require_full_dob and set(policy.reject_number_types) == NUMBER_TYPES
    assert policy.gate["review_max_rejected_share"] == 0.05 and policy.four_eyes
    assert policy.field_limits["phone"] == 15
    assert policy.file_limits == {"max_rows_per_sheet": 1000, "max_uncompressed_mb": 10, "max_shared_strings_mb": 64}
