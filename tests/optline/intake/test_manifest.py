"""Manifests: where they are found, what they may say, and errors that name file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optline.intake.manifest import (
    FOLDER_MANIFEST,
    Manifest,
    ManifestError,
    channel,
    check_texts,
    effective_date_order,
    load_manifest,
    manifest_path_for,
    parse_manifest,
    require_manifest,
)


def _data_file(tmp_path: Path, name: str = "spring.csv") -> Path:
    path = tmp_path / name
    path.write_text("Phone\n4155550101\n", encoding="utf-8")
    return path


def _manifest_error(tmp_path: Path, text: str, name: str = "spring.manifest.yaml") -> ManifestError:
    data = _data_file(tmp_path)
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_manifest(data)
    return info.value


# --- finding the manifest -------------------------------------------------------------------

def test_file_manifest_beside_the_data_file_is_loaded(tmp_path: Path) -> None:
    data = _data_file(tmp_path)
    (tmp_path / "spring.manifest.yaml").write_text("lists: [Spring Promo]\ndefault_country: ca\n")
    manifest = load_manifest(data)
    assert manifest.lists == ("Spring Promo",)
    assert manifest.default_country == "CA"
    assert manifest.path == str(tmp_path / "spring.manifest.yaml")


def test_yml_extension_is_accepted_for_a_file_manifest(tmp_path: Path) -> None:
    data = _data_file(tmp_path)
    (tmp_path / "spring.manifest.yml").write_text("lists: [Yml List]\n")
    assert load_manifest(data).lists == ("Yml List",)


def test_folder_manifest_is_the_fallback(tmp_path: Path) -> None:
    data = _data_file(tmp_path, "autumn.xlsx")
    (tmp_path / FOLDER_MANIFEST).write_text("lists: [Folder List]\nchannel: whatsapp\n")
    manifest = load_manifest(data)
    assert manifest.lists == ("Folder List",)
    assert manifest.channel == "whatsapp"
    assert manifest_path_for(data) == tmp_path / FOLDER_MANIFEST


def test_file_manifest_wins_over_folder_manifest(tmp_path: Path) -> None:
    data = _data_file(tmp_path)
    (tmp_path / FOLDER_MANIFEST).write_text("lists: [Folder List]\n")
    (tmp_path / "spring.manifest.yaml").write_text("lists: [Own List]\n")
    assert load_manifest(data).lists == ("Own List",)


def test_manifest_of_another_file_does_not_apply(tmp_path: Path) -> None:
    data = _data_file(tmp_path)
    (tmp_path / "summer.manifest.yaml").write_text("lists: [Summer]\n")
    assert manifest_path_for(data) is None


def test_missing_manifest_error_says_which_file_to_add(tmp_path: Path) -> None:
    data = _data_file(tmp_path, "spring.2026.csv")
    with pytest.raises(ManifestError) as info:
        load_manifest(data)
    message = str(info.value)
    assert "spring.2026.csv" in message
    assert "spring.manifest.yaml" in message
    assert FOLDER_MANIFEST in message
    assert "lists" in message


# --- validation errors name the manifest file and the key -----------------------------------

def test_unknown_key_error_names_file_and_key(tmp_path: Path) -> None:
    err = _manifest_error(tmp_path, "lists: [A]\ncountry: US\n")
    assert "spring.manifest.yaml" in str(err)
    assert "'country'" in str(err)


def test_bad_channel_error_names_file_and_key(tmp_path: Path) -> None:
    err = _manifest_error(tmp_path, "lists: [A]\nchannel: email\n")
    assert "spring.manifest.yaml" in str(err)
    assert "`channel`" in str(err)


@pytest.mark.parametrize("country", ["UK", "XX", "USA"])
def test_bad_country_error_names_file_key_and_value(tmp_path: Path, country: str) -> None:
    err = _manifest_error(tmp_path, f"lists: [A]\ndefault_country: {country}\n")
    assert "spring.manifest.yaml" in str(err)
    assert "`default_country`" in str(err)
    assert country in str(err)


@pytest.mark.parametrize("text", ["channel: sms\n", "lists: []\n", "lists: ['  ']\n", "lists:\n", "lists: [1]\n"])
def test_missing_or_empty_lists_error_names_file_and_key(tmp_path: Path, text: str) -> None:
    err = _manifest_error(tmp_path, text)
    assert "spring.manifest.yaml" in str(err)
    assert "`lists`" in str(err)


def test_empty_manifest_file_is_missing_lists(tmp_path: Path) -> None:
    err = _manifest_error(tmp_path, "")
    assert "`lists`" in str(err)


@pytest.mark.parametrize(("text", "key"), [
    ("lists: [A]\ndelimiter: ':'\n", "`delimiter`"),
    ("lists: [A]\nencoding: latin-9\n", "`encoding`"),
    ("lists: [A]\nheader: maybe\n", "`header`"),
    ("lists: [A]\ndate_order: yyyy\n", "`date_order`"),
    ("lists: [A]\ncolumns: {mobile: 1}\n", "`columns`"),
    ("lists: [A]\ncolumns: {phone: 0}\n", "`columns.phone`"),
    ("lists: [A]\ncolumns: [phone]\n", "`columns`"),
    ("lists: [A]\nconsent: {who: me}\n", "`consent`"),
    ("lists: [A]\ntags: {a: 1}\n", "`tags`"),
    ("lists: [A]\npolicy_overrides: [min_age]\n", "`policy_overrides`"),
])
def test_invalid_setting_error_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    err = _manifest_error(tmp_path, text, name=FOLDER_MANIFEST)
    assert FOLDER_MANIFEST in str(err)
    assert key in str(err)


def test_invalid_yaml_error_names_file(tmp_path: Path) -> None:
    err = _manifest_error(tmp_path, "lists: [A\n")
    assert "spring.manifest.yaml" in str(err)
    assert "YAML" in str(err)


def test_manifest_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    err = _manifest_error(tmp_path, "- lists\n- A\n")
    assert "spring.manifest.yaml" in str(err)
    assert "mapping" in str(err)


# --- what the settings become ---------------------------------------------------------------

def test_defaults_for_a_minimal_manifest() -> None:
    m = parse_manifest({"lists": ["A"]})
    assert (m.default_country, m.channel, m.header, m.delimiter, m.encoding, m.date_order, m.policy) == (
        "US", "sms", None, None, "auto", "auto", "default")
    assert m.columns == {} and m.tags == ()


def test_single_list_and_tag_strings_become_tuples() -> None:
    m = parse_manifest({"list": " Spring Promo ", "tags": "vip"})
    assert m.lists == ("Spring Promo",)
    assert m.tags == ("vip",)


@pytest.mark.parametrize(("given", "expected"), [
    ("tab", "\t"), ("\t", "\t"), ("pipe", "|"), ("|", "|"), (";", ";"), (",", ","), ("auto", None),
])
def test_delimiter_names_resolve_to_characters(given: str, expected: str | None) -> None:
    assert parse_manifest({"lists": ["A"], "delimiter": given}).delimiter == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("Windows-1252", "cp1252"), ("UTF8", "utf-8"), ("utf-8", "utf-8"), ("CP1252", "cp1252"), ("AUTO", "auto"),
])
def test_encoding_spellings_are_normalized(given: str, expected: str) -> None:
    assert parse_manifest({"lists": ["A"], "encoding": given}).encoding == expected


def test_header_true_false_auto() -> None:
    assert parse_manifest({"lists": ["A"], "header": True}).header is True
    assert parse_manifest({"lists": ["A"], "header": False}).header is False
    assert parse_manifest({"lists": ["A"], "header": "auto"}).header is None


def test_columns_accept_header_names_and_positions() -> None:
    m = parse_manifest({"lists": ["A"], "columns": {"phone": "Contact Tel", "first_name": 2}})
    assert m.columns == {"phone": "Contact Tel", "first_name": 2}


def test_consent_source_and_method_are_taken_from_manifest() -> None:
    m = parse_manifest({"lists": ["A"], "consent": {"source": "Spring kiosk", "method": "keyword"}})
    assert (m.consent_source, m.consent_method) == ("Spring kiosk", "keyword")


def test_settings_are_json_ready_and_exclude_the_manifest_path(tmp_path: Path) -> None:
    m = parse_manifest({"lists": ["A", "B"], "tags": ["x"], "columns": {"phone": 1}},
                       source=tmp_path / "a.manifest.yaml")
    settings = json.loads(json.dumps(m.settings()))
    assert "path" not in settings
    assert settings["lists"] == ["A", "B"] and settings["tags"] == ["x"]
    assert settings["columns"] == {"phone": 1}


def test_fingerprint_ignores_where_the_manifest_lives(tmp_path: Path) -> None:
    a = parse_manifest({"lists": ["A"]}, source=tmp_path / "one" / FOLDER_MANIFEST)
    b = parse_manifest({"lists": ["A"]}, source=tmp_path / "two.manifest.yaml")
    assert a.fingerprint() == b.fingerprint()


@pytest.mark.parametrize("change", [
    {"lists": ["B"]}, {"default_country": "CA"}, {"channel": "whatsapp"}, {"tags": ["vip"]},
    {"columns": {"phone": 2}}, {"policy_overrides": {"min_age": 21}}, {"header": False},
])
def test_fingerprint_changes_with_any_setting(change: dict) -> None:
    base = parse_manifest({"lists": ["A"]})
    changed = parse_manifest({"lists": ["A"], **change})
    assert base.fingerprint() != changed.fingerprint()


@pytest.mark.parametrize(("order", "country", "expected"), [
    ("auto", "US", "mdy"), ("auto", "CA", "mdy"), ("auto", "GB", "dmy"), ("auto", "AU", "dmy"),
    ("ymd", "US", "ymd"), ("dmy", "US", "dmy"), ("mdy", "GB", "mdy"),
])
def test_effective_date_order(order: str, country: str, expected: str) -> None:
    assert effective_date_order(order, country) == expected
    assert Manifest(lists=("A",), default_country=country, date_order=order).effective_date_order() == expected


# --- what every kind of manifest shares --------------------------------------------------------

def test_require_manifest_finds_it_or_says_which_file_to_add_then_what_to_write(tmp_path: Path) -> None:
    data = _data_file(tmp_path, "crm.export.csv")
    with pytest.raises(ManifestError, match=r"^crm.export.csv: no manifest. Add crm.manifest.yaml "
                                            r"\(or _manifest.yaml for the folder\), e.g. `scope: all`$"):
        require_manifest(data, ", e.g. `scope: all`")
    (tmp_path / FOLDER_MANIFEST).write_text("scope: all\n", encoding="utf-8")
    assert require_manifest(data, "") == tmp_path / FOLDER_MANIFEST


def test_channel_defaults_to_sms_and_names_the_key_when_unknown() -> None:
    assert (channel({}, "m.yaml"), channel({"channel": "WhatsApp"}, "m.yaml")) == ("sms", "whatsapp")
    with pytest.raises(ManifestError, match=r"^m.yaml: `channel` must be one of \('sms', 'whatsapp'\)$"):
        channel({"channel": "email"}, "m.yaml")


@pytest.mark.parametrize("value", ["", "  ", None, 3])
def test_texts_given_must_be_non_empty(value) -> None:
    check_texts({"other": value}, ("source",), "m.yaml")  # absent: the default applies
    with pytest.raises(ManifestError, match=r"^m.yaml: `source` must be a non-empty text$"):
        check_texts({"source": value}, ("source",), "m.yaml")
