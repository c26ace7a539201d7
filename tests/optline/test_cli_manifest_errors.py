"""Manifest and policy errors through the real `optline import` process: the file fails with a
message naming the manifest and the key, no traceback, a non-zero exit, and the warehouse holds
no batch and no staged row (the error is found before anything is written). The same errors
are intake.errors.INPUT_ERRORS, so the DAG's stage task fails them without a retry
(optline.tasks.imports.stage_file raises AirflowFailException for them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from optline import warehouse
from optline.contacts import pipeline
from optline.intake.errors import INPUT_ERRORS
from optline.intake.manifest import ManifestError
from optline.runs import RunContext
from tests.conftest import AS_OF

OPTLINE = Path(sys.executable).with_name("optline")
PHONE = "(415) 555-0101"

CASES = {
    "unknown policy": ("lists: [Spring]\npolicy: nosuch\n", "`policy`", "nosuch"),
    "min_age not a number": ("lists: [Spring]\npolicy_overrides: {min_age: abc}\n", "`policy_overrides`", "min_age"),
    "gate not a mapping": ("lists: [Spring]\npolicy_overrides: {gate: 5}\n", "`policy_overrides`", "gate"),
    "lists not a list": ("lists: 5\n", "`lists`", "lists"),
}


def _inbox(data_dir: Path, manifest: str) -> Path:
    path = data_dir / "inbox" / "spring.csv"
    path.write_text(f"phone,first_name\n{PHONE},Ann\n", encoding="utf-8")
    (data_dir / "inbox" / "spring.manifest.yaml").write_text(manifest, encoding="utf-8")
    return path


def _counts(path: Path) -> tuple[int, int]:
    """(batches, staged rows) in the warehouse; a warehouse never created holds neither."""
    if not path.exists():
        return 0, 0
    with warehouse.connect(path, read_only=True) as conn:
        return (conn.execute("select count(*) from ops.batches").fetchone()[0],
                conn.execute("select count(*) from staging.contact_rows").fetchone()[0])


@pytest.mark.parametrize(("manifest", "key", "setting"), CASES.values(), ids=CASES.keys())
def test_a_manifest_error_fails_the_import_cleanly_and_writes_nothing(data_dir: Path, manifest: str, key: str,
                                                                      setting: str) -> None:
    _inbox(data_dir, manifest)
    done = subprocess.run([str(OPTLINE), "import"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OPTLINE_DATA_DIR": str(data_dir)}, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "Traceback" not in out and "TypeError" not in out, out
    failed = [line for line in out.splitlines() if "FAILED" in line]
    assert failed and "spring.manifest.yaml" in failed[0] and key in failed[0] and setting in failed[0], out
    assert PHONE not in out
    assert _counts(data_dir / "warehouse.duckdb") == (0, 0)


@pytest.mark.parametrize(("manifest", "key", "setting"), CASES.values(), ids=CASES.keys())
def test_a_manifest_error_is_an_input_error_raised_by_stage(conn, data_dir: Path, manifest: str, key: str,
                                                           setting: str) -> None:
    """What the DAG's stage task calls: the error is a ManifestError, one of INPUT_ERRORS (no retry)."""
    path = _inbox(data_dir, manifest)
    with pytest.raises(ManifestError) as info:
        pipeline.stage(conn, path, RunContext(as_of=AS_OF, dag_id="test", run_id="r1"))
    assert isinstance(info.value, INPUT_ERRORS)
    assert key in str(info.value) and setting in str(info.value)
    assert conn.execute("select count(*) from ops.batches").fetchone()[0] == 0
