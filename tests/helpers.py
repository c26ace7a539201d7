"""Small builders for real input files used across tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

# Gate thresholds that let every batch through: for tests about other things than the gate.
# A test about the gate passes its own `policy_overrides` (even `{}` for the real policy).
OPEN_GATE = {"gate": {"review_max_rejected_share": 1.0, "critical_max_rejected_share": 1.0,
                      "critical_max_missing_opt_in_share": 1.0, "critical_max_under_age_share": 1.0,
                      "review_max_stale_share": 1.0}}


def write_manifest(data_file: Path, **settings: Any) -> Path:
    settings.setdefault("lists", ["Test List"])
    settings.setdefault("policy_overrides", OPEN_GATE)
    path = data_file.with_name(f"{data_file.name.split('.')[0]}.manifest.yaml")
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8",
              lineterminator: str = "\n", **manifest: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
    write_manifest(path, **manifest)
    return path


def warehouse_snapshot(conn) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two snapshots are equal only if nothing changed. The id
    counters (ops.id_counters, as the sequences before them) are not rows: an id spent by a write
    that was undone stays spent (optline.ids); nor is the write guard's count of write
    transactions (ops.write_guard)."""
    tables = conn.execute("""select table_schema || '.' || table_name from information_schema.tables
        where table_type = 'BASE TABLE' and table_catalog = current_database()
            and table_schema || '.' || table_name not in ('ops.id_counters', 'ops.write_guard')
        order by 1""").fetchall()
    return {t: conn.execute(f"select * from {t} order by all").fetchall() for (t,) in tables}


PEOPLE_HEADER = ["phone", "first_name", "last_name", "state", "postcode", "dob", "opt_in_date"]


def import_people(conn, folder: Path, name: str, people: list[list[Any]], *, as_of, **manifest: Any):
    """Import a small real contact file (PEOPLE_HEADER columns) through the whole pipeline."""
    from optline.contacts import pipeline
    from optline.runs import RunContext

    manifest.setdefault("lists", ["Main"])
    path = write_csv(folder / name, [PEOPLE_HEADER, *people], **manifest)
    summary = pipeline.import_file(conn, path, RunContext(as_of=as_of, dag_id="test", run_id="r1"), folder / "reports")
    assert summary.error is None, summary.error
    return summary


def person(phone: str, first: str = "", last: str = "", state: str = "", postcode: str = "") -> list[str]:
    return [phone, first, last, state, postcode, "1990-01-02", "2026-10-01"]


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (Airflow's metadata), even while another process writes to it."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
