"""`optline import FILE --list NAME`: a file without a manifest gets the manifest it needs written
beside it (the one the import reads next), for a person to review; nothing is imported, and a
manifest that exists is never overwritten."""

from __future__ import annotations

from pathlib import Path

from optline import warehouse
from optline.cli import main
from optline.intake.manifest import manifest_path_for, parse_manifest, read_yaml

AS_OF = "2026-11-01T12:00:00+00:00"


def _bare(data_dir: Path, name: str, text: str) -> Path:
    path = data_dir / "inbox" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_written_manifest_is_the_one_the_import_then_reads_and_rows_land_in_the_list(data_dir, capsys):
    path = _bare(data_dir, "walkins.csv", "Cell #,Given Name,Opt-in Date,Age,Notes\n"
                                          "(415) 555-0101,Ann,2026-10-01,30,x\n4155550102,Bo,2026-10-02,41,\n")
    assert main(["import", str(path), "--list", "Walk-ins 'Nov'"]) == 0
    said = capsys.readouterr().out
    written = data_dir / "inbox" / "walkins.manifest.yaml"
    assert f"wrote {written}: nothing was imported" in said
    assert manifest_path_for(path) == written
    assert not (data_dir / "warehouse.duckdb").exists()  # nothing imported
    text = written.read_text(encoding="utf-8")
    assert "CHECK" in text and "# not read as fields (kept as extra): \"Notes\"" in text
    manifest = parse_manifest(read_yaml(written), source=written)
    assert manifest.lists == ("Walk-ins 'Nov'",)
    assert manifest.header is True
    assert manifest.columns == {"phone": "Cell #", "first_name": "Given Name", "opted_in_at": "Opt-in Date",
                                "age": "Age"}

    assert main(["import", str(path), "--as-of", AS_OF]) == 0
    assert "merged" in capsys.readouterr().out
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        members = conn.execute("select lists.name, count(*) from core.memberships as m "
                               "join core.lists as lists using (list_id) group by lists.name").fetchall()
    assert members == [("Walk-ins 'Nov'", 2)]


def test_a_file_with_its_own_manifest_is_refused_and_the_manifest_kept(data_dir, capsys):
    path = _bare(data_dir, "spring.csv", "phone\n(415) 555-0101\n")
    own = data_dir / "inbox" / "spring.manifest.yaml"
    own.write_text("lists: [Spring]\n", encoding="utf-8")
    assert main(["import", str(path), "--list", "Other"]) == 2
    assert "spring.csv has a manifest already, spring.manifest.yaml; nothing was written" in capsys.readouterr().err
    assert own.read_text(encoding="utf-8") == "lists: [Spring]\n"


def test_a_file_under_a_folder_manifest_is_refused_and_nothing_is_written(data_dir, capsys):
    path = _bare(data_dir, "spring.csv", "phone\n(415) 555-0101\n")
    other = _bare(data_dir, "bare.csv", "phone\n(415) 555-0102\n")
    (data_dir / "inbox" / "_manifest.yaml").write_text("lists: [Folder]\n", encoding="utf-8")
    assert main(["import", str(other), str(path), "--list", "Other"]) == 2
    assert "_manifest.yaml" in capsys.readouterr().err
    assert sorted(p.name for p in (data_dir / "inbox").iterdir()) == ["_manifest.yaml", "bare.csv", "spring.csv"]


def test_rows_without_a_header_get_the_phone_like_column_by_number(data_dir, capsys):
    path = _bare(data_dir, "pasted.csv", "Ann,(415) 555-0101\nBo,4155550102\n")
    assert main(["import", str(path), "--list", "Pasted"]) == 0
    written = path.with_name("pasted.manifest.yaml")
    manifest = parse_manifest(read_yaml(written), source=written)
    assert (manifest.header, manifest.columns) == (False, {"phone": 2})
    assert "555" not in written.read_text(encoding="utf-8")  # no cell of the file is copied into it


def test_a_file_whose_phone_column_is_not_found_gets_a_manifest_saying_so(data_dir, capsys):
    path = _bare(data_dir, "odd.csv", "Kontakt,First Name\n(415) 555-0101,Ann\n")
    assert main(["import", str(path), "--list", "Odd"]) == 0
    assert "It found no phone column: name it under `columns:`" in capsys.readouterr().out
    written = path.with_name("odd.manifest.yaml")
    assert "# phone: ..." in written.read_text(encoding="utf-8")
    assert parse_manifest(read_yaml(written), source=written).columns == {"first_name": "First Name"}
    assert main(["import", str(path)]) == 1  # the import's own error until the person names it
    assert "no phone column among the headers ['Kontakt', 'First Name']" in capsys.readouterr().out


def test_list_without_a_file_says_to_name_one(data_dir, capsys):
    assert main(["import", "--list", "X"]) == 2
    assert "--list writes the manifest of the files named" in capsys.readouterr().err


def test_a_workbook_gets_the_sheet_it_was_read_from(data_dir, capsys):
    main(["samples"])
    path = data_dir / "inbox" / "copy.xlsx"
    path.write_bytes((data_dir / "inbox" / "store_events.xlsx").read_bytes())
    assert main(["import", str(path), "--list", "Events"]) == 0
    written = path.with_name("copy.manifest.yaml")
    manifest = parse_manifest(read_yaml(written), source=written)
    assert (manifest.sheet, manifest.columns["phone"]) == ("Contacts", "Cell #")
    assert "encoding:" not in written.read_text(encoding="utf-8")  # a workbook has none
