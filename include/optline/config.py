"""Where Optline keeps its files, and every setting it takes from the environment.

Every `OPTLINE_*` variable is read here and only here, at call time (never at import):

| variable                    | default                                   | read by                          |
|-----------------------------|-------------------------------------------|----------------------------------|
| OPTLINE_DATA_DIR            | <project>/data                            | every default below              |
| OPTLINE_INBOX               | $OPTLINE_DATA_DIR/inbox                   | contact lists: `paths().inbox`   |
| OPTLINE_OPTOUT_INBOX        | $OPTLINE_DATA_DIR/optouts                 | `consent.optouts.inbox()`        |
| OPTLINE_INBOUND_INBOX       | $OPTLINE_DATA_DIR/inbound                 | `consent.inbound.inbox()`        |
| OPTLINE_CONFIRMATIONS_INBOX | $OPTLINE_DATA_DIR/confirmations           | `consent.confirmations.inbox()`  |
| OPTLINE_DELIVERY_INBOX      | $OPTLINE_DATA_DIR/delivery                | `messaging.delivery.inbox()`     |
| OPTLINE_TOUCHUP_INBOX       | $OPTLINE_DATA_DIR/touchups                | `contacts.listops.inbox()`       |
| OPTLINE_WAREHOUSE           | $OPTLINE_DATA_DIR/warehouse.sqlite (.duckdb: one file) | `warehouse.connect()`  |
| OPTLINE_WAREHOUSE_FORMAT    | ducklake (a lake); duckdb: one file       | `lake.location()`, new warehouses |
| OPTLINE_LAKE_CATALOG        | sqlite (at $OPTLINE_WAREHOUSE); postgres:<libpq DSN> | `lake.location()`     |
| OPTLINE_LAKE_KEEP_DAYS      | 7: days of snapshots a lake keeps for time travel | `lake.maintain()`       |
| OPTLINE_GX_LOG_LEVEL        | WARNING: Great Expectations' own log lines | `quality.suites`       |
| OPTLINE_BUSINESS_HOLIDAYS   | US: federal holidays; US-CA, GB-ENG, ...; none | `consent.businessdays` |
| OPTLINE_REPORTS             | $OPTLINE_DATA_DIR/reports                 | every report (tasks, CLI)        |
| OPTLINE_POLICY_DIR          | <project>/expectations/policies           | import policies, quiet hours     |
| OPTLINE_SQL_DIR             | <project>/sql                             | `warehouse.run()`, migrations    |
| OPTLINE_MESSAGING_CONFIG    | <project>/config/messaging.yaml           | `messaging.settings`             |
| OPTLINE_MESSAGE_PROVIDER    | (none) replaces the config's provider     | `messaging.settings`             |
| OPTLINE_ACCESS_CONFIG       | <project>/config/access.yaml              | `access` (reviewers, deleters)   |
| OPTLINE_NOTIFICATIONS_CONFIG | <project>/config/notifications.yaml      | `reports.notices` (who is told)  |
| OPTLINE_HMAC_KEY            | (none) the key for number HMACs           | `hmac_key()`                     |
| OPTLINE_HMAC_KEY_FILE       | $OPTLINE_DATA_DIR/secrets/number_hmac.key | `hmac_key()`; `optline init-key` |
| OPTLINE_LINK_KEY            | (none) the key that signs confirmation links | `link_key()` (welcome links) |
| OPTLINE_LINK_KEY_FILE       | $OPTLINE_DATA_DIR/secrets/link.key        | `link_key()`; `init_link_key()`  |
| OPTLINE_CRASH_AT            | (none) TEST ONLY: a crash point's name    | `failpoints` (the kill tests)    |
| AIRFLOW_CONN_<ID>           | (none) a connection, Airflow's JSON form  | `airflow_connection()` (CLI)     |

The number HMAC key pseudonymizes numbers in the consent ledger: back it up with the warehouse.
The link key signs the welcome's confirmation links (`messaging.links`): a different key, so that
it can be rotated (outstanding links then stop working) without touching the ledger's names.
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
    inbox: Path  # contact lists
    optout_inbox: Path
    inbound_inbox: Path
    confirmations_inbox: Path
    delivery_inbox: Path
    touchup_inbox: Path  # list touch-up files
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
        optout_inbox=_path("OPTLINE_OPTOUT_INBOX", data_dir / "optouts"),
        inbound_inbox=_path("OPTLINE_INBOUND_INBOX", data_dir / "inbound"),
        confirmations_inbox=_path("OPTLINE_CONFIRMATIONS_INBOX", data_dir / "confirmations"),
        delivery_inbox=_path("OPTLINE_DELIVERY_INBOX", data_dir / "delivery"),
        touchup_inbox=_path("OPTLINE_TOUCHUP_INBOX", data_dir / "touchups"),
        warehouse=_path("OPTLINE_WAREHOUSE", _default_warehouse(data_dir)),
        reports=_path("OPTLINE_REPORTS", data_dir / "reports"),
        policy_dir=_path("OPTLINE_POLICY_DIR", PROJECT_DIR / "expectations" / "policies"),
        sql_dir=sql_dir(),
    )


def _default_warehouse(data_dir: Path) -> Path:
    """`warehouse.sqlite` (a lake) or `warehouse.duckdb` (one file), by OPTLINE_WAREHOUSE_FORMAT;
    unless that is set, a data folder holding only the other kind keeps using it."""
    chosen = warehouse_format()
    preferred = data_dir / WAREHOUSE_FILES[chosen]
    if not os.environ.get("OPTLINE_WAREHOUSE_FORMAT"):
        (other,) = (data_dir / name for kind, name in WAREHOUSE_FILES.items() if kind != chosen)
        if other.exists() and not preferred.exists():
            return other
    return preferred


def sql_dir() -> Path:
    """OPTLINE_SQL_DIR, else the project's sql/ (alone: read for every statement run)."""
    return _path("OPTLINE_SQL_DIR", PROJECT_DIR / "sql")


def messaging_config_file() -> Path | None:
    """OPTLINE_MESSAGING_CONFIG when set (the file must then exist); None: the project's
    config/messaging.yaml, if any (see `optline.messaging.settings.config_path`)."""
    value = os.environ.get("OPTLINE_MESSAGING_CONFIG")
    return Path(value).expanduser().resolve() if value else None


def access_config_file() -> Path | None:
    """OPTLINE_ACCESS_CONFIG when set (the file must then exist); None: the project's
    config/access.yaml, if any (see `optline.access.load_access`)."""
    value = os.environ.get("OPTLINE_ACCESS_CONFIG")
    return Path(value).expanduser().resolve() if value else None


def message_provider() -> str | None:
    """OPTLINE_MESSAGE_PROVIDER when set: the provider that overrides the messaging config's."""
    return os.environ.get("OPTLINE_MESSAGE_PROVIDER") or None


def notifications_config_file() -> Path | None:
    """OPTLINE_NOTIFICATIONS_CONFIG when set (the file must then exist); None: the project's
    config/notifications.yaml, if any (see `optline.reports.notices.settings_path`)."""
    value = os.environ.get("OPTLINE_NOTIFICATIONS_CONFIG")
    return Path(value).expanduser().resolve() if value else None


WAREHOUSE_FORMATS = ("duckdb", "ducklake")
DEFAULT_FORMAT = "ducklake"
WAREHOUSE_FILES = {"duckdb": "warehouse.duckdb", "ducklake": "warehouse.sqlite"}
"""The default OPTLINE_WAREHOUSE in the data folder, by format (a lake: its SQLite catalog)."""


def warehouse_format() -> str:
    """OPTLINE_WAREHOUSE_FORMAT, for a new warehouse: `ducklake` (the default: a DuckLake, its
    catalog in SQLite at OPTLINE_WAREHOUSE or in PostgreSQL, its data as Parquet) or `duckdb` (one
    DuckDB file, one process at a time). An existing warehouse file is what it is."""
    value = (os.environ.get("OPTLINE_WAREHOUSE_FORMAT") or DEFAULT_FORMAT).strip().lower()
    if value not in WAREHOUSE_FORMATS:
        raise ConfigError(f"OPTLINE_WAREHOUSE_FORMAT must be one of {', '.join(WAREHOUSE_FORMATS)}, not {value!r}")
    return value


def lake_catalog() -> str:
    """OPTLINE_LAKE_CATALOG: `sqlite` (the catalog is the SQLite file OPTLINE_WAREHOUSE names: one
    machine) or `postgres:<libpq connection string>` (workers on several hosts)."""
    value = (os.environ.get("OPTLINE_LAKE_CATALOG") or "sqlite").strip()
    if value != "sqlite" and not value.startswith("postgres:"):
        raise ConfigError("OPTLINE_LAKE_CATALOG must be `sqlite` or `postgres:<libpq connection string>` "
                          "(e.g. postgres:host=db dbname=optline user=optline)")
    return value


DEFAULT_LAKE_KEEP_DAYS = 7.0


def gx_log_level() -> str:
    """OPTLINE_GX_LOG_LEVEL: the level of Great Expectations' own log lines (default WARNING)."""
    return (os.environ.get("OPTLINE_GX_LOG_LEVEL") or "WARNING").upper()


def business_holidays() -> str:
    """OPTLINE_BUSINESS_HOLIDAYS: whose public holidays are not business days on the FCC's opt-out
    clock: a country code (ISO 3166-1, as the `holidays` package takes it; default US, the
    federal holidays), optionally with a subdivision (US-CA), or `none` (Monday to Friday)."""
    return (os.environ.get("OPTLINE_BUSINESS_HOLIDAYS") or "US").strip()


def lake_keep_days() -> float:
    """OPTLINE_LAKE_KEEP_DAYS: how many days of snapshots the nightly maintenance keeps (what
    `at (timestamp => ...)` can still read); older ones expire and their files are deleted."""
    value = os.environ.get("OPTLINE_LAKE_KEEP_DAYS") or str(DEFAULT_LAKE_KEEP_DAYS)
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if days < 0:
        raise ConfigError(f"OPTLINE_LAKE_KEEP_DAYS must be a number of days (0 or more), not {value!r}")
    return days


def crash_at() -> str | None:
    """OPTLINE_CRASH_AT, test-only: the crash point (`optline.failpoints`) at which this process
    kills itself with SIGKILL. Never set it in a deployment."""
    return os.environ.get("OPTLINE_CRASH_AT") or None


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
    return _init_key_file(hmac_key_file())


def link_key_file() -> Path:
    return _path("OPTLINE_LINK_KEY_FILE", paths().data_dir / "secrets" / "link.key")


def link_key() -> bytes:
    """The secret key that signs confirmation links (`optline.messaging.links`): OPTLINE_LINK_KEY,
    else the key file. Never in the repo. Losing or changing it only voids the links not yet used."""
    value = os.environ.get("OPTLINE_LINK_KEY")
    if not value:
        path = link_key_file()
        if not path.is_file():
            raise ConfigError("no confirmation-link key (a welcome template uses {confirm_url}): set "
                              f"OPTLINE_LINK_KEY, or put a random key (64 hex digits) in {path} "
                              "(`config.init_link_key()` writes one)")
        value = path.read_text(encoding="utf-8").strip()
    if len(value) < 32:
        raise ConfigError("the confirmation-link key (OPTLINE_LINK_KEY) must be at least 32 characters "
                          "(e.g. 64 hex digits)")
    return value.encode("utf-8")


def init_link_key() -> tuple[Path, bool]:
    """Write a new random link key file (mode 0600) unless one exists. Returns (path, created)."""
    return _init_key_file(link_key_file())


def _init_key_file(path: Path) -> tuple[Path, bool]:
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
