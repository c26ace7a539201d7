"""Where Optline keeps its files, from the environment with sane defaults.

| variable            | default                         |
|---------------------|---------------------------------|
| OPTLINE_DATA_DIR    | <project>/data                  |
| OPTLINE_INBOX       | $OPTLINE_DATA_DIR/inbox         |
| OPTLINE_WAREHOUSE   | $OPTLINE_DATA_DIR/warehouse.duckdb |
| OPTLINE_REPORTS     | $OPTLINE_DATA_DIR/reports       |
| OPTLINE_POLICY_DIR  | <project>/expectations/policies |
| OPTLINE_SQL_DIR     | <project>/sql                   |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    inbox: Path
    warehouse: Path
    reports: Path
    policy_dir: Path
    sql_dir: Path


def paths() -> Paths:
    """Resolve every location now (environment read at call time, never at import)."""
    data_dir = _path("OPTLINE_DATA_DIR", PROJECT_DIR / "data")
    return Paths(
        data_dir=data_dir,
        inbox=_path("OPTLINE_INBOX", data_dir / "inbox"),
        warehouse=_path("OPTLINE_WAREHOUSE", data_dir / "warehouse.duckdb"),
        reports=_path("OPTLINE_REPORTS", data_dir / "reports"),
        policy_dir=_path("OPTLINE_POLICY_DIR", PROJECT_DIR / "expectations" / "policies"),
        sql_dir=_path("OPTLINE_SQL_DIR", PROJECT_DIR / "sql"),
    )
