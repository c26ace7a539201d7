"""The manifest's `delimiter:` takes any single character a cell cannot hold (pasted rows with a
chosen separator, seed 001), refuses the ones that are part of numbers, dates, quoting or lines;
`create_lists:` is true or false; and the keys added later leave earlier manifests' import keys
as they were."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from optline import warehouse
from optline.cli import main
from optline.intake.manifest import ManifestError, load_manifest, parse_manifest, read_yaml

AS_OF = "2026-11-01T12:00:00+00:00"
PEOPLE = [("+1 415 555 0101", "Ann"), ("+1 415 555 0102", "Bo"), ("+1 415 555 0103", "Cy")]


def _manifest(tmp_path: Path, line: str) -> Path:
    data = tmp_path / "pasted.txt"
    data.write_text("x\n", encoding="utf-8")
    (tmp_path / "pasted.manifest.yaml").write_text(f"lists: [A]\n{line}\n", encoding="utf-8")
    return data


@pytest.mark.parametrize(("line", "character"), [
    ('delimiter: "~"', "~"), ("delimiter: '#'", "#"), ("delimiter: ^", "^"), ('delimiter: " "', " "),
    ("delimiter: tilde", "~"), ("delimiter: Hash", "#"), ("delimiter: caret", "^"), ("delimiter: space", " "),
    ("delimiter: semicolon", ";"), ("delimiter: comma", ","), ("delimiter: pipe", "|"), ("delimiter: tab", "\t"),
    ('delimiter: "\\t"', "\t"), ("delimiter: '*'", "*"), ("delimiter: '!'", "!"), ("delimiter: auto", None),
])
def test_any_single_character_or_its_name_is_the_separator(tmp_path, line, character):
    assert load_manifest(_manifest(tmp_path, line)).delimiter == character


@pytest.mark.parametrize(("line", "why"), [
    ("delimiter: '\"'", "is the quote character"),
    ('delimiter: "\\n"', "is a line break"),
    ('delimiter: "\\r"', "is a line break"),
    ('delimiter: "\\0"', "is a NUL byte"),
    ("delimiter: '5'", "is part of phone numbers"),
    ("delimiter: '+'", "is part of phone numbers"),
    ("delimiter: '-'", "is part of phone numbers"),
    ("delimiter: '('", "is part of phone numbers"),
    ("delimiter: '/'", "is part of dates and times"),
    ("delimiter: ':'", "is part of dates and times"),
    ("delimiter: x", "is a letter"),
    ('delimiter: "\\x01"', "is the control character U+0001"),
    ("delimiter: ';;'", "must be one character"),
    ("delimiter: ~", "is empty: in YAML a bare `~` means empty"),      # YAML's null
    ("delimiter: #", "is empty: in YAML a bare `~` means empty"),      # a comment
    ("delimiter: 7", "must be one character or auto, not a number"),
])
def test_a_separator_cells_or_lines_hold_is_refused_naming_the_file_the_key_and_why(tmp_path, line, why):
    with pytest.raises(ManifestError) as info:
        load_manifest(_manifest(tmp_path, line))
    said = str(info.value)
    assert said.startswith("pasted.manifest.yaml: `delimiter` ") and why in said
    if "cannot be" in said:
        assert "choose a character the cells do not hold" in said


def test_pasted_txt_rows_with_a_chosen_separator_import_as_delimited_rows(data_dir, capsys):
    inbox = data_dir / "inbox"
    for name, yaml_value, sep in (("tilde", '"~"', "~"), ("hash", '"#"', "#"), ("caret", "^", "^"),
                                  ("space", "space", " ")):
        lines = [sep.join(["phone", "first_name", "age", "opt_in"])]
        for phone, first in PEOPLE:  # spaces inside cells, except where the space separates
            lines.append(sep.join([phone if sep != " " else phone.replace(" ", ""), first, "30", "2026-10-01"]))
        (inbox / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (inbox / f"{name}.manifest.yaml").write_text(f"lists: [Pasted]\ndelimiter: {yaml_value}\n", encoding="utf-8")
    assert main(["import", "--as-of", AS_OF]) == 0, capsys.readouterr().out
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        batches = conn.execute("select file_name, file_format, delimiter, lines_read, rows_loaded, status "
                               "from ops.batches order by file_name").fetchall()
        contacts = conn.execute("select e164, first_name from core.contacts order by 1").fetchall()
    assert batches == [("caret.txt", "text", "^", 3, 3, "merged"), ("hash.txt", "text", "#", 3, 3, "merged"),
                       ("space.txt", "text", " ", 3, 3, "merged"), ("tilde.txt", "text", "~", 3, 3, "merged")]
    assert contacts == [("+14155550101", "Ann"), ("+14155550102", "Bo"), ("+14155550103", "Cy")]


def test_create_lists_is_true_or_false_and_defaults_to_creating():
    assert parse_manifest({"lists": ["A"]}).create_lists is True
    assert parse_manifest({"lists": ["A"], "create_lists": False}).create_lists is False
    with pytest.raises(ManifestError, match=r"`create_lists` must be true or false, not a text"):
        parse_manifest({"lists": ["A"], "create_lists": "no"})


def test_the_keys_added_later_leave_an_earlier_manifests_import_key_unchanged():
    # the settings a manifest of `lists: [A]` was fingerprinted with before `create_lists`,
    # `disclosure` and `purpose` existed: the same file is still "already imported"
    before = {"lists": ["A"], "default_country": "US", "channel": "sms", "tags": [], "consent_source": "file import",
              "consent_method": "import", "header": None, "delimiter": None, "encoding": "auto", "date_order": "auto",
              "columns": {}, "policy": "default", "policy_overrides": {}, "sheet": None}
    fingerprint = hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()
    assert parse_manifest({"lists": ["A"]}).fingerprint() == fingerprint
    assert parse_manifest({"lists": ["A"], "create_lists": True}).fingerprint() == fingerprint
    assert parse_manifest({"lists": ["A"], "create_lists": False}).fingerprint() != fingerprint


def test_the_manifest_written_for_a_file_says_any_character_separates_and_names_the_new_keys(data_dir, capsys):
    path = data_dir / "inbox" / "walkins.csv"
    path.write_text("Phone;First\n(415) 555-0101;Ann\n", encoding="utf-8")
    assert main(["import", str(path), "--list", "Walk-ins"]) == 0
    written = data_dir / "inbox" / "walkins.manifest.yaml"
    text = written.read_text(encoding="utf-8")
    assert "read as `;`; if wrong, any one character, quoted" in text
    assert "create_lists: true" in text and "# disclosure:" in text and "# purpose:" in text
    manifest = parse_manifest(read_yaml(written), source=written)
    assert (manifest.create_lists, manifest.purpose, manifest.delimiter) == (True, None, None)
