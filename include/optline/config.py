"""Where Optline keeps its files, from the environment with sane defaults.

| variable            | default                         |
|---------------------|---------------------------------|
| OPTLINE_DATA_DIR    | <project>/data                  |
| OPTLINE_INBOX       | $OPTLINE_DATA_DIR/inbox         |
| OPTLINE_WAREHOUSE   | $OPTLINE_DATA_DIR/warehouse.duckdb |
| OPTLINE_REPORTS     | $OPTLINE_DATA_DIR/reports       |
| OPTLINE_POLICY_DIR  | <project>/expectations/policies |
| OPTLINE_SQL_DIR     | <project>/sql                   |
| OPTLINE_HMAC_KEY    | (none) the key that pseudonymizes numbers in the consent ledger |
| OPTLINE_HMAC_KEY_FILE | $OPTLINE_DATA_DIR/secrets/number_hmac.key (`optline init-key` writes one) |
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

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


def data_folder(var: str, name: str) -> Path:
    """The folder named by the environment variable `var`, else `$OPTLINE_DATA_DIR/<name>`
    (read at call time): the inboxes of each kind of input."""
    return _path(var, paths().data_dir / name)


class ConfigError(RuntimeError):
    """A required setting is missing; the message says how to set it."""


def hmac_key_file() -> Path:
    return _path("OPTLINE_HMAC_KEY_FILE", paths().data_dir / "secrets" / "number_hmac.key")


def hmac_key() -> bytes:
    """The secret key for number HMACs: OPTLINE_HMAC_KEY, else the key file. Never in the repo.

    Losing it means suppressed numbers can no longer be recognized: back it up with the warehouse.
    """
    value = os.environ.get("OPTLINE_HMAC_KEY")
    if not value:
        path = hmac_key_file()
        if not path.is_file():
            raise ConfigError(f"no number HMAC key: set OPTLINE_HMAC_KEY, or run `optline init-key` to write {path}")
        value = path.read_text(encoding="utf-8").strip()
    if len(value) < 32:
        raise ConfigError("the number HMAC key must be at least 32 characters (e.g. 64 hex digits)")
    return value.encode("utf-8")


def init_hmac_key() -> tuple[Path, bool]:
    """Write a new random key file (mode 0600) unless one exists. Returns (path, created)."""
    path = hmac_key_file()
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path, True


def airflow_connection(conn_id: str) -> SimpleNamespace | None:
    """An Airflow connection given in the environment (`AIRFLOW_CONN_<ID>`, JSON form), read
    without Airflow, for the command line; None if the variable is not set."""
    var = f"AIRFLOW_CONN_{conn_id.upper()}"
    raw = os.environ.get(var)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{var} must be a connection in Airflow's JSON form "
                          '({"conn_type": ..., "login": ..., "password": ..., "host": ..., "extra": {...}})') from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{var} must be a JSON object")
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    return SimpleNamespace(conn_id=conn_id, conn_type=data.get("conn_type"), login=data.get("login"),
                           password=data.get("password"), host=data.get("host"), port=data.get("port"),
                           schema=data.get("schema"), extra_dejson=extra)
