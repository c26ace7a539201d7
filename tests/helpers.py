"""Small builders for real input files used across tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml


def write_manifest(data_file: Path, **settings: Any) -> Path:
    settings.setdefault("lists", ["Test List"])
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
    """Every row of every table, sorted: two snapshots are equal only if nothing changed."""
    tables = conn.execute("""select table_schema || '.' || table_name from information_schema.tables
        where table_type = 'BASE TABLE' and table_catalog = current_database() order by 1""").fetchall()
    return {t: conn.execute(f"select * from {t} order by all").fetchall() for (t,) in tables}
