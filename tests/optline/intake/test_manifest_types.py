"""Every manifest key with a value of the wrong type or shape is a ManifestError naming the
manifest file and the key, raised by load_manifest (before anything is staged), never a
TypeError or AttributeError from deeper down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from optline.intake.manifest import ManifestError, load_manifest

NAME = "spring.manifest.yaml"
NESTED = {"a": {"b": 1}}

# (key whose value is wrong, the value, the key the error must name)
WRONG: list[tuple[str, Any, str]] = [
    *[("lists", v, "lists") for v in (5, 0, True, "", "  ", [], [5], [""], [None], [["A"]], [{"a": 1}],
                                      {"a": 1}, NESTED, 1.5)],
    *[("list", v, "list") for v in (5, [5], {"a": 1})],
    *[("default_country", v, "default_country") for v in (5, True, ["US"], {"US": 1}, "", "ZZ")],
    *[("channel", v, "channel") for v in (5, True, ["sms"], {"sms": 1}, "fax")],
    *[("tags", v, "tags") for v in (5, True, {"a": 1}, [["a"]], [{"a": 1}], [None], [True], 1.5)],
    *[("consent", v, "consent") for v in (5, "web", ["web"], {"source": ["a"]}, {"method": {"a": 1}},
                                          {"source": 5}, {"other": "x"}, {"source": True})],
    *[("header", v, "header") for v in (5, "yes", [True], {"a": 1})],
    *[("delimiter", v, "delimiter") for v in (5, [","], {",": 1}, "x", True)],
    *[("encoding", v, "encoding") for v in (5, ["utf-8"], {"utf-8": 1}, "latin-9", True)],
    *[("date_order", v, "date_order") for v in (5, ["mdy"], {"mdy": 1}, "dym", True)],
    *[("columns", v, "columns") for v in (5, "phone", ["phone"], True, {"nosuch": 1}, {5: 1}, {True: 1})],
    *[("columns", v, "columns.phone") for v in ({"phone": [1]}, {"phone": 0}, {"phone": -2}, {"phone": True},
                                                {"phone": {"a": 1}}, {"phone": 1.5}, {"phone": ""}, {"phone": None})],
    *[("policy", v, "policy") for v in (5, True, ["default"], {"default": 1}, "", 1.5)],
    *[("policy_overrides", v, "policy_overrides") for v in (5, "min_age", ["min_age"], True, {5: 1}, {True: 1})],
    *[("sheet", v, "sheet") for v in (True, ["Sheet1"], {"Sheet1": 1}, "", 1.5)],
]


def _load(tmp_path: Path, manifest: Any) -> Any:
    data = tmp_path / "spring.csv"
    data.write_text("Phone\n4155550101\n", encoding="utf-8")
    (tmp_path / NAME).write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return load_manifest(data)


@pytest.mark.parametrize(("key", "value", "named"), WRONG, ids=[f"{k}={v!r}" for k, v, _ in WRONG])
def test_a_wrongly_typed_manifest_value_is_a_manifest_error_naming_file_and_key(
        tmp_path: Path, key: str, value: Any, named: str) -> None:
    manifest = {"lists": ["Spring"], key: value}
    if key == "list":
        del manifest["lists"]
    with pytest.raises(ManifestError) as info:
        _load(tmp_path, manifest)
    message = str(info.value)
    assert message.startswith(f"{NAME}: "), message
    assert f"`{named}`" in message or f"`{named}." in message, message  # `consent.source` names consent
    assert "Traceback" not in message


@pytest.mark.parametrize("manifest", [5, "lists", ["lists"], [{"lists": ["A"]}], True],
                         ids=["int", "str", "list", "list of mappings", "bool"])
def test_a_manifest_that_is_not_a_mapping_is_a_manifest_error_naming_the_file(tmp_path: Path, manifest: Any) -> None:
    with pytest.raises(ManifestError, match=f"^{NAME}: must be a YAML mapping"):
        _load(tmp_path, manifest)


@pytest.mark.parametrize("extra", [{"nosuch": 1}, {5: 1}, {True: 1}, {"Lists": ["A"]}],
                         ids=["unknown name", "int key", "bool key", "wrong case"])
def test_an_unknown_manifest_key_of_any_type_names_it(tmp_path: Path, extra: dict) -> None:
    with pytest.raises(ManifestError) as info:
        _load(tmp_path, {"lists": ["Spring"], **extra})
    message = str(info.value)
    assert message.startswith(f"{NAME}: unknown keys") and str(next(iter(extra))) in message, message


def test_both_list_and_lists_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=f"^{NAME}: .*`list`.*`lists`"):
        _load(tmp_path, {"lists": ["A"], "list": "B"})


def test_a_numeric_sheet_name_is_read_as_text(tmp_path: Path) -> None:
    assert _load(tmp_path, {"lists": ["A"], "sheet": 2026}).sheet == "2026"


def test_well_typed_values_still_load(tmp_path: Path) -> None:
    manifest = _load(tmp_path, {"lists": "Spring", "tags": ["a", 7], "consent": {"source": "web", "method": "form"},
                                "columns": {"phone": "Cell", "first_name": 2}, "policy": "alcohol",
                                "policy_overrides": {"gate": {"review_max_rejected_share": 0.05}},
                                "sheet": "Contacts", "header": True, "delimiter": "tab"})
    assert manifest.lists == ("Spring",) and manifest.tags == ("a", "7") and manifest.policy == "alcohol"
    assert manifest.columns == {"phone": "Cell", "first_name": 2} and manifest.delimiter == "\t"
