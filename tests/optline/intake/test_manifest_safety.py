"""Manifest YAML is read defensively: no anchors/aliases ("billion laughs"), and caps on the
file size, nesting depth and string length, each refused with a ManifestError naming the file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from optline.consent import confirmations, inbound, optouts
from optline.contacts import listops
from optline.intake import manifest as intake_manifest
from optline.intake.manifest import (
    MAX_MANIFEST_BYTES,
    MAX_MANIFEST_DEPTH,
    MAX_MANIFEST_STRING,
    ManifestError,
    load_manifest,
)

NAME = "spring.manifest.yaml"


def _billion_laughs(levels: int = 9) -> str:
    """The classic bomb: each anchor is nine aliases of the one before (9**levels "lol"s)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "lists: [Spring]\npolicy_overrides:\n" + "\n".join(f"  {line}" for line in lines) + "\n"


def _refused(tmp_path: Path, text: str, loader: Callable[[Path], object] = load_manifest) -> ManifestError:
    data = tmp_path / "spring.csv"
    data.write_text("Phone\n4155550101\n", encoding="utf-8")
    (tmp_path / NAME).write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        loader(data)
    return info.value


def test_billion_laughs_is_refused_quickly_naming_the_file_and_alias(tmp_path: Path) -> None:
    started = time.monotonic()
    err = _refused(tmp_path, _billion_laughs())
    assert time.monotonic() - started < 1.0
    assert NAME in str(err)
    assert "alias" in str(err)


def test_a_lone_anchor_is_refused_too(tmp_path: Path) -> None:
    err = _refused(tmp_path, "lists: &l [Spring]\n")
    assert NAME in str(err)
    assert "anchor" in str(err)


def test_a_merge_key_alias_is_refused(tmp_path: Path) -> None:
    err = _refused(tmp_path, "base: &b {channel: sms}\nlists: [Spring]\nconsent:\n  <<: *b\n")
    assert NAME in str(err)
    assert "alias" in str(err) or "anchor" in str(err)


@pytest.mark.parametrize("loader", [listops.load_manifest, confirmations.load_manifest,
                                    inbound.load_manifest, optouts.load_manifest],
                         ids=["touchups", "confirmations", "inbound", "optouts"])
def test_every_intake_kind_refuses_aliases(tmp_path: Path, loader: Callable[[Path], object]) -> None:
    err = _refused(tmp_path, _billion_laughs(), loader)
    assert NAME in str(err)
    assert "alias" in str(err)


def test_an_oversized_manifest_is_refused(tmp_path: Path) -> None:
    text = "lists: [Spring]\ntags:\n" + "".join(f"  - tag-{i:06d}\n" for i in range(MAX_MANIFEST_BYTES // 10))
    assert len(text.encode()) > MAX_MANIFEST_BYTES
    err = _refused(tmp_path, text)
    assert NAME in str(err)
    assert "KiB" in str(err)


def test_a_too_deep_mapping_is_refused(tmp_path: Path) -> None:
    deep = "x"
    for _ in range(MAX_MANIFEST_DEPTH + 1):
        deep = "{k: " + deep + "}"
    err = _refused(tmp_path, f"lists: [Spring]\npolicy_overrides: {deep}\n")
    assert NAME in str(err)
    assert "deep" in str(err)
    assert "line 2" in str(err)


def test_a_too_long_string_is_refused_without_echoing_it(tmp_path: Path) -> None:
    value = "4155550101" * (MAX_MANIFEST_STRING // 10 + 1)
    err = _refused(tmp_path, f"lists: [Spring]\nconsent:\n  source: {value}\n")
    assert NAME in str(err)
    assert "long" in str(err)
    assert "4155550101" not in str(err)


def test_text_that_is_not_utf8_is_a_manifest_error(tmp_path: Path) -> None:
    data = tmp_path / "spring.csv"
    data.write_text("Phone\n4155550101\n", encoding="utf-8")
    (tmp_path / NAME).write_bytes(b"lists: [Caf\xe9]\n")
    with pytest.raises(ManifestError, match=NAME):
        load_manifest(data)


def test_a_normal_manifest_still_loads(tmp_path: Path) -> None:
    data = tmp_path / "spring.csv"
    data.write_text("Phone\n4155550101\n", encoding="utf-8")
    (tmp_path / NAME).write_text(
        "lists: [Spring Promo]\ndefault_country: CA\ntags: [spring-2026, '2026']\n"
        "consent:\n  source: website signup form\n  method: web_form\n"
        "columns:\n  phone: 'Cell #'\n  first_name: 2\npolicy_overrides:\n  min_age: 21\n", encoding="utf-8")
    loaded = load_manifest(data)
    assert loaded.lists == ("Spring Promo",)
    assert loaded.policy_overrides == {"min_age": 21}
    assert loaded.consent_source == "website signup form"


def test_limits_at_the_cap_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / NAME
    deep = "x"
    for _ in range(MAX_MANIFEST_DEPTH - 1):  # the top-level mapping is the first level
        deep = "{k: " + deep + "}"
    path.write_text(f"a: {deep}\nb: {'y' * MAX_MANIFEST_STRING}\n", encoding="utf-8")
    raw = intake_manifest.read_yaml(path)
    assert len(raw["b"]) == MAX_MANIFEST_STRING


def test_an_empty_manifest_is_an_empty_mapping(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert intake_manifest.read_yaml(path) == {}
