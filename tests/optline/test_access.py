"""Who decides: the access settings file, the operating-system account the CLI records, the
reviewer and deleter lists the CLI enforces, and four eyes on approvals (real warehouse files)."""

from __future__ import annotations

import datetime as dt
import grp
import os
import pwd
from pathlib import Path

import pytest
import yaml

from optline import warehouse
from optline.cli import main
from optline.contacts.policy import PolicyError, load_policy
from tests.helpers import write_csv

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
HEADER = ["phone", "first_name", "dob", "opt_in"]


def write_access(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))
    return path


def import_held(data_dir: Path, capsys: pytest.CaptureFixture, **gate) -> int:
    """Import (CLI) a file the real gate holds: 9 good rows, 2 invalid (18 % rejected)."""
    opt_in = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    rows = [[f"(415) 555-{n:04d}", f"Held{n}", "1990-01-02", opt_in] for n in range(100, 109)]
    rows += [["555-0100", "X", "1990-01-02", opt_in]] * 2
    path = write_csv(data_dir / "inbox" / "held.csv", [HEADER, *rows], policy_overrides={"gate": gate})
    assert main(["import", str(path)]) == 0
    capsys.readouterr()
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute("select batch_id from ops.batches where file_name = 'held.csv'").fetchone()[0]


def query(data_dir: Path, sql: str) -> list[tuple]:
    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute(sql).fetchall()


# --- the library ----------------------------------------------------------------------------

def test_the_os_account_is_the_real_uids_not_the_user_variable(monkeypatch):
    from optline import access

    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    assert access.os_account() == ME


def test_without_an_access_file_the_owner_of_the_data_folder_reviews_and_deletes(data_dir, monkeypatch, tmp_path):
    from optline import access

    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(tmp_path / "absent.yaml"))
    with pytest.raises(access.AccessConfigError, match="absent.yaml"):
        access.load_access()
    monkeypatch.delenv("OPTLINE_ACCESS_CONFIG")
    monkeypatch.setattr(access, "DEFAULT_FILE", tmp_path / "not-shipped.yaml")
    settings = access.load_access()
    owner = pwd.getpwuid(data_dir.stat().st_uid).pw_name
    assert settings.review.os_accounts == (owner,) and settings.delete.os_accounts == (owner,)
    assert settings.review.airflow_users == ()
    assert access.may("review", ME, settings)


def test_the_shipped_access_file_reads_as_the_single_machine_defaults(data_dir, monkeypatch):
    from optline import access

    monkeypatch.delenv("OPTLINE_ACCESS_CONFIG", raising=False)
    settings = access.load_access()
    assert settings.source == access.DEFAULT_FILE
    assert settings.review.os_accounts == (pwd.getpwuid(data_dir.stat().st_uid).pw_name,)


def test_an_access_file_lists_airflow_reviewers_os_accounts_and_groups(tmp_path, monkeypatch):
    from optline import access

    write_access(tmp_path, monkeypatch, {
        "review": {"airflow_users": ["dana", {"id": "3", "name": "lee"}], "os_accounts": ["dana"],
                   "os_groups": [MY_GROUP]},
        "delete": {"os_accounts": ["dpo"]},
    })
    settings = access.load_access()
    assert settings.review.airflow_users == ({"id": "dana", "name": "dana"}, {"id": "3", "name": "lee"})
    assert access.may("review", ME, settings)            # through the group
    assert not access.may("delete", ME, settings)
    assert access.may("delete", "dpo", settings)


@pytest.mark.parametrize("settings,message", [
    ({"reviewers": {}}, "unknown"),
    ({"review": {"os_acounts": ["x"]}}, "unknown"),
    ({"review": {"airflow_users": [{"name": "no id"}]}}, "id"),
    ({"review": {"os_accounts": "dana"}}, "list"),
])
def test_a_wrong_access_file_says_what_is_wrong_and_names_the_file(tmp_path, monkeypatch, settings, message):
    from optline import access

    path = write_access(tmp_path, monkeypatch, settings)
    with pytest.raises(access.AccessConfigError, match=message) as err:
        access.load_access()
    assert str(path) in str(err.value)


def test_four_eyes_defaults_off_and_must_be_true_or_false():
    assert load_policy("default").four_eyes is False
    assert load_policy("default", {"gate": {"four_eyes": True}}).four_eyes is True
    assert "four_eyes" not in load_policy("default", {"gate": {"four_eyes": True}}).gate
    with pytest.raises(PolicyError, match="four_eyes"):
        load_policy("default", {"gate": {"four_eyes": "yes"}})


# --- the command line -----------------------------------------------------------------------

def test_review_records_the_os_account_and_keeps_by_only_as_a_note(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("USER", "mallory")
    held = import_held(data_dir, capsys)
    assert main(["review", str(held), "--approve", "--by", "Mallory"]) == 0
    assert "--by is deprecated" in capsys.readouterr().err
    (decided_by, decided_by_id, reason), = query(data_dir, f"""select decided_by, decided_by_id, reason
        from ops.batch_decisions where batch_id = {held} and decision = 'approved'""")
    assert (decided_by, decided_by_id) == (ME, ME)
    assert "Mallory" in reason


def test_review_refuses_an_account_not_listed_and_names_the_settings_file(data_dir, capsys, monkeypatch, tmp_path):
    held = import_held(data_dir, capsys)
    path = write_access(tmp_path, monkeypatch, {"review": {"os_accounts": ["someone-else"]}})
    assert main(["review", str(held), "--approve", "--note", "looks fine"]) == 2
    err = capsys.readouterr().err
    assert ME in err and str(path) in err
    assert query(data_dir, f"select status from ops.batches where batch_id = {held}") == [("awaiting_review",)]


def test_four_eyes_refuses_the_importers_own_approval_and_keeps_the_batch_open(data_dir, capsys):
    held = import_held(data_dir, capsys, four_eyes=True)
    assert query(data_dir, f"select imported_by from ops.batches where batch_id = {held}") == [(ME,)]
    assert main(["review", str(held), "--approve"]) == 2
    assert "four eyes" in capsys.readouterr().err
    assert query(data_dir, f"select status from ops.batches where batch_id = {held}") == [("awaiting_review",)]
    last = query(data_dir, f"""select decision, decided_by, reason from ops.batch_decisions
        where batch_id = {held} order by decided_at desc limit 1""")[0]
    assert last[:2] == ("awaiting_review", ME) and "four eyes" in last[2]
    assert query(data_dir, "select count(*) from core.contacts") == [(0,)]
    assert main(["review", str(held), "--refuse"]) == 0   # refusing merges nothing: the importer may


def test_delete_refuses_an_account_not_listed_and_records_the_os_account(data_dir, capsys, monkeypatch, tmp_path):
    main(["samples"])
    main(["import"])
    capsys.readouterr()
    write_access(tmp_path, monkeypatch, {"delete": {"os_accounts": ["dpo"]}})
    assert main(["delete", "--list", "In-Store Events", "--yes"]) == 2
    assert "access.yaml" in capsys.readouterr().err
    write_access(tmp_path, monkeypatch, {"delete": {"os_accounts": [ME]}})
    monkeypatch.setenv("USER", "mallory")
    assert main(["delete", "--list", "In-Store Events", "--yes", "--by", "ticket 42"]) == 0
    assert query(data_dir, "select requested_by from ops.deletions") == [(ME,)]


def test_a_data_subjects_export_is_refused_to_an_account_that_may_not_delete(data_dir, capsys, monkeypatch,
                                                                             tmp_path):
    main(["samples"])
    main(["import"])
    capsys.readouterr()
    out = tmp_path / "person.json"
    write_access(tmp_path, monkeypatch, {"delete": {"os_accounts": ["dpo"]}})
    assert main(["export-person", "--number", "+1 415 555 0101", "--out", str(out)]) == 2
    assert "access.yaml" in capsys.readouterr().err and not out.exists()
    assert query(data_dir, "select count(*) from ops.subject_exports") == [(0,)]
    write_access(tmp_path, monkeypatch, {"delete": {"os_accounts": [ME]}})
    monkeypatch.setenv("USER", "mallory")
    assert main(["export-person", "--number", "+1 415 555 0101", "--out", str(out)]) == 0
    assert query(data_dir, "select requested_by from ops.subject_exports") == [(ME,)]
