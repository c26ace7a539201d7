"""Compliance policies from YAML: the shipped ones, `extends`, overrides and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from optline.config import PROJECT_DIR
from optline.contacts.policy import PolicyError, load_policy

SHIPPED = PROJECT_DIR / "expectations" / "policies"


def _shipped(name: str) -> dict:
    return yaml.safe_load((SHIPPED / f"{name}.yaml").read_text(encoding="utf-8"))


GATE = {"review_timeout_minutes": 60, "review_max_rejected_share": 0.1, "critical_max_rejected_share": 0.5,
        "review_max_stale_share": 0.0, "critical_max_missing_opt_in_share": 0.2, "critical_max_under_age_share": 0.2}


@pytest.fixture(autouse=True)
def _shipped_policy_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that load a policy by name alone read the project's own policy folder."""
    monkeypatch.delenv("OPTLINE_POLICY_DIR", raising=False)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A policy folder with a complete base policy and children that extend it."""
    root = tmp_path / "policies"
    root.mkdir()
    (root / "base.yaml").write_text(yaml.safe_dump({
        "us_ca_only": "auto", "require_opt_in": True, "require_age_or_dob": True, "min_age": 18,
        "require_full_dob": False, "recency_months": 6, "recency_action": "warn",
        "reject_number_types": ["FIXED_LINE", "TOLL_FREE"], "field_limits": {"first_name": 50, "phone": 16},
        "gate": dict(GATE),
        "allow_loosening": ["us_ca_only"],  # test_us_ca_list_decision turns auto off
    }))
    (root / "strict.yaml").write_text(yaml.safe_dump({
        "extends": "base", "min_age": 21, "recency_action": "reject", "field_limits": {"first_name": 20},
    }))
    (root / "stricter.yaml").write_text(yaml.safe_dump({"extends": "strict", "recency_months": 3}))
    return root


def test_default_policy_matches_its_yaml_file() -> None:
    policy = load_policy("default", policy_dir=SHIPPED)
    raw = _shipped("default")
    assert policy.name == "default"
    assert policy.min_age == raw["min_age"]
    assert policy.recency_months == raw["recency_months"]
    assert policy.recency_action == raw["recency_action"]
    assert policy.reject_number_types == tuple(raw["reject_number_types"])
    assert policy.field_limits == raw["field_limits"]


def test_default_policy_is_found_through_the_configured_policy_dir() -> None:
    assert load_policy() == load_policy("default", policy_dir=SHIPPED)


def test_alcohol_policy_extends_default_and_overrides_its_keys() -> None:
    default, alcohol = load_policy("default"), load_policy("alcohol")
    child = _shipped("alcohol")
    assert alcohol.name == "alcohol"
    assert alcohol.min_age == child["min_age"] != default.min_age
    assert alcohol.require_full_dob is child["require_full_dob"]
    assert alcohol.recency_action == child["recency_action"]
    # everything the child does not say comes from the parent
    assert alcohol.reject_number_types == default.reject_number_types
    assert alcohol.field_limits == default.field_limits
    assert alcohol.recency_months == default.recency_months


def test_extends_chains_and_merges_field_limits(policy_dir: Path) -> None:
    policy = load_policy("stricter", policy_dir=policy_dir)
    assert policy.recency_months == 3          # own
    assert policy.min_age == 21                # from strict
    assert policy.recency_action == "reject"   # from strict
    assert policy.require_opt_in is True       # from base
    assert policy.field_limits == {"first_name": 20, "phone": 16}


def test_overrides_replace_single_settings(policy_dir: Path) -> None:
    policy = load_policy("strict", {"min_age": 25, "us_ca_only": True}, policy_dir=policy_dir)
    assert policy.min_age == 25
    assert policy.us_ca_only is True
    assert policy.recency_action == "reject"  # untouched


def test_field_limit_overrides_merge_with_the_policy_limits(policy_dir: Path) -> None:
    policy = load_policy("strict", {"field_limits": {"phone": 12, "city": 64}}, policy_dir=policy_dir)
    assert policy.field_limits == {"first_name": 20, "phone": 12, "city": 64}


def test_overrides_do_not_change_the_policy_for_the_next_load(policy_dir: Path) -> None:
    load_policy("base", {"min_age": 30, "field_limits": {"phone": 9}}, policy_dir=policy_dir)
    again = load_policy("base", policy_dir=policy_dir)
    assert again.min_age == 18 and again.field_limits["phone"] == 16


def test_unknown_setting_in_override_is_an_error_naming_it(policy_dir: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("base", {"minimum_age": 21}, policy_dir=policy_dir)
    assert "minimum_age" in str(info.value)
    assert "'base'" in str(info.value)


def test_unknown_setting_in_file_is_an_error_naming_it(policy_dir: Path) -> None:
    (policy_dir / "typo.yaml").write_text("extends: base\nrecency_month: 3\n")
    with pytest.raises(PolicyError, match="recency_month"):
        load_policy("typo", policy_dir=policy_dir)


@pytest.mark.parametrize("action", ["block", "Reject", "", None])
def test_bad_recency_action_is_an_error(policy_dir: Path, action) -> None:
    with pytest.raises(PolicyError, match="recency_action"):
        load_policy("base", {"recency_action": action}, policy_dir=policy_dir)


def test_bad_us_ca_only_is_an_error(policy_dir: Path) -> None:
    with pytest.raises(PolicyError, match="us_ca_only"):
        load_policy("base", {"us_ca_only": "sometimes"}, policy_dir=policy_dir)


def test_missing_settings_are_named(policy_dir: Path) -> None:
    (policy_dir / "thin.yaml").write_text("min_age: 18\nrecency_action: warn\n")
    with pytest.raises(PolicyError) as info:
        load_policy("thin", policy_dir=policy_dir)
    assert "missing" in str(info.value)
    assert "require_opt_in" in str(info.value) and "reject_number_types" in str(info.value)


def test_unknown_policy_lists_the_known_ones(policy_dir: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("wine", policy_dir=policy_dir)
    assert "'wine'" in str(info.value)
    for known in ("base", "strict", "stricter"):
        assert known in str(info.value)


def test_policy_extending_an_unknown_policy_is_an_error(policy_dir: Path) -> None:
    (policy_dir / "orphan.yaml").write_text("extends: nowhere\nmin_age: 21\n")
    with pytest.raises(PolicyError, match="nowhere"):
        load_policy("orphan", policy_dir=policy_dir)


def test_extends_cycle_is_an_error(policy_dir: Path) -> None:
    (policy_dir / "a.yaml").write_text("extends: b\n")
    (policy_dir / "b.yaml").write_text("extends: a\n")
    with pytest.raises(PolicyError, match="extends itself"):
        load_policy("a", policy_dir=policy_dir)


def test_policy_file_that_is_not_a_mapping_is_an_error(policy_dir: Path) -> None:
    (policy_dir / "list.yaml").write_text("- min_age\n- 21\n")
    with pytest.raises(PolicyError, match="mapping"):
        load_policy("list", policy_dir=policy_dir)


@pytest.mark.parametrize(("setting", "country", "expected"), [
    ("auto", "US", True), ("auto", "ca", True), ("auto", "GB", False),
    (True, "GB", True), (False, "US", False),
])
def test_us_ca_list_decision(policy_dir: Path, setting, country: str, expected: bool) -> None:
    policy = load_policy("base", {"us_ca_only": setting}, policy_dir=policy_dir)
    assert policy.is_us_ca_list(country) is expected


def test_as_dict_round_trips_every_setting(policy_dir: Path) -> None:
    d = load_policy("strict", policy_dir=policy_dir).as_dict()
    assert d["name"] == "strict"
    assert d["reject_number_types"] == ["FIXED_LINE", "TOLL_FREE"]
    assert d["min_age"] == 21 and d["field_limits"]["first_name"] == 20


def test_single_string_reject_number_types_is_not_split_into_characters(policy_dir: Path) -> None:
    try:
        policy = load_policy("base", {"reject_number_types": "TOLL_FREE"}, policy_dir=policy_dir)
    except PolicyError:
        return
    assert policy.reject_number_types == ("TOLL_FREE",)


def test_non_numeric_min_age_is_a_policy_error(policy_dir: Path) -> None:
    with pytest.raises(PolicyError, match="min_age"):
        load_policy("base", {"min_age": "twenty-one"}, policy_dir=policy_dir)


def test_gate_settings_merge_through_extends_and_overrides(policy_dir: Path) -> None:
    gated = {"extends": "base", "gate": {"review_max_rejected_share": 0.3}}
    (policy_dir / "gated.yaml").write_text(yaml.safe_dump(gated))
    policy = load_policy("gated", {"gate": {"review_timeout_minutes": 5}}, policy_dir=policy_dir)
    assert policy.gate["review_max_rejected_share"] == 0.3
    assert policy.gate["review_timeout_minutes"] == 5
    assert policy.gate["critical_max_rejected_share"] == GATE["critical_max_rejected_share"]


@pytest.mark.parametrize("override,message", [
    ({"gate": {"review_max_rejected_share": 1.5}}, "share from 0 to 1"),
    ({"gate": {"review_timeout_minutes": 0}}, "positive number of minutes"),
    ({"gate": {"max_fun": 0.1}}, "unknown gate settings"),
])
def test_bad_gate_settings_are_policy_errors(policy_dir: Path, override: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy("base", override, policy_dir=policy_dir)


def test_the_quiet_hours_file_is_not_offered_as_a_list_policy():
    with pytest.raises(PolicyError, match="sending policy"):
        load_policy("quiet_hours")


# --- names stay inside the policy folder ---------------------------------------------------


@pytest.mark.parametrize("name", ["../../etc/x", "/etc/passwd", "sub/base", "..", "base.yaml", "Base", ""])
def test_a_policy_name_that_is_not_a_plain_name_is_refused(policy_dir: Path, name: str) -> None:
    with pytest.raises(PolicyError, match="plain name"):
        load_policy(name, policy_dir=policy_dir)


def test_an_absolute_policy_path_to_a_readable_policy_is_refused(policy_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text((policy_dir / "base.yaml").read_text())
    with pytest.raises(PolicyError, match="plain name"):
        load_policy(str(outside.with_suffix("")), policy_dir=policy_dir)


def test_extends_out_of_the_policy_folder_is_refused(policy_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text((policy_dir / "base.yaml").read_text())
    (policy_dir / "sneaky.yaml").write_text("extends: ../outside\n")
    with pytest.raises(PolicyError, match="extends"):
        load_policy("sneaky", policy_dir=policy_dir)


def test_a_policy_symlinked_out_of_the_policy_folder_is_refused(policy_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text((policy_dir / "base.yaml").read_text())
    (policy_dir / "linked.yaml").symlink_to(tmp_path / "outside.yaml")
    with pytest.raises(PolicyError, match="outside the policy folder"):
        load_policy("linked", policy_dir=policy_dir)


# --- loosening and the clock ---------------------------------------------------------------


LOOSENING = [
    ({"min_age": 16}, "min_age"),
    ({"require_opt_in": False}, "require_opt_in"),
    ({"require_age_or_dob": False}, "require_age_or_dob"),
    ({"require_full_dob": False}, "require_full_dob"),
    ({"recency_months": 12}, "recency_months"),
    ({"recency_action": "warn"}, "recency_action"),
    ({"us_ca_only": False}, "us_ca_only"),
    ({"reject_number_types": ["TOLL_FREE"]}, "reject_number_types"),
    ({"field_limits": {"phone": 20}}, "field_limits.phone"),
    ({"gate": {"review_max_rejected_share": 0.5}}, "gate.review_max_rejected_share"),
    ({"gate": {"critical_max_under_age_share": 0.9}}, "gate.critical_max_under_age_share"),
    ({"gate": {"review_timeout_minutes": 6000}}, "gate.review_timeout_minutes"),
]


@pytest.fixture
def strictest(policy_dir: Path) -> Path:
    """A policy where every setting can be loosened: `require_full_dob` on, recency rejects."""
    (policy_dir / "tight.yaml").write_text(yaml.safe_dump({
        "extends": "base", "us_ca_only": True, "require_full_dob": True, "recency_action": "reject",
        "allow_loosening": []}))
    return policy_dir


@pytest.mark.parametrize(("override", "setting"), LOOSENING)
def test_a_loosening_override_is_refused_unless_the_policy_allows_it(strictest: Path, override, setting) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("tight", override, policy_dir=strictest)
    assert setting in str(info.value) and "allow_loosening" in str(info.value)


@pytest.mark.parametrize(("override", "setting"), LOOSENING)
def test_a_loosening_override_the_policy_allows_is_listed_as_loosened(strictest: Path, override, setting) -> None:
    group = setting.split(".")[0] if setting.startswith("gate.") else setting
    (strictest / "open.yaml").write_text(yaml.safe_dump({"extends": "tight", "allow_loosening": [group]}))
    policy = load_policy("open", override, policy_dir=strictest)
    assert [entry.setting for entry in policy.loosened] == [setting]


def test_a_tightening_override_is_always_accepted_and_not_listed(strictest: Path) -> None:
    policy = load_policy("tight", {"min_age": 21, "recency_months": 3, "field_limits": {"phone": 15, "city": 64},
                                   "reject_number_types": ["FIXED_LINE", "TOLL_FREE", "PAGER"],
                                   "gate": {"review_max_rejected_share": 0.05, "review_timeout_minutes": 30}},
                         policy_dir=strictest)
    assert policy.min_age == 21 and policy.gate["review_timeout_minutes"] == 30
    assert policy.loosened == ()


@pytest.mark.parametrize("key", ["allow_clock_override", "allow_loosening"])
def test_a_manifest_cannot_grant_itself_an_allowance(policy_dir: Path, key: str) -> None:
    with pytest.raises(PolicyError, match="only a policy file"):
        load_policy("base", {key: True if key == "allow_clock_override" else ["min_age"]}, policy_dir=policy_dir)


def test_the_shipped_default_policy_allows_no_backdating_and_no_loosening() -> None:
    policy = load_policy("default", policy_dir=SHIPPED)
    assert policy.allow_clock_override is False
    assert policy.allow_loosening == ()
    with pytest.raises(PolicyError, match="min_age"):
        load_policy("default", {"min_age": 13}, policy_dir=SHIPPED)
