"""The review report names every compliance override: a run clock set by hand (to when, the
real time, by whom) and each `policy_overrides` setting that loosens the policy."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from optline.config import PROJECT_DIR
from optline.contacts import pipeline
from optline.runs import RunContext
from tests.helpers import write_csv

ROWS = [["phone", "first_name", "dob", "opt_in"], ["(415) 555-0101", "Ann", "2007-01-01", "2026-10-01"]]


@pytest.fixture
def policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(PROJECT_DIR / "expectations" / "policies", folder)
    (folder / "backdating.yaml").write_text(yaml.safe_dump({
        "extends": "default", "allow_clock_override": True,
        "allow_loosening": ["min_age", "gate"]}))
    monkeypatch.setenv("OPTLINE_POLICY_DIR", str(folder))
    return folder


def _report(data_dir: Path, batch_id: int) -> str:
    return (data_dir / "reports" / "batches" / f"{batch_id:06d}" / "report.html").read_text(encoding="utf-8")


def test_the_report_shows_the_clock_override_with_the_real_time_and_who(conn, data_dir, policies):
    from optline.tasks.common import run_context

    run = run_context({"params": {"as_of": "2026-11-01T12:00:00+00:00"}, "run_id": "manual__7",
                       "dag": SimpleNamespace(dag_id="contact_import"),
                       "dag_run": SimpleNamespace(triggering_user_name="alice", run_after=None)})
    path = write_csv(data_dir / "inbox" / "a.csv", ROWS, policy="backdating", policy_overrides={})
    summary = pipeline.import_file(conn, path, run, data_dir / "reports")
    assert summary.status == "merged", summary.error
    page = _report(data_dir, summary.batch_id)
    assert 'id="clock-override"' in page
    assert "clock overridden to 2026-11-01 12:00 UTC (real time " in page and "by alice" in page


def test_the_report_lists_each_loosened_setting_with_the_policy_value_and_the_override(conn, data_dir, policies):
    run = RunContext(as_of=dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC), dag_id="test", run_id="r1")
    overrides = {"min_age": 16, "gate": {"review_max_rejected_share": 0.5, "critical_max_rejected_share": 0.5},
                 "field_limits": {"city": 20}}  # the last one tightens: not listed
    path = write_csv(data_dir / "inbox" / "a.csv", ROWS, policy="backdating", policy_overrides=overrides)
    summary = pipeline.import_file(conn, path, run, data_dir / "reports")
    assert summary.status == "merged", summary.error
    page = _report(data_dir, summary.batch_id)
    assert 'id="loosened"' in page
    for setting, was, now in [("min_age", "18", "16"), ("gate.review_max_rejected_share", "0.1", "0.5"),
                              ("gate.critical_max_rejected_share", "0.6", "0.5")]:
        if setting == "gate.critical_max_rejected_share":
            assert setting not in page  # 0.6 -> 0.5 rejects more: tightening
        else:
            assert f"<code>{setting}</code>" in page and f"{was} → {now}" in page
    assert "field_limits.city" not in page
    assert 'id="clock-override"' not in page
