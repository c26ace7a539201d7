"""`optline export-audience` over the small real site: the list's sendable members (marts.audiences)
as CSV or Parquet, numbers masked unless an account allowed to export asks, owner-only files,
formulas neutralized in CSV, and every export recorded in ops.audience_exports with the file's
sha256."""

from __future__ import annotations

import csv
import hashlib
import os
import pwd
import stat
from pathlib import Path

import duckdb
import pytest
import yaml

from optline import warehouse
from optline.cli import main
from tests.optline.consent.consent_site import ANN, consent_site, copy_site  # noqa: F401 (a fixture)

ME = pwd.getpwuid(os.getuid()).pw_name


def allow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exporters: list[str]) -> None:
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump({"export": {"os_accounts": exporters}, "consent": {"os_accounts": [ME]}}),
                    encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))


@pytest.fixture
def site(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    allow(tmp_path, monkeypatch, [ME])
    copy_site(request.getfixturevalue("consent_site"), data_dir)
    return data_dir


def exports(data_dir: Path) -> list[dict]:
    conn = warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)
    try:
        return [
            dict(zip(("exported_by", "list_name", "masked", "file_format", "file_path", "file_sha256", "rows_written",
                      "attributes", "with_tags", "statuses"), row))
            for row in conn.execute("select exported_by, list_name, masked, file_format, file_path, file_sha256, "
                                    "rows_written, attributes, with_tags, statuses from ops.audience_exports "
                                    "order by exported_at").fetchall()]
    finally:
        conn.close()


def test_a_masked_csv_holds_the_active_sendable_members_with_attributes_and_tags_neutralized_and_recorded(
        site, tmp_path):
    out = tmp_path / "main.csv"
    assert main(["export-audience", "main", "--format", "csv", "--output", str(out), "--attributes",
                 "first_name,state", "--tags"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["list_name", "channel", "status", "contact_id", "phone", "first_name", "state", "tags"]
    assert [(r["phone"], r["first_name"], r["status"], r["tags"]) for r in rows] == [
        ("••••••••••01", "Ann", "active", "vip"), ("••••••••••02", "'=Bo", "active", "vip")]  # CY is pending
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (record,) = exports(site)
    assert record == {"exported_by": ME, "list_name": "Main", "masked": True, "file_format": "csv",
                      "file_path": str(out), "file_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                      "rows_written": 2, "attributes": ["first_name", "state"], "with_tags": True,
                      "statuses": ["active"]}


def test_unmasked_parquet_for_an_allowed_account_and_an_opted_out_number_is_left_out(site, tmp_path):
    assert main(["opt-out", ANN, "--channel", "sms"]) == 0
    out = tmp_path / "main.parquet"
    assert main(["export-audience", "Main", "--format", "parquet", "--output", str(out), "--unmasked", "--tags",
                 "--include-pending"]) == 0
    got = duckdb.connect().execute("select phone, status, tags from read_parquet($p) order by phone",
                                   {"p": str(out)}).fetchall()
    assert got == [("+14155550102", "active", ["vip"]), ("+14155550103", "pending", [])]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [(e["masked"], e["rows_written"], e["statuses"]) for e in exports(site)] == [
        (False, 2, ["active", "pending"])]


def test_unmasked_is_refused_for_an_account_not_allowed_to_export_and_nothing_is_written(site, tmp_path,
                                                                                         monkeypatch, capsys):
    allow(tmp_path, monkeypatch, ["crm"])
    out = tmp_path / "main.csv"
    assert main(["export-audience", "Main", "--format", "csv", "--output", str(out), "--unmasked"]) == 2
    assert "may not export" in capsys.readouterr().err and not out.exists() and exports(site) == []
    assert main(["export-audience", "Main", "--format", "csv", "--output", str(out), "--attributes", "dob"]) == 2
    assert "choose from first_name" in capsys.readouterr().err
    assert main(["export-audience", "Nope", "--format", "csv", "--output", str(out)]) == 2
    assert "no list 'Nope'" in capsys.readouterr().err and not out.exists()
